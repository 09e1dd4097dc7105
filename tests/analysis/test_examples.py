"""SasView's labelled example files: classified and fitted as a new user would."""
import pytest

import sasnets
from sasnets.analysis.examples import Example, classify_examples, examples_dir, fit_examples

pytestmark = pytest.mark.skipif(examples_dir() is None, reason="sasdata's example files are not installed")

#: a sphere file labelled as if only core_shell_sphere were accepted: a simpler model that fits
#: as well must still count as a good first answer
AS_IF_CORE_SHELL = Example("sphere_80.txt", ("core_shell_sphere",), ("none",), "test: relabelled sphere")


def test_examples_are_classified_with_their_top_three_and_structure_factor():
    record, = classify_examples(sasnets.load_default_classifier(), examples=[AS_IF_CORE_SHELL])
    assert len(record["top"]) == 3 and 0 < sum(p for _, p in record["top"]) <= 1 + 1e-9
    assert record["structure_factor"][0] == "none" and record["structure_factor_right"]


@pytest.mark.slow  # a few fits
def test_a_simpler_first_answer_that_fits_as_well_counts_as_good():
    record, = fit_examples(sasnets.load_default_classifier(), examples=[AS_IF_CORE_SHELL], workers=1)
    assert record["first"] == "sphere" and not record["accepted_first"]
    model, reduced_chi2, nparams = record["best_accepted"]
    assert model == "core_shell_sphere" and reduced_chi2 > record["reduced_chi2"] and nparams > 3
    assert record["as_good_first"] and set(record["first_by"]) == {"posterior", "network", "adequate"}
    assert record["seconds"] > 0

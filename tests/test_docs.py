"""Documentation: the generated CLI reference is current, the pages exist and link up, and the
key lists of generated output (`--json` of fit, predict, evaluate) match what the code writes."""
import importlib.util
import json
import os
import re

import numpy as np
import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
DOCS = os.path.join(ROOT, "docs")
PAGES = ("user-guide.md", "simulation.md", "stores.md", "training.md", "evaluate-predict-analyze.md",
         "fitting.md", "python-api.md", "custom-datasets.md", "plugin-guide.md", "cli-reference.md")


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_reference",
                                                  os.path.join(ROOT, "scripts", "gen_cli_reference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current():
    generator = load_generator()
    with open(os.path.join(ROOT, "docs", "cli-reference.md")) as fh:
        committed = fh.read()
    assert committed == generator.render(), \
        "docs/cli-reference.md is stale; run: python scripts/gen_cli_reference.py"


def test_cli_reference_documents_every_builtin_command():
    from click.testing import CliRunner

    from sasnets.cli import cli

    text = load_generator().render()
    listed = CliRunner().invoke(cli, ["--help"]).output
    for name in ("generate", "train", "evaluate", "predict", "fit", "analyze", "demo"):
        assert name in listed
        assert f"## sasnets {name}\n" in text


# --- links -----------------------------------------------------------------------------------

def markdown_files():
    """README.md and every docs/*.md page."""
    files = [os.path.join(ROOT, "README.md")]
    files += sorted(os.path.join(DOCS, p) for p in os.listdir(DOCS) if p.endswith(".md"))
    return files


def prose(text):
    """``text`` without fenced code blocks (where ``#`` starts comments, not headings)."""
    return re.sub(r"^```.*?^```[ \t]*$", "", text, flags=re.S | re.M)


def links(text):
    """Markdown link targets ``[text](target)`` outside code."""
    text = re.sub(r"`[^`\n]*`", "", prose(text))
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text)


def slug(heading):
    """GitHub's anchor for a heading: lowercase, punctuation except '-' and '_' dropped, spaces to '-'."""
    text = heading.strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(path):
    """Every heading anchor of a markdown file (GitHub numbers repeats: x, x-1, x-2, ...)."""
    with open(path) as fh:
        text = prose(fh.read())
    seen, out = {}, set()
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", text, re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def test_slug_is_githubs():
    assert slug("Classify and fit my own file") == "classify-and-fit-my-own-file"
    assert slug("`fit --json` output") == "fit---json-output"
    assert slug("sasnets evaluate") == "sasnets-evaluate"
    assert slug("Evaluate, predict, analyze") == "evaluate-predict-analyze"


def test_docs_pages_exist():
    for page in PAGES:
        assert os.path.getsize(os.path.join(DOCS, page)) > 500, page


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: os.path.relpath(p, ROOT))
def test_relative_links_and_anchors_resolve(path):
    with open(path) as fh:
        text = fh.read()
    here = os.path.dirname(path)
    for target in links(text):
        if re.match(r"(https?|mailto):", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(here, file_part)) if file_part else path
        assert os.path.exists(resolved), f"{os.path.relpath(path, ROOT)} links to missing {target}"
        if anchor and resolved.endswith(".md"):
            assert anchor in anchors(resolved), \
                f"{os.path.relpath(path, ROOT)} links to {target}: no heading with anchor #{anchor}"


def test_every_docs_page_is_linked_from_the_readme():
    with open(os.path.join(ROOT, "README.md")) as fh:
        targets = {t.partition("#")[0] for t in links(fh.read())}
    for page in PAGES:
        assert f"docs/{page}" in targets, f"README.md does not link docs/{page}"


# --- key lists of generated output -------------------------------------------------------------

def doc_table(page, heading):
    """``{key: value cell}`` of the key table (first column a backticked key) in the
    section ``heading`` (a whole heading line) of ``docs/page``."""
    with open(os.path.join(DOCS, page)) as fh:
        lines = prose(fh.read()).splitlines()
    assert heading in lines, f"docs/{page} has no heading {heading!r}"
    rows = {}
    for line in lines[lines.index(heading) + 1:]:
        if line.startswith("#"):
            break
        m = re.match(r"\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    assert rows, f"no key table under {heading!r} in docs/{page}"
    return rows


def named(cell):
    """The backticked names in a table cell."""
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cell))


def optional(rows):
    """Keys documented as present only with some option."""
    return {k for k, v in rows.items() if v.strip().startswith("only with")}


def fit_result_class():
    try:
        from sasnets.analysis.fitting import FitResult
    except ImportError:
        from sasnets.fitting import FitResult
    return FitResult


def test_fit_json_keys_are_what_fit_result_writes():
    FitResult = fit_result_class()
    result = FitResult(model="sphere", chi2=95.0, dof=95, npoints=100, nparams=5,
                       parameters={"radius": (50.0, 0.5), "scale": (0.01, 1e-4), "background": (1e-3, 1e-5)},
                       fixed={"sld": 1.0}, held={"sld_solvent": 6.36}, success=True, message="converged",
                       elapsed=1.5, probability=0.4, score=-50.0, posterior=1.0, rank=1)
    documented = set(doc_table("fitting.md", "### `fit --json` output"))
    written = set(result.to_dict())
    assert documented == written, (f"docs/fitting.md lists {sorted(documented - written)} that to_dict does not "
                                   f"write and misses {sorted(written - documented)}")


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """An HDF5 store with a few curves of scattering models the shipped classifier knows."""
    from sasnets import open_store
    from sasnets.data import Curve, CurveBatch

    rng = np.random.default_rng(0)
    curves = []
    for i, model in enumerate(["sphere", "cylinder", "guinier"] * 2):
        q = np.logspace(-3, -0.5, 80)
        iq = 1e3 * q ** -rng.uniform(1, 4) * 1e-4 + 0.01
        curves.append(Curve(q=q, iq=iq, diq=0.02 * iq, dq=0.05 * q, model=model,
                            params={"scale": 1.0, "background": 0.01}, seed=i, index=i // 3))
    path = str(tmp_path_factory.mktemp("docs_store") / "tiny.h5")
    with open_store(path, "a") as store:
        store.write("test", CurveBatch.from_curves(curves))
    return path


def test_predict_json_keys_are_what_predict_writes(cli_runner, tmp_path):
    from sasnets.cli import cli

    example = os.path.join(ROOT, "sasnets", "examples", "cylinder_example.txt")
    missing = str(tmp_path / "missing.dat")
    result = cli_runner.invoke(cli, ["predict", example, missing, "--json"])
    records = json.loads(result.stdout)
    good, bad = records
    rows = doc_table("evaluate-predict-analyze.md", "### `predict --json` output")
    assert set(rows) == set(good), (f"documented {sorted(set(rows) - set(good))} not written, "
                                    f"written {sorted(set(good) - set(rows))} not documented")
    assert set(bad) == {"file", "error"}
    assert set(good["predictions"][0]) == {"model", "probability", "form_factor", "form_factor_probability",
                                           "structure_factor", "structure_factor_probability", "sizes"}
    assert set(good["structure_factors"][0]) == {"structure_factor", "probability"}


def test_evaluate_json_keys_are_what_evaluate_writes(cli_runner, tiny_store):
    from sasnets.cli import cli
    from sasnets.classifier import default_classifier_path

    result = cli_runner.invoke(cli, ["evaluate", default_classifier_path(), tiny_store, "--json", "-q"])
    out = json.loads(result.stdout)
    rows = doc_table("evaluate-predict-analyze.md", "### `evaluate --json` output")
    always = set(rows) - optional(rows)
    from sasnets.classifier.saved import load_classifier

    if any("@" in label for label in load_classifier(default_classifier_path()).labels):
        always.add("factors")  # documented as written only for a classifier with products
    assert always == set(out), (f"documented {sorted(always - set(out))} not written, "
                                f"written {sorted(set(out) - always)} not documented")
    assert optional(rows) == {"calibration", "fit_verified", "factors"}
    assert named(rows["info"]) == set(out["info"])
    assert named(rows["credible68"]) == set(out["credible68"])
    assert named(rows["per_model"]) == set(next(iter(out["per_model"].values())))
    assert named(rows["per_family"]) == set(next(iter(out["per_family"].values())))
    band = {k.strip() for k in re.search(r"\{([^}]*)\}", rows["by_background"]).group(1).split(",")}
    for key in ("by_background", "by_q_window", "by_intensity_range"):
        assert out[key] and set(out[key][0]) == band, key


def test_calibration_keys_are_what_calibrate_writes(tiny_store):
    import sasnets

    report = sasnets.calibrate(sasnets.load_default_classifier(), tiny_store, "test", save=False)
    rows = doc_table("evaluate-predict-analyze.md", "### `evaluate --json` output")
    assert named(rows["calibration"]) == set(report)


class _OneHotClassifier:
    """Says each curve's true scattering model with certainty: with k=1 nothing needs fitting."""

    labels = ["sphere", "cylinder", "guinier"]

    def predict_proba(self, batch):
        return np.array([[float(c.model == label) for label in self.labels] for c in batch])


def test_fit_verified_keys_are_what_fit_verify_writes(tiny_store):
    from sasnets.analysis.fit_verified import fit_verified_accuracy_on_store

    out = fit_verified_accuracy_on_store(_OneHotClassifier(), tiny_store, "test", n=3, k=1, workers=1)
    rows = doc_table("fitting.md", "## Fit-verified accuracy")
    assert set(rows) == set(out), (f"documented {sorted(set(rows) - set(out))} not written, "
                                   f"written {sorted(set(out) - set(rows))} not documented")

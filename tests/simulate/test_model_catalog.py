"""The scattering model catalog and the words that select models."""
import pytest

from sasnets.errors import UsageError
from sasnets.simulate import list_models, resolve_models
from sasnets.simulate.catalog import resolve_model_entries


def test_catalog_holds_every_sasmodels_model_with_its_category():
    from sasmodels import core

    entries = list_models(include_user=False)
    assert [e.name for e in entries] == sorted(core.list_models())
    by_name = {e.name: e for e in entries}
    assert by_name["sphere"].category == "shape:sphere"
    assert by_name["hardsphere"].category == "structure-factor"
    assert all(e.builtin for e in entries)


def test_all_selects_every_model():
    assert resolve_models(["all"]) == [e.name for e in list_models()]


def test_a_bare_name_means_the_model_and_shape_prefix_the_category():
    assert resolve_models(["sphere"]) == ["sphere"]
    spheres = resolve_models(["shape:sphere"])
    assert "sphere" in spheres and "core_shell_sphere" in spheres and len(spheres) > 5
    assert resolve_models(["cylinder"]) == ["cylinder"]


def test_category_words_and_leaves():
    assert resolve_models(["paracrystal"]) == ["bcc_paracrystal", "fcc_paracrystal", "sc_paracrystal"]
    sf = resolve_models(["structure-factor"])
    assert "hardsphere" in sf and "sphere" not in sf
    shape = resolve_models(["shape"])
    assert "cylinder" in shape and "power_law" not in shape
    assert "power_law" in resolve_models(["shape-independent"])


def test_issue_example_globs_names_and_exclude():
    chosen = resolve_models(["*sphere", "cylinder"], exclude=["fuzzy_sphere"])
    assert "cylinder" in chosen and "core_shell_sphere" in chosen and "hardsphere" in chosen
    assert "fuzzy_sphere" not in chosen
    assert all(m.endswith("sphere") for m in chosen if m != "cylinder")
    assert chosen == sorted(set(chosen))


def test_sasmodels_kinds():
    oriented = resolve_models(["2d"])
    assert "cylinder" in oriented and "sphere" not in oriented


def test_unknown_name_suggests_the_closest_ones():
    with pytest.raises(UsageError, match="did you mean sphere") as info:
        resolve_models(["sphear"])
    assert "\n" not in str(info.value)
    with pytest.raises(UsageError, match="--exclude"):
        resolve_models(["all"], exclude=["cilinder"])


def test_patterns_that_select_nothing_fail():
    with pytest.raises(UsageError, match="matches no"):
        resolve_models(["*nothing_like_this*"])
    with pytest.raises(UsageError, match="excluded"):
        resolve_models(["sphere"], exclude=["sphere"])
    with pytest.raises(UsageError):
        resolve_models([])


def test_user_models_on_sas_modelpath_are_listed_and_selectable(user_model_dir):
    entries = {e.name: e for e in list_models()}
    assert "test_bump" in entries
    assert entries["test_bump"].path == str(user_model_dir / "test_bump.py")
    assert entries["test_bump"].category == "shape-independent"
    assert resolve_models(["test_*"]) == ["test_bump"]


def test_a_model_file_path_selects_that_user_model(broken_model_file):
    (entry,) = resolve_model_entries([str(broken_model_file)])
    assert entry.name == "test_always_nan" and entry.path == str(broken_model_file)
    with pytest.raises(UsageError, match="does not exist"):
        resolve_models([str(broken_model_file) + "x.py"])

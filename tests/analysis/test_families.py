"""Scattering-model families from sasmodels categories."""
from sasnets.analysis.families import OTHER, family_from_category, group_by_family, model_family


def test_known_models_map_to_readable_families():
    assert model_family("sphere") == "sphere"
    assert model_family("core_shell_cylinder") == "cylinder"
    assert model_family("lamellar_hg") == "lamellae"
    assert model_family("mass_fractal") == "fractal"
    assert model_family("poly_gauss_coil") == "polymer"
    assert model_family("power_law") == "power law/Guinier"
    assert model_family("hardsphere") == "structure factor"
    assert model_family("sphere@hardsphere") == "sphere"


def test_unknown_and_custom_models_are_other():
    assert model_family("no_such_model_xyz") == OTHER
    assert family_from_category("x", None) == OTHER
    assert family_from_category("blob", "shape:blob") == "blob"


def test_every_sasmodels_model_gets_a_family_and_few_are_left_generic():
    from sasmodels.core import list_models

    names = list_models()
    groups = group_by_family(names)
    assert sum(len(v) for v in groups.values()) == len(names)
    assert OTHER not in groups
    assert len(groups.get("shape-independent", [])) <= 3
    assert list(groups)[0] == "sphere"

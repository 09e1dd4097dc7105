"""Every scattering model of the installed sasmodels generates valid curves.

This is the real check for the models whose random parameters sasmodels
itself cannot use (be_polyelectrolyte, core_multi_shell, onion,
spherical_sld, two_power_law) and for the expensive ones (paracrystals,
pringle, …).
"""
import numpy as np
import pytest

from sasnets.simulate import GenerationOptions, generate, list_models
from sasnets.stores import open_store


@pytest.mark.slow
def test_every_sasmodels_model_generates_valid_curves(tmp_path):
    from sasmodels import core

    path = str(tmp_path / "all.h5")
    options = GenerationOptions(nq=24, qmin=0.002, qmax=0.4)
    report = generate(path, ["all"], 2, options=options, seed=0, workers=2)
    assert not report.failed
    names = core.list_models()
    assert len(names) >= 80
    with open_store(path) as s:
        assert s.counts()["train"] == dict.fromkeys(names, 2)
        batch = s.read("train")
    assert np.all(np.isfinite(batch.iq)) and np.all(batch.iq > 0) and np.all(np.isfinite(batch.diq))
    assert len(set(batch.seeds)) == len(batch)
    assert sorted(e.name for e in list_models(include_user=False)) == sorted(names)

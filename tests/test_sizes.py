"""Size estimates (sasnets.classifier.sizes): ridge regression from a classifier's features."""
import numpy as np
import pytest

from sasnets.classifier.sizes import SizeEstimator, fit_size_estimator, size_parameters
from sasnets.data import Curve, CurveBatch
from sasnets.errors import StoreError
from sasnets.stores import open_store


class _FeatureClassifier:
    """A stand-in classifier whose features carry log(radius) with 5 % noise among 30 random ones."""

    labels = ["sphere", "sphere@hardsphere", "power_law"]
    path = None

    class meta:
        training = {"augment": None}

    def embed(self, batch):
        rng = np.random.default_rng(len(batch))
        radius = np.array([p["radius"] for p in batch.params])
        return np.hstack([np.log(radius)[:, None] + 0.05 * rng.normal(size=(len(batch), 1)),
                          rng.normal(size=(len(batch), 30))])


def _curves(model, n, seed):
    rng = np.random.default_rng(seed)
    q = np.logspace(-3, -0.5, 50)
    out = []
    for i in range(n):
        params = {"radius": float(np.exp(rng.uniform(np.log(20), np.log(2000))))}
        if "@" in model:
            params["volfraction"] = 0.2
        out.append(Curve(q=q, iq=np.ones_like(q), model=model, params=params, seed=i, index=i))
    return CurveBatch.from_curves(out)


def test_parameters_estimated_per_label():
    assert size_parameters("sphere") == [("radius", "log", "Å"), ("radius_pd", "linear", "")]
    assert size_parameters("sphere@hayter_msa")[1] == ("volfraction", "log", "")
    assert [p for p, _, _ in size_parameters("core_shell_cylinder")][:3] == ["radius", "thickness", "length"]
    assert size_parameters("power_law") == []


def test_estimates_recover_what_the_features_carry(tmp_path):
    path = str(tmp_path / "s.h5")
    with open_store(path, "a") as store:
        for model in ("sphere", "sphere@hardsphere"):
            store.write("train", _curves(model, 200, 1))
            store.write("check", _curves(model, 50, 2))
        est = fit_size_estimator(_FeatureClassifier(), store, tag="train", check_tag="check")
        with pytest.raises(StoreError, match="no tag 'nope'"):
            fit_size_estimator(_FeatureClassifier(), store, tag="train", check_tag="nope")
    assert set(est.coef) == {"sphere", "sphere@hardsphere"}
    radius_error = est.error["sphere"][0]
    assert 0.03 < radius_error < 0.1  # the features' own 5 % noise, not the 1.3 spread of log radii
    features = _FeatureClassifier().embed(_curves("sphere", 5, 3))
    truth = np.exp(features[:, 0])
    for one, r in zip(est.estimate("sphere", features), truth):
        assert one["radius"]["value"] == pytest.approx(r, rel=0.15)
        assert one["radius"]["low"] < one["radius"]["value"] < one["radius"]["high"]
        assert one["radius_pd"]["value"] == pytest.approx(0.0, abs=0.01)
    assert est.estimate("cylinder", features) == [{}] * 5
    entry = est.save(str(tmp_path))
    again = SizeEstimator.load(str(tmp_path), entry)
    assert again.estimate("sphere", features) == est.estimate("sphere", features)

"""Metrics on hand-made probability tables whose answers are known."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sasnets.analysis import metrics as M

LABELS = ["sphere", "cylinder", "lamellar", "mass_fractal", "hardsphere", "ellipsoid"]


def table():
    # four curves, six models; true labels 0, 1, 2, 3
    proba = np.array([
        [0.70, 0.20, 0.05, 0.03, 0.01, 0.01],   # true 0, rank 1
        [0.50, 0.30, 0.10, 0.05, 0.03, 0.02],   # true 1, rank 2
        [0.40, 0.25, 0.15, 0.10, 0.06, 0.04],   # true 2, rank 3
        [0.30, 0.25, 0.20, 0.01, 0.14, 0.10],   # true 3, rank 6
    ])
    return proba, np.array([0, 1, 2, 3])


def test_ranks_and_top_k():
    proba, y = table()
    assert M.true_ranks(proba, y).tolist() == [1, 2, 3, 6]
    assert M.top_k_accuracy(proba, y, 1) == 0.25
    assert M.top_k_accuracy(proba, y, 3) == 0.75
    assert M.top_k_accuracy(proba, y, 5) == 0.75
    assert M.top_k_accuracy(proba, y, 6) == 1.0


def test_credible_sets_are_the_smallest_reaching_the_level():
    proba, y = table()
    s68 = M.credible_sets(proba, 0.68)
    assert s68.sum(axis=1).tolist() == [1, 2, 3, 3]  # 0.70; 0.5+0.3; 0.4+0.25+0.15; 0.3+0.25+0.2
    assert s68[2].tolist() == [True, True, True, False, False, False]
    s95 = M.credible_sets(proba, 0.95)
    assert s95.sum(axis=1).tolist() == [3, 4, 5, 5]
    stats = M.credible_set_stats(proba, y, 0.68)
    assert stats["coverage"] == 0.75 and stats["mean_size"] == 2.25


def test_ece_of_a_perfectly_calibrated_table_is_zero_and_of_overconfidence_is_the_gap():
    # 10 curves at confidence 0.8 of which 8 are right: calibrated
    proba = np.tile([0.8, 0.2], (10, 1))
    y = np.array([0] * 8 + [1] * 2)
    assert M.expected_calibration_error(proba, y) == pytest.approx(0.0, abs=1e-12)
    y_bad = np.array([0] * 5 + [1] * 5)
    assert M.expected_calibration_error(proba, y_bad) == pytest.approx(0.3)


def test_temperature_scaling_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    n, k = 4000, 8
    logits = rng.normal(0, 3, (n, k))
    true_p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(k, p=p) for p in true_p])
    overconfident = M.apply_temperature(true_p, 0.5)  # logits * 2
    t = M.fit_temperature(overconfident, y)
    assert t == pytest.approx(2.0, rel=0.1)
    fixed = M.apply_temperature(overconfident, t)
    assert M.expected_calibration_error(fixed, y) < M.expected_calibration_error(overconfident, y)
    assert M.negative_log_likelihood(fixed, y) < M.negative_log_likelihood(overconfident, y)
    np.testing.assert_array_equal(fixed.argmax(1), overconfident.argmax(1))  # accuracy unchanged


def test_confusion_matrix_counts():
    proba, y = table()
    c = M.confusion_matrix(proba, y)
    assert c.shape == (6, 6) and c.sum() == 4
    assert c[0, 0] == 1 and c[1, 0] == 1 and c[2, 0] == 1 and c[3, 0] == 1


def test_evaluate_probabilities_has_the_documented_keys():
    proba, y = table()
    m = M.evaluate_probabilities(proba, y, LABELS, temperature=1.5)
    for key in ("top1", "top3", "top5", "per_model", "per_family", "credible68", "credible95", "ece",
                "rejected95", "mean_rank", "temperature"):
        assert key in m
    assert m["top1"] == 0.25 and m["n"] == 4
    assert m["per_model"]["cylinder"] == {"n": 1, "top1": 0.0, "top3": 1.0, "mean_rank": 2.0,
                                          "mean_probability": 0.3}
    assert "ellipsoid" not in m["per_model"]  # no curves of it
    assert m["rejected95"] == pytest.approx(6 - 4.25)
    fam = m["per_family"]
    assert fam["sphere"]["top1"] == 1.0
    assert fam["cylinder"]["family_accuracy"] == 0.0  # predicted sphere
    assert fam["fractal"]["n"] == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(2, 12), st.integers(0, 2**31 - 1), st.floats(0.05, 0.99))
def test_credible_set_invariants(n, k, seed, level):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(k, 0.3), size=n)
    mask = M.credible_sets(proba, level)
    mass = (proba * mask).sum(1)
    assert np.all(mass >= level - 1e-9)
    # removing the least probable member drops below the level: the set is the smallest
    least = np.where(mask, proba, np.inf).min(1)
    assert np.all(mass - least < level + 1e-9)
    assert np.all(mask.sum(1) >= 1)


def test_factor_metrics_score_each_factor_on_its_own():
    from sasnets.analysis.metrics import evaluate_probabilities

    labels = ["cylinder", "sphere", "sphere@hardsphere", "sphere@hayter_msa"]
    proba = np.array([[0.1, 0.2, 0.3, 0.4],    # true sphere@hardsphere: form factor right, S(q) wrong (hayter_msa)
                      [0.4, 0.1, 0.2, 0.3],    # true sphere: form factor right (0.6 summed), S(q) none right (0.5)
                      [0.7, 0.1, 0.1, 0.1]])   # true sphere@hayter_msa: form factor wrong, S(q) wrong (none)
    y = np.array([2, 1, 3])
    f = evaluate_probabilities(proba, y, labels)["factors"]
    assert f["form_factor"]["top1"] == pytest.approx(2 / 3)
    assert f["structure_factor"]["accuracy"] == pytest.approx(1 / 3)  # only the sphere's none is right
    assert f["per_structure_factor"]["none"] == {"n": 1, "structure_factor_accuracy": 1.0, "form_factor_top1": 1.0}
    assert f["per_structure_factor"]["hardsphere"]["form_factor_top1"] == 1.0
    assert f["per_family"]["sphere"]["n"] == 3
    assert "factors" not in evaluate_probabilities(proba, y, ["a", "b", "c", "d"])

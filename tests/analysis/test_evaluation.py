"""evaluate/calibrate on a trained classifier, and EvaluationResult round trips."""
import json
import shutil

import numpy as np
import pytest

from sasnets.analysis.evaluate import EvaluationResult, calibrate, evaluate
from sasnets.errors import DataError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tiny_classifier")]


def test_evaluate_reports_metrics_for_every_curve(tiny_classifier):
    store, clf_dir = tiny_classifier
    result = evaluate(clf_dir, store, "test", batch_size=17, embed=True)
    m = result.metrics
    assert m["n"] == 60 and len(result.y) == 60
    assert result.proba.shape == (60, 3)
    np.testing.assert_allclose(result.proba.sum(1), 1, atol=1e-5)
    assert m["top1"] > 0.5  # three very different shapes: far better than chance (1/3)
    assert m["top3"] == 1.0
    assert set(m["per_model"]) == {"sphere", "guinier", "power_law"}
    assert result.embeddings.shape[0] == 60
    assert result.info["tag"] == "test" and result.info["skipped_models"] == {}
    # these curves carry no background parameter: q-window bands over all of them, no background bands
    assert m["by_background"] == []
    assert sum(b["n"] for b in m["by_q_window"]) == 60
    assert sum(b["n"] * b["top1"] for b in m["by_q_window"] if b["n"]) == pytest.approx(60 * m["top1"])


def test_batch_size_and_subset_do_not_change_answers(tiny_classifier):
    store, clf_dir = tiny_classifier
    a = evaluate(clf_dir, store, "test", batch_size=7)
    b = evaluate(clf_dir, store, "test", batch_size=1000)
    np.testing.assert_allclose(a.proba, b.proba, atol=1e-6)
    sub1 = evaluate(clf_dir, store, "test", max_curves=25, seed=4)
    sub2 = evaluate(clf_dir, store, "test", max_curves=25, seed=4)
    assert sub1.metrics["n"] == 25
    np.testing.assert_array_equal(sub1.y, sub2.y)


def test_numpy_runtime_matches_keras_end_to_end(tiny_classifier, monkeypatch):
    store, clf_dir = tiny_classifier
    fast = evaluate(clf_dir, store, "test", embed=True)
    monkeypatch.setenv("SASNETS_RUNTIME", "keras")
    slow = evaluate(clf_dir, store, "test", embed=True)
    np.testing.assert_allclose(fast.proba, slow.proba, atol=1e-5)
    np.testing.assert_allclose(fast.embeddings, slow.embeddings, rtol=1e-4, atol=1e-5)


def test_calibrate_stores_the_temperature(tiny_classifier, tmp_path):
    store, clf_dir = tiny_classifier
    copy = tmp_path / "clf"
    shutil.copytree(clf_dir, copy)
    from sasnets.classifier import load_classifier

    clf = load_classifier(str(copy))
    clf.temperature = clf.temperature * 3  # spoil it
    report = calibrate(clf, store, "eval")
    assert report["nll_after"] <= report["nll_before"] + 1e-9
    saved = json.loads((copy / "classifier.json").read_text())
    assert saved["temperature"] == pytest.approx(report["temperature"])
    assert saved["temperature"] < report["previous"]


def test_unknown_tag_and_foreign_models_are_errors(tiny_classifier, tmp_path):
    store, clf_dir = tiny_classifier
    with pytest.raises(DataError, match="no tag 'nope'"):
        evaluate(clf_dir, store, "nope")
    from sasnets.data import CurveBatch
    from sasnets.stores import open_store

    other = str(tmp_path / "other.h5")
    q = np.logspace(-3, -0.5, 30)
    with open_store(other, "a") as s:
        s.write("test", CurveBatch.from_matrix(["cylinder", "cylinder"], q, np.ones((2, 30))))
    with pytest.raises(DataError, match="None of the scattering models"):
        evaluate(clf_dir, other, "test")


def test_result_save_and_load(tiny_classifier, tmp_path):
    store, clf_dir = tiny_classifier
    result = evaluate(clf_dir, store, "test", embed=True)
    path = result.save(str(tmp_path / "result.npz"))
    back = EvaluationResult.load(path)
    np.testing.assert_array_equal(back.proba, result.proba)
    np.testing.assert_array_equal(back.embeddings, result.embeddings)
    assert back.metrics["top1"] == result.metrics["top1"] and back.labels == result.labels


def test_calibration_divides_out_the_training_prior_where_held_out_curves_call_for_it(tiny_classifier, tmp_path):
    """A network trained on ten times more curves of one label over-predicts it; the calibration
    finds the weight of the label prior to divide out, and predictions carry it as logit offsets."""
    from sasnets.analysis.evaluate import _prior_correction
    from sasnets.analysis.metrics import negative_log_likelihood
    from sasnets.classifier import load_classifier

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 3000)  # held-out curves: every label equally often
    log_prior = np.log(np.array([10.0, 1.0, 1.0]) / 12)
    log_prior -= log_prior.mean()
    logits = 2.0 * np.eye(3)[y] + rng.normal(size=(3000, 3)) + log_prior  # biased towards label 0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    weight, factor, after = _prior_correction(proba, y, log_prior)
    assert weight == 1.0 and negative_log_likelihood(after, y) < negative_log_likelihood(proba, y) - 0.05
    assert _prior_correction(proba, y, None)[0] == 0.0

    store, clf_dir = tiny_classifier  # 50 training curves a label: nothing to divide out
    copy = tmp_path / "clf"
    shutil.copytree(clf_dir, copy)
    clf = load_classifier(str(copy))
    assert calibrate(clf, store, "eval")["prior_weight"] == 0.0 and clf.meta.logit_offset is None
    from sasnets.stores import open_store

    with open_store(store) as handle:
        test = handle.read("test")
    before = clf.predict_proba(test)
    clf.meta.logit_offset = [0.0, 0.0, 5.0]
    shifted = clf.predict_proba(test)
    assert shifted[:, 2].mean() > before[:, 2].mean() + 0.2

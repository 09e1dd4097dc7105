import json
import os

import numpy as np
import pytest

from sasnets.errors import DataError, StoreError, UsageError
from sasnets.classifier import load_classifier
from sasnets.training.train import fit_temperature, train


def _weights(run):
    with np.load(os.path.join(run, "checkpoint", open(os.path.join(run, "checkpoint", "latest")).read().strip(),
                              "variables.npz")) as z:
        return [z[k] for k in sorted(z.files)]


@pytest.fixture(scope="module")
def trained(toy_store, tmp_path_factory, fast):
    """One 2-epoch run (seed 3) shared by the tests that only read it: ``(run dir, classifier, events)``."""
    run = str(tmp_path_factory.mktemp("trained") / "run")
    events = []
    clf = train(toy_store, run, epochs=2, seed=3, progress=events.append, **{**fast, "tensorboard": True})
    return run, clf, events


@pytest.fixture(scope="module")
def other_seed(toy_store, tmp_path_factory, fast):
    run = str(tmp_path_factory.mktemp("other") / "run")
    train(toy_store, run, epochs=2, seed=4, **fast)
    return run


@pytest.mark.slow  # trains a network
def test_training_writes_a_complete_classifier(trained):
    run, clf, events = trained
    for name in ("classifier.json", "network.keras", "history.json", "training.png", "logs", "checkpoint"):
        assert os.path.exists(os.path.join(run, name)), name
    meta = json.load(open(os.path.join(run, "classifier.json")))
    assert meta["format"] == "sasnets-classifier" and meta["version"] == 1
    assert meta["labels"] == ["guinier", "lamellar", "power_law", "sphere"]
    assert meta["qgrid"]["nq"] == 48 and meta["architecture"] == "resnet1d"
    assert meta["training"]["epochs_run"] == 2 and meta["training"]["seed"] == 3
    assert meta["data"]["counts"] == {m: 40 for m in meta["labels"]}
    assert meta["data"]["n_val"] == 16 and meta["data"]["n_train"] == 144
    assert {"sasnets", "keras", "tensorflow", "sasmodels"} <= set(meta["versions"])
    assert 0 <= meta["metrics"]["val_accuracy"] <= 1 and meta["temperature"] > 0
    history = json.load(open(os.path.join(run, "history.json")))
    assert [h["epoch"] for h in history] == [1, 2]
    kinds = [e.stage for e in events]
    assert kinds[:2] == ["data", "start"] and kinds.count("epoch_end") == 2 and kinds[-1] == "done"
    assert clf.labels == meta["labels"]


@pytest.mark.slow  # trains a network
def test_classifier_predicts_curves_on_any_q_grid(trained):
    clf = load_classifier(trained[0])
    assert clf._network is None  # lazy: nothing loaded until a prediction
    q = np.linspace(0.004, 0.3, 77)  # linear spacing, narrower than the grid
    p = clf.predict_proba_curve(q, q**-3.0)
    assert p.shape == (4,) and abs(p.sum() - 1) < 1e-5 and np.all(p >= 0)
    from sasnets.data.toy import toy_curves

    batch = toy_curves(3, seed=9, nq=(30, 200))
    probs = clf.predict_proba(batch)
    assert probs.shape == (12, 4) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(probs[0], clf.predict_proba_curve(batch.curve(0).q, batch.curve(0).iq), atol=1e-6)
    features = clf.embed(batch)
    assert features.shape[0] == 12 and features.ndim == 2
    top = clf.top_k(batch, k=2)
    assert len(top) == 12 and len(top[0]) == 2 and top[0][0][0] in clf.labels
    assert list(clf.classes_) == clf.labels  # scikit-learn's conventions: batch in, labels out
    assert list(clf.predict(batch)) == [clf.labels[j] for j in probs.argmax(axis=1)] == [t[0][0] for t in top]
    # temperature is applied to the logits
    logits = clf.logits(batch)
    clf.temperature = 2.0
    z = logits / 2.0
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    assert np.allclose(clf.predict_proba(batch), expected / expected.sum(axis=1, keepdims=True), atol=1e-5)


@pytest.mark.slow  # trains a network
def test_saved_copy_and_zip_predict_identically(trained, tmp_path):
    from sasnets.data.toy import toy_curves

    run, clf, _ = trained
    batch = toy_curves(2, seed=4)
    expected = clf.predict_proba(batch)
    copy = load_classifier(run).save(str(tmp_path / "copy"))
    assert np.allclose(load_classifier(copy).predict_proba(batch), expected, atol=1e-6)
    archive = clf.save(str(tmp_path / "clf.zip"))
    assert np.allclose(load_classifier(archive).predict_proba(batch), expected, atol=1e-6)


@pytest.mark.slow  # trains a network
def test_resume_continues_exactly_and_same_seed_gives_same_network(trained, toy_store, tmp_path, fast):
    straight, resumed = trained[0], str(tmp_path / "resumed")
    train(toy_store, resumed, epochs=2, seed=3, max_epochs_this_call=1, **fast)
    assert json.load(open(os.path.join(resumed, "checkpoint", "epoch-0001", "state.json")))["epoch"] == 1
    train(toy_store, resumed, resume=True, threads=2, tensorboard=False)
    for a, b in zip(_weights(straight), _weights(resumed)):
        assert np.array_equal(a, b)
    h1 = json.load(open(os.path.join(straight, "history.json")))
    h2 = json.load(open(os.path.join(resumed, "history.json")))
    assert [h["loss"] for h in h1] == [h["loss"] for h in h2]


@pytest.mark.slow  # trains a network
def test_resume_with_more_epochs_extends_the_run(toy_store, tmp_path, fast):
    run = str(tmp_path / "run")
    train(toy_store, run, epochs=1, seed=3, **fast)
    with pytest.raises(UsageError, match="epochs is 1, not 0"):
        train(toy_store, run, resume=True, epochs=0, tensorboard=False)
    events = []
    clf = train(toy_store, run, resume=True, epochs=3, tensorboard=False, progress=events.append)
    assert [h["epoch"] for h in json.load(open(os.path.join(run, "history.json")))] == [1, 2, 3]
    assert clf.meta.training["epochs_run"] == 3 and clf.meta.training["recipe"]["epochs"] == 3
    assert [e.done for e in events if e.stage == "epoch_end"] == [2, 3]
    plan = json.load(open(os.path.join(run, "checkpoint", "plan.json")))
    assert plan["recipe"]["epochs"] == 3  # a later --resume continues the longer run
    again = train(toy_store, run, resume=True, tensorboard=False)
    assert again.meta.training["epochs_run"] == 3


@pytest.mark.slow  # trains a network
def test_different_seed_gives_a_different_network(trained, other_seed):
    assert not all(np.array_equal(x, y) for x, y in zip(_weights(trained[0]), _weights(other_seed)))


@pytest.mark.slow  # trains a network
def test_streaming_mode_and_val_tag(toy_store, tmp_path, fast):
    run = str(tmp_path / "stream")
    clf = train(toy_store, run, epochs=1, seed=0, stream=True, **fast)
    meta = clf.meta.data
    assert meta["mode"] == "streaming" and meta["n_train"] + meta["n_val"] == 160
    run2 = str(tmp_path / "valtag")
    clf2 = train(toy_store, run2, epochs=1, seed=0, val_tag="eval", **fast)
    assert clf2.meta.data["n_val"] == 40 and clf2.meta.data["n_train"] == 160


@pytest.mark.slow  # trains a network
def test_models_option_restricts_the_labels(toy_store, tmp_path, fast):
    clf = train(toy_store, str(tmp_path / "r"), epochs=1, models=["sphere", "guinier"], **fast)
    assert clf.labels == ["guinier", "sphere"]


@pytest.mark.slow  # trains a network
def test_user_errors_are_one_line_sasnets_errors(toy_store, other_seed, tmp_path, fast):
    import shutil

    run = str(tmp_path / "run")
    shutil.copytree(other_seed, run)
    with pytest.raises(UsageError, match="already exists.*--resume.*--overwrite"):
        train(toy_store, run, epochs=1, **fast)
    with pytest.raises(UsageError, match="architecture is 'resnet1d', not 'mlp'"):
        train(toy_store, run, resume=True, arch="mlp")
    with pytest.raises(UsageError, match="no training checkpoint"):
        train(toy_store, str(tmp_path / "fresh"), resume=True)
    with pytest.raises(StoreError, match="no tag 'nope'"):
        train(toy_store, str(tmp_path / "a"), tag="nope", **fast)
    with pytest.raises(DataError, match="at least 2"):
        train(toy_store, str(tmp_path / "b"), tag="one", **fast)
    with pytest.raises(UsageError, match="did you mean"):
        train(toy_store, str(tmp_path / "c"), **{**fast, "arch": "resnet"})
    with pytest.raises(StoreError):
        train(str(tmp_path / "missing.h5"), str(tmp_path / "d"), **fast)
    with pytest.raises(UsageError, match="no curves"):
        train(toy_store, str(tmp_path / "e"), models=["sphere", "cylinder"], **fast)
    # overwrite replaces the run
    train(toy_store, run, epochs=1, overwrite=True, **fast)
    assert load_classifier(run).meta.training["epochs_run"] == 1


def test_fit_temperature_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 5))
    p = np.exp(logits / 2.5)
    p /= p.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=row) for row in p])
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.1)


@pytest.mark.slow  # trains a network
def test_a_curve_outside_the_q_grid_is_a_data_error(trained):
    clf = load_classifier(trained[0])
    q = np.linspace(2.0, 5.0, 50)  # 1/Å far above the grid, e.g. 1/nm mistaken for 1/Å
    with pytest.raises(DataError, match="1/Å"):
        clf.predict_proba_curve(q, q**-2)


@pytest.mark.slow  # trains a network
def test_sasnet2017_trains_on_its_published_input_unless_told_otherwise(toy_store, tmp_path, fast):
    opts = {k: v for k, v in fast.items() if k not in ("arch", "hyper")}
    published = train(toy_store, str(tmp_path / "published"), arch="sasnet2017", epochs=1, **opts)
    assert published.meta.preprocess.channels == ("logi",)
    assert published.meta.training["augment"]["enabled"] is False
    chosen = train(toy_store, str(tmp_path / "chosen"), arch="sasnet2017", epochs=1, augment=True,
                   preprocess={"channels": ["logi", "slope", "mask"]}, **opts)
    assert chosen.meta.preprocess.channels == ("logi", "slope", "mask")
    assert chosen.meta.training["augment"]["enabled"] is True
    default = train(toy_store, str(tmp_path / "default"), epochs=1, **fast)
    assert default.meta.preprocess.channels == ("logi", "slope", "mask")
    assert default.meta.training["augment"]["enabled"] is True


def test_epochs_built_ahead_equal_epochs_built_on_demand(toy_store):
    from sasnets.data.qgrid import QGrid
    from sasnets.training.data import prepare_data

    data = prepare_data(toy_store, qgrid=QGrid(1e-3, 0.5, 48), batch_size=32, seed=4)
    with data.prefetching() as epochs:
        ahead = [epochs.epoch_arrays(e, then=e + 1) for e in range(3)]
        out_of_order = epochs.epoch_arrays(0)  # epoch 3, built ahead, is dropped
    for e, (x, y) in enumerate(ahead):
        x0, y0 = data.epoch_arrays(e)
        assert np.array_equal(x, x0) and np.array_equal(y, y0)
    assert np.array_equal(out_of_order[0], ahead[0][0])
    assert not np.array_equal(ahead[0][0], ahead[1][0])  # each epoch draws its own augmentation

"""The loss on form-factor and structure-factor marginals (``--marginal-weight``)."""
import json
import os

import numpy as np
import pytest

from sasnets.errors import UsageError
from sasnets.networks.base import Recipe, make_loss, marginal_matrices

LABELS = ["guinier", "sphere", "sphere@hardsphere", "sphere@hayter_msa"]


def test_marginal_matrices_sum_labels_into_form_and_structure_factors():
    forms, structures = marginal_matrices(LABELS)
    assert forms.tolist() == [[1, 0], [0, 1], [0, 1], [0, 1]]  # guinier, sphere
    assert structures.tolist() == [[0, 0, 1], [0, 0, 1], [1, 0, 0], [0, 1, 0]]  # hardsphere, hayter_msa, none
    # without products no grouping merges labels: nothing to add to the loss
    assert marginal_matrices(["guinier", "sphere"]) == []


def _cross_entropy(y, logits):
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -(y * logp).sum(axis=1)


def test_marginal_loss_adds_weighted_cross_entropies_of_the_marginals():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 6)]
    plain = float(make_loss(Recipe(), LABELS)(y, logits))
    assert plain == pytest.approx(_cross_entropy(y, logits).mean(), rel=1e-5)
    assert float(make_loss(Recipe(marginal_weight=0.5), ["guinier", "sphere"])(y[:, :2], logits[:, :2])) == \
        pytest.approx(_cross_entropy(y[:, :2], logits[:, :2]).mean(), rel=1e-5)
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = _cross_entropy(y, logits)
    for group in marginal_matrices(LABELS):
        expected = expected - 0.5 * ((y @ group) * np.log(proba @ group + 1e-7)).sum(axis=1)
    assert float(make_loss(Recipe(marginal_weight=0.5), LABELS)(y, logits)) == pytest.approx(expected.mean(), rel=1e-5)
    with pytest.raises(UsageError, match="--marginal-weight"):
        Recipe(marginal_weight=-1)


@pytest.fixture(scope="module")
def product_store(tmp_path_factory):
    """Toy curves labelled as a form factor alone and with two structure factors."""
    from sasnets.data.toy import toy_curves
    from sasnets.stores.base import open_store

    path = str(tmp_path_factory.mktemp("products") / "products.h5")
    with open_store(path, "a") as store:
        for seed, suffix in enumerate(("", "@hardsphere", "@hayter_msa")):
            batch = toy_curves(16, seed=seed, models=("sphere", "guinier"), nq=60)
            batch.models = np.array([m + suffix for m in batch.models], dtype=object)
            store.write("train", batch)
    return path


@pytest.mark.slow  # trains a network
def test_cli_trains_with_the_marginal_loss_and_resume_keeps_it(product_store, tmp_path, cli_runner):
    from sasnets.cli import cli

    run = str(tmp_path / "run")
    common = ["--arch", "resnet1d", "--hyper", "widths=[8,8,16,16]", "--qmin", "0.001", "--qmax", "0.5", "--nq", "48",
              "--batch-size", "32", "--no-tensorboard", "-q"]
    result = cli_runner.invoke(cli, ["train", product_store, "-o", run, "--epochs", "1", "--marginal-weight", "0.5",
                                     *common])
    assert result.exit_code == 0, result.output
    meta = json.load(open(os.path.join(run, "classifier.json")))
    assert meta["training"]["recipe"]["marginal_weight"] == 0.5 and len(meta["labels"]) == 6
    assert np.isfinite(json.load(open(os.path.join(run, "history.json")))[0]["loss"])
    result = cli_runner.invoke(cli, ["train", product_store, "-o", run, "--resume", "--marginal-weight", "0"])
    assert result.exit_code != 0 and "marginal_weight is 0.5" in result.output

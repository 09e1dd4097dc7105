"""Warm start (--init-from): a new run begins from a trained classifier's weights."""
import json
import math
import os

import numpy as np
import pytest

from sasnets.errors import UsageError
from sasnets.networks.base import get_architecture
from sasnets.training.train import train
from sasnets.training.warm_start import copy_weights, source_label_rows

THREE = ["guinier", "power_law", "sphere"]


@pytest.fixture(scope="module")
def source(toy_store, tmp_path_factory, fast):
    """A classifier of three toy models (1 epoch)."""
    return train(toy_store, str(tmp_path_factory.mktemp("source") / "run"), epochs=1, seed=0, models=THREE, **fast)


def test_label_rows_come_from_the_same_label_or_the_form_factor():
    rows = source_label_rows(["sphere", "sphere@hayter_msa", "cylinder@hardsphere", "lamellar"],
                             ["lamellar", "sphere"])
    assert rows == [1, 1, None, 0]


@pytest.mark.slow  # trains a network
def test_copy_weights_copies_every_layer_and_maps_the_output_rows(source):
    labels = ["guinier", "lamellar", "sphere", "sphere@hardsphere", "sphere@hayter_msa"]
    net = get_architecture(source.architecture).build(source.input_shape, len(labels), **source.meta.hyper)
    untouched = [np.array(w) for w in net.layers[-1].get_weights()]
    report = copy_weights(net, source, labels)
    assert report["labels_from_source"] == 4 and report["labels_new"] == 1 and report["most_sharing_one_row"] == 3
    src = [layer for layer in source.network.layers if layer.weights]
    dst = [layer for layer in net.layers if layer.weights]
    for a, b in zip(src[:-1], dst[:-1]):
        assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    (k_src, b_src), (k_dst, b_dst) = src[-1].get_weights(), dst[-1].get_weights()
    sphere = source.labels.index("sphere")
    for j in (2, 3, 4):  # sphere and its products start from sphere's row, sharing its probability
        assert np.array_equal(k_dst[:, j], k_src[:, sphere])
        assert b_dst[j] == pytest.approx(b_src[sphere] - math.log(3), abs=1e-6)
    assert np.array_equal(k_dst[:, 0], k_src[:, source.labels.index("guinier")])
    assert np.array_equal(k_dst[:, 1], untouched[0][:, 1])  # lamellar: not in the source, as initialised


@pytest.mark.slow  # trains a network
def test_a_warm_run_takes_the_source_settings_and_records_it(source, toy_store, tmp_path, fast):
    run = str(tmp_path / "warm")
    events = []
    options = {k: v for k, v in fast.items() if k not in ("arch", "hyper", "qgrid")}
    clf = train(toy_store, run, epochs=1, seed=1, init_from=source.path, progress=events.append, **options)
    assert clf.architecture == source.architecture and clf.meta.hyper == source.meta.hyper
    assert clf.qgrid_spec.to_dict() == source.qgrid_spec.to_dict() and len(clf.labels) == 4
    assert clf.meta.training["init_from"] == os.path.abspath(source.path)
    assert json.load(open(os.path.join(run, "checkpoint", "plan.json")))["init_from"] == os.path.abspath(source.path)
    assert [e.info["labels_from_source"] for e in events if e.stage == "warm_start"] == [3]
    with pytest.raises(UsageError, match="drop --init-from"):
        train(toy_store, run, resume=True, init_from=source.path, tensorboard=False)
    with pytest.raises(UsageError, match="drop --hyper"):
        train(toy_store, str(tmp_path / "other"), epochs=1, init_from=source.path, hyper={"widths": [4, 4, 8, 8]},
              **{k: v for k, v in options.items()})
    with pytest.raises(UsageError, match="same architecture"):
        train(toy_store, str(tmp_path / "other2"), epochs=1, init_from=source.path, arch="sasnet2017", **options)


@pytest.mark.slow  # trains a network
def test_cli_init_from(source, toy_store, tmp_path, cli_runner):
    from sasnets.cli import cli

    run = str(tmp_path / "cli")
    result = cli_runner.invoke(cli, ["train", toy_store, "-o", run, "--init-from", source.path, "--epochs", "1",
                                      "--batch-size", "32", "--no-tensorboard"])
    assert result.exit_code == 0, result.output
    assert "starting from" in result.output and "3 of 4 labels" in result.output

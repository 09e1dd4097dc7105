"""The example third-party distribution in plugins/sasnets-extras, installed
through its entry point as a user would (scripts/setup.sh pip-installs it):
it shows in `sasnets plugins`, passes the conformance kit (and its own tests,
which use the kit), trains with its architecture, predicts in a fresh process,
and converts through its store."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sasnets.cli import cli
from sasnets.stores import open_store
from sasnets.testing import check_store, store_factory

pytest.importorskip("sasnets_extras", reason="plugins/sasnets-extras is not installed (pip install -e plugins/sasnets-extras)")

EXTRAS = os.path.join(os.path.dirname(__file__), "..", "..", "plugins", "sasnets-extras")


def test_plugins_command_lists_the_extras_with_their_origin(cli_runner):
    result = cli_runner.invoke(cli, ["plugins", "--json"])
    listing = json.loads(result.output)
    stores = {e["name"]: e["origin"] for e in listing["stores"]}
    archs = {e["name"]: e["origin"] for e in listing["architectures"]}
    assert stores["nxcansas"] == "extras" and archs["transformer"] == "extras"
    assert stores["hdf5"] == "sasnets (built-in)"


def test_disabling_plugins_hides_the_extras():
    out = subprocess.run([sys.executable, "-m", "sasnets", "plugins"], capture_output=True, text=True,
                         env={**__import__("os").environ, "SASNETS_DISABLE_PLUGINS": "1"}, timeout=120)
    assert out.returncode == 0 and "transformer" not in out.stdout and "hdf5" in out.stdout


def test_the_extras_store_passes_the_conformance_kit():
    check_store(store_factory("nxcansas"))


@pytest.mark.slow
def test_the_extras_own_tests_pass_with_the_kit():
    """plugins/sasnets-extras/tests runs the kit from the plugin's own pytest, as a plugin author
    does (its own rootdir, none of sasnets' fixtures); CI runs only tests/, so run it from here."""
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark",
                          "-p", "no:xdist"], cwd=EXTRAS, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout


def test_convert_through_the_extras_store_and_back(cli_runner, tmp_path, small_batch):
    src, nxs, back = str(tmp_path / "a.h5"), f"nxcansas:{tmp_path / 'nxs'}", str(tmp_path / "b.h5")
    with open_store(src, "a") as s:
        s.write("train", small_batch)
    for a, b in [(src, nxs), (nxs, back)]:
        result = cli_runner.invoke(cli, ["convert", a, b])
        assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "nxs" / "train" / "sphere").glob("*.h5"))
    assert len(files) == 4
    from sasnets.stores.measured import load_curve  # every curve file is a measured NXcanSAS file too

    curve = load_curve(str(files[0]))
    assert len(curve.q) >= 3
    with open_store(back) as s:
        assert s.counts() == {"train": {"sphere": 4, "cylinder": 4, "lamellar": 4}}


@pytest.mark.slow
def test_train_with_the_extras_architecture_and_predict_in_a_fresh_process(cli_runner, tmp_path):
    from sasnets.data.toy import toy_curves

    store = str(tmp_path / "toy.h5")
    with open_store(store, "a") as s:
        s.write("train", toy_curves(n_per_model=30, seed=0, models=("sphere", "power_law", "lamellar")))
    run = str(tmp_path / "run")
    result = cli_runner.invoke(cli, ["train", store, "-o", run, "--arch", "transformer", "--epochs", "1",
                                     "--batch-size", "32", "--hyper", "dim=16", "--hyper", "depth=1", "--seed", "0",
                                     "--no-tensorboard", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(open(f"{run}/classifier.json").read())["architecture"] == "transformer"
    q = np.logspace(-3, -0.5, 80)
    curve = tmp_path / "curve.txt"
    np.savetxt(curve, np.column_stack([q, 1e-3 * q**-3 + 1e-2]))
    out = subprocess.run([sys.executable, "-m", "sasnets", "predict", run, str(curve), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    predictions = json.loads(out.stdout)[0]["predictions"]
    assert {p["model"] for p in predictions} <= {"sphere", "power_law", "lamellar"}
    assert abs(sum(p["probability"] for p in predictions) - 1) < 1e-4 or len(predictions) < 3

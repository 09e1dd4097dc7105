"""``sasnets train``, ``sasnets tune`` and ``sasnets architectures`` from the command line."""
import json
import os
import subprocess
import sys

import pytest

from sasnets.cli import cli

TINY = ["--hyper", "widths=[8,8,16,16]", "--qmin", "0.001", "--qmax", "0.5", "--nq", "48", "--batch-size", "32",
        "--threads", "2", "--no-tensorboard"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from sasnets.data.toy import toy_curves
    from sasnets.stores.base import open_store

    path = str(tmp_path_factory.mktemp("cli-train") / "toy.h5")
    with open_store(path, "a") as s:
        s.write("train", toy_curves(30, seed=0, nq=(60, 120)))
    return path


def test_importing_sasnets_and_help_do_not_import_tensorflow():
    code = ("import sys, sasnets, sasnets.cli, sasnets.classifier, sasnets.networks; "
            "from sasnets.cli import cli; "
            "from click.testing import CliRunner; r = CliRunner().invoke(cli, ['train', '--help']); "
            "assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.slow  # trains networks
def test_train_then_resume_from_the_command_line(store, tmp_path, cli_runner):
    run = str(tmp_path / "run")
    result = cli_runner.invoke(cli, ["train", store, "-o", run, "--epochs", "2", "--seed", "1",
                                     "--augment-set", "clean_prob=0.5", "--augment-set", "noise=[0,0.02]", *TINY])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(run)
    assert "epoch   1" in result.stderr and "validation top-1" in result.stderr
    meta = json.load(open(os.path.join(run, "classifier.json")))
    assert meta["training"]["epochs_run"] == 2
    assert meta["training"]["augment"]["clean_prob"] == 0.5 and meta["training"]["augment"]["noise"] == [0, 0.02]
    again = cli_runner.invoke(cli, ["train", store, "-o", run, "--epochs", "2", *TINY])
    assert again.exit_code == 2
    assert again.stderr.count("\n") == 1 and "--resume" in again.stderr and "Traceback" not in again.output
    resumed = cli_runner.invoke(cli, ["train", store, "-o", run, "--resume", "-q", "--threads", "2", "--no-tensorboard"])
    assert resumed.exit_code == 0, resumed.output


@pytest.mark.parametrize("args, message", [
    (["--arch", "resnet"], "did you mean resnet1d"),
    (["--hyper", "nonsense"], "NAME=VALUE"),
    (["--qmin", "0.001"], "both --qmin and --qmax"),
    (["--channels", "logi,phase"], "--channels"),
    (["--models", "sphere"], "at least 2"),
    (["--tag", "eval"], "no tag 'eval'"),
    (["--augment-set", "clean_probability=0.5"], "known: "),
    (["--no-augment", "--augment-set", "clean_prob=0.5"], "--no-augment"),
])
def test_user_errors_are_one_line(store, tmp_path, cli_runner, args, message):
    result = cli_runner.invoke(cli, ["train", store, "-o", str(tmp_path / "r"), *args])
    assert result.exit_code != 0
    assert message in result.stderr and result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_missing_store_is_one_line(tmp_path, cli_runner):
    result = cli_runner.invoke(cli, ["train", str(tmp_path / "nope.h5"), "-o", str(tmp_path / "r")])
    assert result.exit_code != 0 and "does not exist" in result.stderr and result.stderr.count("\n") == 1


def test_architectures_lists_the_builtins(cli_runner):
    result = cli_runner.invoke(cli, ["architectures", "--json"])
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert {"resnet1d", "sasnet2017", "mlp"} <= set(rows)
    assert rows["resnet1d"]["default"] and rows["sasnet2017"]["recipe"]["optimizer"] == "adadelta"
    # the baseline reads its 2017 input and trains unaugmented unless told otherwise
    assert rows["sasnet2017"]["recipe"]["channels"] == ["logi"] and rows["sasnet2017"]["recipe"]["augment"] is False
    assert rows["resnet1d"]["recipe"]["channels"] is None and rows["resnet1d"]["recipe"]["augment"] is True


@pytest.mark.slow  # trains networks
def test_tune_runs_trials_resumes_and_writes_the_best(store, tmp_path, cli_runner):
    out = str(tmp_path / "tune")
    args = ["tune", store, "-o", out, "--arch", "mlp", "--trial-epochs", "1", "--nq", "48", "--qmin", "0.001",
            "--qmax", "0.5", "--threads", "2", "--seed", "3"]
    first = cli_runner.invoke(cli, [*args, "--trials", "2"])
    assert first.exit_code == 0, first.output
    assert os.path.exists(os.path.join(out, "study.db"))
    assert json.load(open(os.path.join(out, "best", "classifier.json")))["training"]["tune"]["trials"] == 2
    more = cli_runner.invoke(cli, [*args, "--trials", "3"])
    assert more.exit_code == 0, more.output
    assert "2 of 3 trials done, running 1" in more.stderr
    assert sorted(os.listdir(os.path.join(out, "trials"))) == ["0000", "0001", "0002"]

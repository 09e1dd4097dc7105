"""sasnets evaluate: the table, --json, --calibrate-on and errors."""
import json
import shutil

import pytest

from sasnets.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tiny_classifier")]


def test_table_and_json(tiny_classifier, cli_runner):
    store, clf = tiny_classifier
    table = cli_runner.invoke(cli, ["evaluate", clf, store, "--tag", "test", "-q"])
    assert table.exit_code == 0, table.output
    assert "top-1 accuracy" in table.stdout and "95 % credible set" in table.stdout
    assert "q window (background < 3 % of the peak)" in table.stdout and "decades" in table.stdout
    out = json.loads(cli_runner.invoke(cli, ["evaluate", clf, store, "--json", "-q"]).stdout)
    for key in ("top1", "top3", "top5", "per_model", "per_family", "credible68", "credible95", "ece", "by_q_window"):
        assert key in out
    assert 0 <= out["top1"] <= out["top3"] <= out["top5"] <= 1
    assert out["n"] == 60


def test_calibrate_on_validation_tag(tiny_classifier, cli_runner, tmp_path):
    store, clf = tiny_classifier
    copy = str(tmp_path / "clf")
    shutil.copytree(clf, copy)
    result = cli_runner.invoke(cli, ["evaluate", copy, store, "--calibrate-on", "eval", "--json", "-q"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    saved = json.load(open(f"{copy}/classifier.json"))
    assert saved["temperature"] == pytest.approx(out["calibration"]["temperature"])
    assert out["temperature"] == pytest.approx(saved["temperature"])
    same = cli_runner.invoke(cli, ["evaluate", copy, store, "--calibrate-on", "test"])
    assert same.exit_code == 2 and "different" in same.stderr


def test_errors_are_one_line(tiny_classifier, cli_runner, tmp_path):
    store, clf = tiny_classifier
    for args in (["evaluate", clf, store, "--tag", "nope"], ["evaluate", str(tmp_path / "none"), store],
                 ["evaluate", clf, str(tmp_path / "missing.h5")]):
        result = cli_runner.invoke(cli, args)
        assert result.exit_code != 0
        assert result.stderr.count("\n") <= 2 and "Traceback" not in result.output, result.output

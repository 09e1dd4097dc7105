"""sasnets analyze: plots, tables and index.html for a trained classifier."""
import os

import pytest

from sasnets.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tiny_classifier")]


def test_report_directory(tiny_classifier, cli_runner, tmp_path):
    store, clf = tiny_classifier
    out = tmp_path / "report"
    result = cli_runner.invoke(cli, ["analyze", clf, store, "--tag", "test", "-o", str(out), "-q",
                                     "--analyzers", "metrics,confusion,dendrogram,accuracy,calibration,tsne"])
    assert result.exit_code == 0, result.output
    for name in ("confusion_matrix", "dendrogram", "per_model_accuracy", "calibration", "tsne"):
        assert (out / f"{name}.png").stat().st_size > 1000
        assert (out / f"{name}.pdf").exists()
    page = (out / "index.html").read_text()
    assert "confusion_matrix.png" in page and "top-1 accuracy" in page
    assert "index.html" in result.stdout


def test_unknown_analyzer(tiny_classifier, cli_runner, tmp_path):
    store, clf = tiny_classifier
    result = cli_runner.invoke(cli, ["analyze", clf, store, "-o", str(tmp_path / "r"), "--analyzers", "confuson"])
    assert result.exit_code == 2 and "did you mean confusion" in result.stderr
    assert not os.path.exists(tmp_path / "r" / "index.html")

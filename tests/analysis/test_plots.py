"""Analyzers and the HTML report on a synthetic result over every sasmodels model."""
import csv
import json
import os

import numpy as np
import pytest

from sasnets.analysis.confusion import confusion_distance, dendrogram_order
from sasnets.analysis.report import analyzer_names, run_analyzers, write_index
from sasnets.errors import UsageError
from sasnets.plugins import get_registry
from sasnets.testing import parametrize_with_checks, synthetic_result


@parametrize_with_checks("analyzers", get_registry("analyzers").names(), marks={"tsne": [pytest.mark.slow]})
def test_analyzer_conformance(name, check):
    """Every registered analyzer (plugins' too) writes non-empty files inside outdir, and copes
    without embeddings."""
    check(name)


def test_confusable_pairs_end_up_next_to_each_other():
    r = synthetic_result()
    d = confusion_distance(r.proba, r.y)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    order = list(dendrogram_order(r.proba, r.y))
    assert sorted(order) == list(range(12))
    adjacent = sum(abs(order.index(i) - order.index((i + 1) % 12)) == 1 for i in range(12))
    assert adjacent >= 8  # most confused pairs are neighbours in the leaf order


def test_every_builtin_analyzer_writes_png_and_pdf_and_the_index_shows_them(tmp_path):
    r = synthetic_result()
    names = analyzer_names(None)
    assert {"confusion", "dendrogram", "tsne", "accuracy", "calibration", "metrics"} <= set(names)
    artifacts = run_analyzers(r, str(tmp_path), [n for n in names if n in
                                                 ("confusion", "dendrogram", "tsne", "accuracy", "calibration", "metrics")])
    for name in ("confusion", "dendrogram", "tsne", "accuracy", "calibration"):
        exts = sorted(os.path.splitext(p)[1] for p in artifacts[name])
        assert exts == [".pdf", ".png"], name
        for p in artifacts[name]:
            assert os.path.getsize(p) > 1000
    with open(tmp_path / "per_model.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12 and set(rows[0]) >= {"model", "family", "top1"}
    assert json.loads((tmp_path / "metrics.json").read_text())["metrics"]["top1"] == r.metrics["top1"]
    index = write_index(r, str(tmp_path), artifacts)
    page = open(index).read()
    for png in ("confusion_matrix.png", "dendrogram.png", "tsne.png", "per_model_accuracy.png", "calibration.png"):
        assert f'src="{png}"' in page
    assert "top-1 accuracy" in page and f"{r.metrics['top1']:.1%}" in page


def test_confusion_matrix_for_all_sasmodels_models_is_large_enough_to_read(tmp_path):
    from PIL import Image

    r = synthetic_result(k=83, per=3, embeddings=False)
    png = run_analyzers(r, str(tmp_path), ["confusion"])["confusion"][0]
    width, height = Image.open(png).size
    assert width > 1800 and height > 1800  # ~25 px per model row at 150 dpi


def test_tsne_is_skipped_without_embeddings(tmp_path):
    r = synthetic_result(embeddings=False)
    assert run_analyzers(r, str(tmp_path), ["tsne"]) == {"tsne": []}


def test_unknown_analyzer_suggests_the_close_name():
    with pytest.raises(UsageError, match="did you mean confusion"):
        analyzer_names("confuson")


def test_the_index_shows_top1_by_background_and_q_window_when_the_evaluation_has_them(tmp_path):
    from sasnets.analysis.conditions import accuracy_by_conditions

    r = synthetic_result(embeddings=False)
    n = len(r.y)
    rng = np.random.default_rng(2)
    r.metrics.update(accuracy_by_conditions(r.proba.argmax(1) == r.y,
                                            {"background_to_peak": 10 ** rng.uniform(-5, 0, n),
                                             "q_decades": rng.uniform(1, 3, n)}))
    page = open(write_index(r, str(tmp_path), {})).read()
    assert "Top-1 by flat background" in page and "&gt;= 80 %" in page
    assert "Top-1 by q window" in page and "1.5-2 decades" in page
    bare = synthetic_result(embeddings=False)  # an evaluation saved before these existed
    assert "Top-1 by flat background" not in open(write_index(bare, str(tmp_path), {})).read()


def test_fit_plot_labels_intensity_with_the_files_units(tmp_path):
    """As SasView does: 1/cm for absolute data, arbitrary units when the file does not say."""
    from unittest import mock

    from sasnets.analysis.fit_plot import intensity_label, plot_fits
    from sasnets.data import Curve

    q = np.geomspace(0.01, 0.3, 30)
    absolute = Curve(q=q, iq=1 / (1 + (50 * q) ** 4), diq=np.full(30, 0.01), iq_units="1/cm")
    unknown = Curve(q=q, iq=absolute.iq, diq=absolute.diq)
    assert intensity_label(absolute) == "I(q) (1/cm)"
    assert intensity_label(unknown) == "I(q) (arbitrary units)"
    from matplotlib.axes import Axes

    with mock.patch.object(Axes, "set_ylabel", autospec=True, side_effect=Axes.set_ylabel) as set_ylabel:
        plot_fits(absolute, [], tmp_path / "fit.png")
    assert "I(q) (1/cm)" in [call.args[1] for call in set_ylabel.call_args_list]
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"

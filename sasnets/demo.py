"""The end-to-end demonstration behind ``sasnets demo``.

One call walks the whole workflow on the embedded default store (HDF5), small
enough for a laptop CPU in a few minutes:

1. simulate instrument-like curves (``--preset instrument``) of a handful of
   cheap scattering models into ``OUTDIR/demo.h5`` (train and test tags);
2. train a small network on them (``OUTDIR/classifier``);
3. evaluate it on the test tag and write the analysis report
   (``OUTDIR/report/index.html``: metrics, confusion matrix, plots);
4. classify the bundled example curve (:data:`EXAMPLE_CURVE`) and fit the
   classifier's top candidates to it; the fit plot and table join the report.

Every stage is re-runnable: the store is topped up (nothing regenerated), a
finished classifier is reused and an interrupted one resumed.  Progress goes
through the optional ``progress`` callable (:class:`~sasnets.progress.Progress`
events; stages ``generate train``, ``generate test``, ``train`` (epochs),
``evaluate``, ``analyze``, ``fit example``); the function never prints.
"""
from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .progress import ProgressCallback, notifier

__all__ = ["DEMO_MODELS", "EXAMPLE_CURVE", "DemoResult", "run_demo", "example_curve_path"]

#: cheap scattering models (about 1 ms per curve) with clearly different shapes
DEMO_MODELS = ("sphere", "core_shell_sphere", "cylinder", "ellipsoid", "lamellar", "guinier_porod")
#: the bundled example: a simulated cylinder measurement (q, I, dI, dQ)
EXAMPLE_CURVE = "cylinder_example.txt"



def example_curve_path() -> str:
    """Path of the bundled example curve file (written by ``scripts/make_example_curve.py``, whose docstring says how it was simulated)."""
    return str(Path(__file__).resolve().parent / "examples" / EXAMPLE_CURVE)


@dataclass
class DemoResult:
    """What :func:`run_demo` produced: paths, test metrics and the example's fits."""

    outdir: str
    store: str
    classifier: str
    report: str
    metrics: dict
    example: str
    predictions: list = field(default_factory=list)  # [(model, probability)], most probable first
    fits: list = field(default_factory=list)  # ranked FitResult


def run_demo(outdir: str = "sasnets-demo", *, models: Sequence[str] = DEMO_MODELS, count: int = 600,
             test_count: int | None = None, epochs: int = 15, arch: str = "resnet1d", batch_size: int = 64,
             top: int = 3,
             fit_budget_s: float | None = None, seed: int = 0, workers: int | None = None,
             threads: int | None = None, analyzers: Sequence[str] | None = None,
             progress: ProgressCallback | None = None) -> DemoResult:
    """Generate, train, evaluate, classify and fit; returns a :class:`DemoResult`.

    ``count`` training curves (``test_count``, default ``count // 4``, test
    curves) of each of ``models``; ``epochs`` of ``arch`` in batches of
    ``batch_size`` (small, so a small dataset still gives many steps); the example curve's
    ``top`` candidates are fitted for at most ``fit_budget_s`` seconds each (``sasnets fit``'s default).
    ``seed`` fixes every random draw.  ``analyzers`` defaults to the
    built-in report analyzers without t-SNE (the slowest).
    """
    from .analysis.evaluate import evaluate
    from .analysis.fit_plot import plot_fits
    from .fitting import DEFAULT_BUDGET_S, classifier_probabilities, fit_candidates
    from .analysis.report import run_analyzers, write_index
    from .simulate.generation import generate
    from .simulate.options import GenerationOptions
    from .stores.measured import load_curve
    from .classifier import META_FILE, load_classifier
    from .training.train import train

    notify = notifier(progress)
    outdir = os.path.abspath(os.fspath(outdir))
    os.makedirs(outdir, exist_ok=True)
    store = os.path.join(outdir, "demo.h5")
    run_dir = os.path.join(outdir, "classifier")
    report_dir = os.path.join(outdir, "report")
    test_count = max(1, count // 4) if test_count is None else test_count
    options = GenerationOptions.preset("instrument")

    # 1. data: topped up, so a rerun resumes where an interrupted one stopped
    for tag, n, tag_seed in (("train", count, seed), ("test", test_count, seed + 1)):
        generate(store, list(models), n, tag=tag, options=options, seed=tag_seed, workers=workers,
                 progress=lambda event, tag=tag: notify(f"generate {tag}", event.done, event.total))

    # 2. network: reuse a finished one, resume an interrupted one
    if os.path.exists(os.path.join(run_dir, META_FILE)):
        classifier = load_classifier(run_dir)
        notify("train", epochs, epochs)
    else:
        def on_train(event):
            if event.stage == "epoch_end":
                notify("train", event.done, event.total)

        classifier = train(store, run_dir, arch=arch, epochs=epochs, batch_size=batch_size, seed=seed,
                           tensorboard=False,
                           threads=threads, resume=os.path.isdir(os.path.join(run_dir, "checkpoint")),
                           progress=on_train)

    # 3. evaluation and report
    result = evaluate(classifier, store, "test", seed=seed, progress=progress)
    names = list(analyzers) if analyzers is not None else ["metrics", "confusion", "dendrogram",
                                                             "accuracy", "calibration"]
    artifacts = run_analyzers(result, report_dir, names, progress=progress)

    # 4. the example curve: classify, fit the top candidates, plot
    example = example_curve_path()
    curve = load_curve(example)
    probabilities = classifier_probabilities(classifier, curve)
    predictions = sorted(probabilities.items(), key=lambda kv: -kv[1])[:top]
    notify("fit example", 0, top)
    fits = fit_candidates(curve, classifier, top=top, budget_s=fit_budget_s or DEFAULT_BUDGET_S, seed=seed,
                          workers=workers)
    notify("fit example", top, top)
    fit_png = plot_fits(curve, fits, os.path.join(report_dir, "example_fit.png"),
                        title=f"{os.path.basename(example)}: ranked fits")
    fit_json = os.path.join(report_dir, "example_fit.json")
    with open(fit_json, "w") as fh:
        json.dump({"file": example, "predictions": predictions, "fits": [_fit_record(r) for r in fits]},
                  fh, indent=1)
    artifacts["example fit"] = [os.fspath(fit_png), fit_json]
    index = write_index(result, report_dir, artifacts, title="sasnets demo")
    _append_example_section(index, example, predictions, fits)
    return DemoResult(outdir=outdir, store=store, classifier=run_dir, report=index, metrics=result.metrics,
                      example=example, predictions=predictions, fits=list(fits))


def _fit_record(r) -> dict:
    """JSON-safe summary of one ranked fit."""
    return {"rank": r.rank, "model": r.model, "chi2_dof": _num(r.chi2 / r.dof if r.dof else None),
            "probability": _num(r.probability), "posterior": _num(r.posterior), "success": bool(r.success),
            "parameters": {k: [_num(v[0]), _num(v[1])] for k, v in r.parameters.items()}}


def _num(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if x == x and abs(x) != float("inf") else None


def _append_example_section(index: str, example: str, predictions, fits) -> None:
    """Add a table of the example's predictions and fits before ``</body>`` of the report."""
    rows = "".join(
        f"<tr><td>{r.rank}</td><td>{html.escape(r.model)}</td><td>{_fmt(_num(r.probability), True)}</td>"
        f"<td>{_fmt(_num(r.chi2 / r.dof) if r.dof else None)}</td><td>{_fmt(_num(r.posterior), True)}</td></tr>"
        for r in fits)
    section = (f"<h2>Example curve: {html.escape(os.path.basename(example))}</h2>"
               f"<p>Most probable scattering models: "
               + ", ".join(f"{html.escape(m)} ({p:.1%})" for m, p in predictions)
               + "</p><table><tr><th>rank</th><th>model</th><th>network probability</th>"
                 "<th>&chi;&sup2;/dof</th><th>posterior</th></tr>" + rows + "</table>"
               '<p>The plot is under "example fit" above.</p>')
    with open(index) as fh:
        text = fh.read()
    text = text.replace("</body>", section + "</body>") if "</body>" in text else text + section
    with open(index, "w") as fh:
        fh.write(text)


def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:.3g}"

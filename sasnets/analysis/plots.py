"""Built-in analyzers: plots of an :class:`~sasnets.analysis.evaluate.EvaluationResult`.

Each analyzer is ``analyzer(results, outdir) -> [paths]`` and writes a PNG and
a PDF of one figure (the ``metrics`` analyzer writes JSON and CSV tables).
They are registered in :mod:`sasnets.analysis._plugin` and run by
``sasnets analyze``.  matplotlib runs headless (Agg); figure and font sizes
scale with the number of scattering models so that 80+ labels stay readable.
"""
from __future__ import annotations

import csv
import json
import os

import numpy as np

from .confusion import confusion_linkage, dendrogram_order, row_normalised
from .families import family_sort_key
from .metrics import confusion_matrix, reliability_bins

__all__ = ["confusion_matrix_plot", "dendrogram_plot", "tsne_plot", "per_model_accuracy_plot",
           "calibration_plot", "metrics_tables", "TSNE_MAX_POINTS"]

#: t-SNE is quadratic-ish in time; larger results are subsampled (seeded)
TSNE_MAX_POINTS = 2000


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, outdir: str, stem: str) -> list[str]:
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = os.path.join(outdir, f"{stem}.{ext}")
        fig.savefig(path, dpi=150 if ext == "png" else None, bbox_inches="tight")
        paths.append(path)
    _pyplot().close(fig)
    return paths


def _label_fontsize(k: int) -> float:
    return float(np.clip(420.0 / max(k, 1), 4.0, 10.0))


def _family_colours(families) -> dict:
    plt = _pyplot()
    names = sorted(set(families), key=family_sort_key)
    # saturated colours only, so coloured tick labels stay readable on white
    palette = [plt.get_cmap("tab10")(i) for i in range(10)] + [plt.get_cmap("Dark2")(i) for i in range(8)]
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


def _title(results, what: str) -> str:
    info = results.info or {}
    arch = info.get("architecture") or "classifier"
    tag = info.get("tag")
    return f"{what} — {arch}" + (f", tag {tag!r}" if tag else "") + f", {len(results.y)} curves"


def _present(results) -> np.ndarray:
    """Label indices that have curves (analyses over models without curves say nothing)."""
    return np.flatnonzero(np.bincount(results.y, minlength=len(results.labels)) > 0)


def confusion_matrix_plot(results, outdir: str) -> list[str]:
    """Row-normalised confusion matrix, models ordered by the confusion dendrogram."""
    plt = _pyplot()
    k = len(results.labels)
    order = dendrogram_order(results.proba, results.y)
    c = row_normalised(confusion_matrix(results.proba, results.y))[np.ix_(order, order)]
    labels = [results.labels[i] for i in order]
    size = float(np.clip(0.16 * k + 3.0, 5.0, 22.0))
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    from matplotlib.colors import PowerNorm

    # white at zero and a square-root scale, so that rare confusions (a few %) are visible
    im = ax.imshow(c, cmap="magma_r", norm=PowerNorm(0.5, vmin=0, vmax=1), interpolation="nearest")
    fs = _label_fontsize(k)
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(labels, rotation=90, fontsize=fs)
    ax.set_yticklabels(labels, fontsize=fs)
    colours = _family_colours(results.families)
    for tick, i in zip(ax.get_xticklabels(), order):
        tick.set_color(colours[results.families[i]])
    for tick, i in zip(ax.get_yticklabels(), order):
        tick.set_color(colours[results.families[i]])
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if c[i, j] >= 0.005:
                    ax.text(j, i, f"{c[i, j]:.2f}", ha="center", va="center", fontsize=fs * 0.8,
                            color="white" if c[i, j] > 0.3 else "black")
    ax.set_xlabel("predicted scattering model")
    ax.set_ylabel("true scattering model")
    ax.set_title(_title(results, "Confusion matrix (rows sum to 1)"), fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.035, pad=0.02, label="fraction of the true model's curves")
    return _save(fig, outdir, "confusion_matrix")


def dendrogram_plot(results, outdir: str) -> list[str]:
    """Dendrogram of confusable scattering models (distance 1 − symmetrised confusion)."""
    from scipy.cluster.hierarchy import dendrogram

    plt = _pyplot()
    k = len(results.labels)
    if k < 2:
        return []
    link = confusion_linkage(results.proba, results.y)
    height = float(np.clip(0.14 * k + 1.5, 3.0, 16.0))
    fig, ax = plt.subplots(figsize=(8.0, height))
    dendrogram(link, labels=list(results.labels), orientation="left", ax=ax, leaf_font_size=_label_fontsize(k),
               color_threshold=0.7 * float(link[:, 2].max()) if len(link) else 0, above_threshold_color="0.6")
    colours = _family_colours(results.families)
    family_of = dict(zip(results.labels, results.families))
    for tick in ax.get_yticklabels():
        tick.set_color(colours.get(family_of.get(tick.get_text()), "black"))
    ax.set_xlabel("distance = 1 − mean confusion rate between the two models (0: always confused)")
    ax.set_title(_title(results, "Confusable scattering models"), fontsize=10)
    handles = [plt.Line2D([], [], color=col, lw=6, label=name) for name, col in colours.items()]
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.45 / height * 3),
              ncol=4, title="family", title_fontsize=7, frameon=False)
    return _save(fig, outdir, "dendrogram")


def tsne_plot(results, outdir: str) -> list[str]:
    """t-SNE map of the network's penultimate embeddings, coloured by true scattering-model family."""
    if results.embeddings is None or len(results.embeddings) < 5:
        return []
    from sklearn.manifold import TSNE

    plt = _pyplot()
    seed = int((results.info or {}).get("seed") or 0)
    rng = np.random.default_rng(seed)
    idx = np.arange(len(results.y))
    if len(idx) > TSNE_MAX_POINTS:
        idx = np.sort(rng.choice(idx, TSNE_MAX_POINTS, replace=False))
    emb = np.asarray(results.embeddings[idx], dtype=np.float64)
    perplexity = float(min(30.0, max(2.0, (len(idx) - 1) / 3.0)))
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(emb)
    families = np.array([results.families[i] for i in results.y[idx]], dtype=object)
    colours = _family_colours(results.families)
    fig, ax = plt.subplots(figsize=(8.5, 7.0))
    for name, colour in colours.items():
        sel = families == name
        if sel.any():
            ax.scatter(xy[sel, 0], xy[sel, 1], s=6, color=colour, label=f"{name} ({int(sel.sum())})", alpha=0.8,
                       linewidths=0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(_title(results, "t-SNE of penultimate-layer embeddings"), fontsize=10)
    ax.legend(fontsize=7, markerscale=2.5, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False,
              title="true family", title_fontsize=8)
    return _save(fig, outdir, "tsne")


def per_model_accuracy_plot(results, outdir: str) -> list[str]:
    """Top-1 accuracy of each scattering model, grouped by family, with top-3 as a lighter bar."""
    plt = _pyplot()
    per = results.metrics.get("per_model", {})
    present = [results.labels[i] for i in _present(results)]
    family_of = dict(zip(results.labels, results.families))
    names = sorted(present, key=lambda m: (family_sort_key(family_of[m]), -per[m]["top1"], m))
    k = len(names)
    height = float(np.clip(0.16 * k + 1.5, 3.0, 18.0))
    fig, ax = plt.subplots(figsize=(8.0, height))
    colours = _family_colours(results.families)
    ypos = np.arange(k)[::-1]
    top3 = [per[m]["top3"] for m in names]
    top1 = [per[m]["top1"] for m in names]
    cols = [colours[family_of[m]] for m in names]
    ax.barh(ypos, top3, color=cols, alpha=0.3, height=0.8, label="top-3")
    ax.barh(ypos, top1, color=cols, height=0.8, label="top-1")
    ax.set_yticks(ypos)
    ax.set_yticklabels(names, fontsize=_label_fontsize(k))
    for tick, m in zip(ax.get_yticklabels(), names):
        tick.set_color(colours[family_of[m]])
    overall = results.metrics.get("top1")
    if overall is not None:
        ax.axvline(overall, color="k", lw=0.8, ls="--", label=f"overall top-1 {overall:.1%}")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, k - 0.4)
    ax.set_xlabel("accuracy (dark: top-1, light: top-3)")
    ax.set_title(_title(results, "Accuracy per scattering model"), fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, outdir, "per_model_accuracy")


def calibration_plot(results, outdir: str) -> list[str]:
    """Reliability diagram: accuracy of the top prediction against its confidence, with ECE."""
    plt = _pyplot()
    bins = reliability_bins(results.proba, results.y)
    edges = bins["edges"]
    centres = (edges[:-1] + edges[1:]) / 2
    width = edges[1] - edges[0]
    used = bins["count"] > 0
    fig, (ax, hist) = plt.subplots(2, 1, figsize=(6, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect calibration")
    ax.bar(centres[used], bins["accuracy"][used], width=width * 0.95, color="tab:blue", alpha=0.8,
           label="accuracy in bin")
    low = np.minimum(bins["confidence"], bins["accuracy"])[used]
    gap = np.abs(bins["confidence"] - bins["accuracy"])[used]
    ax.bar(centres[used], gap, bottom=low, width=width * 0.95, color="tab:red", alpha=0.25, edgecolor="tab:red",
           hatch="//", label="gap to mean confidence")
    ax.plot(centres[used], bins["confidence"][used], "_", color="tab:red", ms=14, mew=2, label="mean confidence")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy of the top prediction")
    ece = results.metrics.get("ece", float("nan"))
    temp = results.metrics.get("temperature")
    extra = f", temperature {temp:.3g}" if temp is not None else ""
    ax.set_title(_title(results, f"Calibration (ECE {ece:.3f}{extra})"), fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    hist.bar(centres, bins["count"], width=width * 0.95, color="0.5")
    hist.set_xlabel("confidence (probability of the top prediction)")
    hist.set_ylabel("curves")
    hist.set_xlim(0, 1)
    return _save(fig, outdir, "calibration")


def metrics_tables(results, outdir: str) -> list[str]:
    """``metrics.json`` (everything) and ``per_model.csv`` (one row per scattering model)."""
    os.makedirs(outdir, exist_ok=True)
    json_path = os.path.join(outdir, "metrics.json")
    with open(json_path, "w") as fh:
        json.dump({"metrics": results.metrics, "info": results.info}, fh, indent=2, default=float)
        fh.write("\n")
    csv_path = os.path.join(outdir, "per_model.csv")
    family_of = dict(zip(results.labels, results.families))
    with open(csv_path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["model", "family", "curves", "top1", "top3", "mean_rank", "mean_probability"])
        for model, m in sorted(results.metrics.get("per_model", {}).items()):
            writer.writerow([model, family_of.get(model, ""), m["n"], f"{m['top1']:.4f}", f"{m['top3']:.4f}",
                             f"{m['mean_rank']:.3f}", f"{m['mean_probability']:.4f}"])
    return [json_path, csv_path]

"""Fit-verified accuracy: is a classifier's answer as good as the truth when judged by a fit?

Two scattering models can describe the same curve equally well (a sphere and
a core-shell sphere with a matched shell), and then no network can tell them
apart.  A curve counts as correct when its true model is among the top ``k``
candidates, or when one of them fits as well as the true model
(:func:`verify_curve`).  Fits come from :mod:`sasnets.fitting`.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from typing import Sequence

import numpy as np

from ..errors import UsageError
from ..progress import ProgressCallback, notifier
from ..classifier.factors import split_label
from ..fitting import FitJob, FitResult, map_fits, rank_fits

__all__ = ["verify_curve", "fits_as_well", "as_good_as", "top1_outcome", "fit_verified_accuracy", "fit_verified_accuracy_on_store"]

#: most common pairs reported by :func:`fit_verified_accuracy_on_store`
PAIRS_SHOWN = 15


def verify_curve(true_fit: FitResult | None, candidate_fits: Sequence[FitResult], tolerance: float = 0.1) -> bool:
    """True when some candidate fits as well as the true model
    (:func:`fits_as_well`).  A candidate that *is* the true model
    (``true_fit is None``) always passes; when the true model's own fit failed,
    any candidate that fitted passes (the benefit of the doubt)."""
    if true_fit is None:
        return True
    good = [f for f in candidate_fits if f.success and math.isfinite(f.reduced_chi2)]
    if not good:
        return False
    if not (true_fit.success and math.isfinite(true_fit.reduced_chi2)):
        return True
    return any(fits_as_well(f, true_fit, tolerance) for f in good)


def fits_as_well(candidate: FitResult | None, reference: FitResult, tolerance: float = 0.1) -> bool:
    """True when ``candidate`` fits the curve as well as ``reference``: its
    reduced chi-square is at most ``(1 + tolerance)`` times the reference's,
    or at most 1 (within the error bars: no fit can do meaningfully better,
    which matters on noiseless curves where both are far below 1)."""
    if candidate is None or not candidate.success or not math.isfinite(candidate.reduced_chi2):
        return False
    return candidate.reduced_chi2 <= max(reference.reduced_chi2 * (1.0 + tolerance), 1.0)


def as_good_as(candidate: FitResult | None, reference: FitResult, tolerance: float = 0.1) -> bool:
    """True when ``candidate`` :func:`fits_as_well` as ``reference`` with no
    more free parameters: the data cannot prefer the reference, so the
    candidate is as good an answer (how a first answer is judged against the
    accepted model of a measured file, or the true model of a simulated curve)."""
    return candidate is not None and candidate.nparams <= reference.nparams \
        and fits_as_well(candidate, reference, tolerance)


def top1_outcome(true_fit: FitResult | None, top1_fit: FitResult | None, tolerance: float = 0.1) -> str:
    """What fitting says of a curve's top-1 answer: ``"right"`` (it is the true
    model, ``true_fit is None``), ``"equivalent"`` (wrong, but it fits as well
    as the true model, whose fit is adequate: :func:`fits_as_well`), ``"worse"`` (wrong, and the true model fits
    adequately and better: the data tell them apart) or ``"unresolved"``
    (wrong, and the true model's own fit is not adequate, so the fits cannot
    judge).  Stricter than :func:`verify_curve`, which gives the benefit of the
    doubt when the true model's fit fails."""
    if true_fit is None:
        return "right"
    if not true_fit.acceptable:
        return "unresolved"
    return "equivalent" if fits_as_well(top1_fit, true_fit, tolerance) else "worse"


def _top1_figures(curves: Sequence, tops: list, fits: list, tolerance: float) -> dict:
    """Fractions of :func:`top1_outcome` over the curves, top-1 counted right
    when it is right or equivalent (pair and form factor), and the most common
    ``[true, answered, curves]`` pairs of the equivalent and the worse answers."""
    outcomes = [top1_outcome(fits[i].get(curve.model) if curve.model != top[0] else None, fits[i].get(top[0]),
                             tolerance) for i, (curve, top) in enumerate(zip(curves, tops))]
    n = max(len(curves), 1)
    same_form = [split_label(curve.model)[0] == split_label(top[0])[0] for curve, top in zip(curves, tops)]

    def pairs(kind):
        found = Counter((c.model, t[0]) for c, t, o in zip(curves, tops, outcomes) if o == kind)
        return [[a, b, count] for (a, b), count in found.most_common(PAIRS_SHOWN)]
    share = {kind: sum(o == kind for o in outcomes) / n for kind in ("equivalent", "worse", "unresolved")}
    return {"top1_fit_verified": sum(o in ("right", "equivalent") for o in outcomes) / n,
            "form_factor_top1": sum(same_form) / n,
            "form_factor_top1_fit_verified": sum(s or o == "equivalent" for s, o in zip(same_form, outcomes)) / n,
            "top1_equivalent": share["equivalent"], "top1_worse": share["worse"],
            "top1_unresolved": share["unresolved"],
            "equivalent_pairs": pairs("equivalent"), "worse_pairs": pairs("worse")}


def _checked_sample(curves, probabilities, labels) -> tuple[list, np.ndarray]:
    """The curves as a list and the probabilities as an array of the matching shape."""
    probabilities = np.asarray(probabilities, dtype=float)
    curves = list(curves)
    if probabilities.shape != (len(curves), len(labels)):
        raise UsageError(f"probabilities must have shape ({len(curves)}, {len(labels)}), got {probabilities.shape}.")
    return curves, probabilities


def _fit_sample(curves: Sequence, probabilities: np.ndarray, labels: list, k: int, tolerance: float,
                rerank: bool, options: dict, workers: int | None,
                progress: ProgressCallback | None) -> dict:
    """Fit each curve's top-``k`` candidates (all curves when ``rerank``, else
    only those whose true model is not among them) and, where it is missing,
    its true model; return the fit-verified and the re-ranked top-1
    fractions and what the fits say of the top-1 answers (:func:`_top1_figures`)."""
    tops = [[labels[j] for j in np.argsort(-p, kind="stable")[:k]] for p in probabilities]
    jobs, owner = [], []
    for i, (curve, p, top) in enumerate(zip(curves, probabilities, tops)):
        if curve.model in top and not rerank:
            continue
        for name in top + ([] if curve.model in top else [curve.model]):
            probability = float(p[labels.index(name)]) if name in top else None
            jobs.append(FitJob(curve, name, {**options, "probability": probability}))
            owner.append(i)
    fits = [{} for _ in curves]
    notify = notifier(progress)
    notify("fit-verify", 0, len(jobs), "fit-verify")
    for done, (j, res) in enumerate(map_fits(jobs, workers=workers), 1):
        fits[owner[j]][jobs[j].model] = res
        notify("fit-verify", done, len(jobs), "fit-verify")
    verified = [curve.model in top or verify_curve(fits[i][curve.model], [fits[i][m] for m in top], tolerance)
                for i, (curve, top) in enumerate(zip(curves, tops))]
    out = {"fit_verified": float(np.mean(verified))}
    if rerank or k == 1:  # every curve whose top-1 is wrong had it and its true model fitted
        out.update(_top1_figures(curves, tops, fits, tolerance))
    if rerank:
        neutral = 1.0 / len(labels)
        out["reranked_top1"] = float(np.mean([
            rank_fits([fits[i][m] for m in top], default_probability=neutral, by="posterior")[0].model == curve.model
            for i, (curve, top) in enumerate(zip(curves, tops))]))
    return out


def fit_verified_accuracy(curves: Sequence, probabilities, labels: Sequence[str], k: int = 3,
                          tolerance: float = 0.1, *, resolution: float | None = None, budget_s: float = 10.0,
                          starts: int = 2, seed: int = 0, workers: int | None = None,
                          progress: ProgressCallback | None = None) -> float:
    """Fraction of ``curves`` where a top-``k`` candidate fits as well as the true model.

    ``curves`` carry their true scattering model in ``curve.model``;
    ``probabilities`` is an ``(n, len(labels))`` array of network outputs.  A
    curve counts as correct when the true model is among the top ``k``, or
    when the best reduced chi-square of the top-``k`` candidates is within
    ``tolerance`` (relative) of the true model's.  This is the honest measure
    when two scattering models describe the same curve equally well.  Fits
    run in parallel; ``progress`` gets :class:`~sasnets.progress.Progress` events of
    stage ``"fit-verify"`` (fits done of fits to run).
    """
    curves, probabilities = _checked_sample(curves, probabilities, labels)
    if not curves:
        return math.nan
    options = dict(resolution=resolution, budget_s=budget_s, starts=starts, seed=seed)
    return _fit_sample(curves, probabilities, list(labels), k, tolerance, False, options, workers,
                       progress)["fit_verified"]


def fit_verified_accuracy_on_store(classifier, store, tag: str = "test", n: int = 50, k: int = 3,
                                   tolerance: float = 0.1, *, seed: int = 0, budget_s: float = 10.0,
                                   starts: int = 2, workers: int | None = None,
                                   progress: ProgressCallback | None = None) -> dict:
    """:func:`fit_verified_accuracy` of ``classifier`` on a seeded random subset
    of ``n`` curves of ``tag`` in ``store`` (a URL or an open store), and the
    top-1 of the answer ``sasnets fit --rank-by posterior`` gives: the top
    ``k`` candidates re-ranked by fit (:func:`rank_fits`); ``top1`` is the
    first row in the network's order (``--rank-by network``).  Fitting is expensive (up to
    ``k + 1`` fits per curve), so ``sasnets evaluate --fit-verify N`` samples.
    Curves of scattering models the classifier does not know are left out.
    Returns ``{"fit_verified": fraction, "top_k": fraction without fitting,
    "top1": the network's top-1 on the same curves, "reranked_top1": fraction,
    "k": k, "n": curves used, "tolerance": tolerance}`` and what the fits say
    of the wrong top-1 answers (:func:`top1_outcome`: the shares of
    ``top1_equivalent``, ``top1_worse``, ``top1_unresolved``, top-1 counting
    the equivalent answers as right, for the pair and the form factor, and the
    most common ``equivalent_pairs`` and ``worse_pairs``).
    """
    from ..classifier import resolve_classifier
    from ..stores import open_store

    classifier = resolve_classifier(classifier)
    labels = list(classifier.labels)
    owned = isinstance(store, (str, os.PathLike))
    handle = open_store(os.fspath(store), "r") if owned else store
    try:
        present = handle.counts().get(tag, {})
        known = [m for m in present if m in labels]
        if not known:
            raise UsageError(f"Tag {tag!r} of the store has no curves of the classifier's scattering models; "
                             "use --tag with data generated for them.")
        batch = next(iter(handle.iter_batches(tag, int(n), shuffle=True, seed=seed, models=known)))
    finally:
        if owned:
            handle.close()
    curves, probabilities = _checked_sample(batch, classifier.predict_proba(batch), labels)
    truth = np.array([labels.index(c.model) for c in curves])
    topk = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    top1 = float(np.mean(topk[:, 0] == truth))
    options = dict(budget_s=budget_s, starts=starts, seed=seed)
    fitted = _fit_sample(curves, probabilities, labels, k, tolerance, k > 1, options, workers, progress)
    return {**fitted, "top_k": float(np.mean(np.any(topk == truth[:, None], axis=1))),
            "top1": top1, "reranked_top1": fitted.get("reranked_top1", top1), "k": int(k),
            "n": len(curves), "tolerance": tolerance}

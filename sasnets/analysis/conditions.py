"""Accuracy by measurement conditions: how much background, how wide a q window, how flat a curve.

A classifier's accuracy on instrument-like curves is an average over curves
that carry very different amounts of their scattering model.  A flat
background comparable to the peak intensity leaves a mostly flat curve; a q
window under about 1.5 decades shows one feature at most.  Splitting top-1 by
these conditions tells a scientist which of their measurements the
classifier can be trusted on, and where the remaining errors come from.

* background-to-peak ratio: the curve's flat background (its ``background``
  parameter, known for simulated curves) over its largest intensity;
* q window: ``log10(qmax / qmin)`` of its measured points, in decades,
  counted over curves whose background is under 3 % of the peak (or unknown),
  so the two effects stay apart;
* intensity range: ``log10`` of the curve's 95th over its 5th percentile
  intensity, in decades.  Unlike the background it is read off the curve
  itself, so it applies to measured curves too: ``sasnets predict`` warns
  about curves flatter than :data:`FLAT_DECADES`.
"""
from __future__ import annotations

import numpy as np

from ..data.curves import per_curve_reduce

__all__ = ["BACKGROUND_BANDS", "Q_WINDOW_BANDS", "INTENSITY_BANDS", "FLAT_DECADES", "curve_conditions",
           "intensity_decades", "accuracy_by_conditions", "band_label", "condition_tables"]

#: bands of background-to-peak ratio
BACKGROUND_BANDS = ((0.0, 1e-3), (1e-3, 3e-2), (3e-2, 0.3), (0.3, 0.8), (0.8, np.inf))
#: bands of q-window width, decades
Q_WINDOW_BANDS = ((0.0, 1.5), (1.5, 2.0), (2.0, 2.5), (2.5, np.inf))
#: background-to-peak ratio below which a curve counts in the q-window bands
LOW_BACKGROUND = 3e-2
#: a curve whose intensity spans less than this (decades; a factor 1.26) is mostly flat
FLAT_DECADES = 0.1
#: bands of intensity range (95th over 5th percentile), decades; the first is the flat curves
INTENSITY_BANDS = ((0.0, FLAT_DECADES), (FLAT_DECADES, 0.5), (0.5, 2.0), (2.0, np.inf))


def curve_conditions(batch) -> dict:
    """``{"background_to_peak", "q_decades", "intensity_decades"}``: one value per curve of ``batch`` (NaN where unknown)."""
    iq = np.asarray(batch.iq, np.float64)
    q = np.asarray(batch.q, np.float64)
    peak = per_curve_reduce(np.maximum, np.where(np.isfinite(iq), iq, -np.inf), batch.offsets, np.nan)
    qmax = per_curve_reduce(np.maximum, np.where(q > 0, q, -np.inf), batch.offsets, np.nan)
    qmin = per_curve_reduce(np.minimum, np.where(q > 0, q, np.inf), batch.offsets, np.nan)
    params = batch.params if batch.params is not None else [{}] * len(batch)
    background = np.array([_number(p.get("background")) for p in params], np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(peak) & (peak > 0), background / peak, np.nan)
        decades = np.where(np.isfinite(qmin) & np.isfinite(qmax) & (qmax > qmin), np.log10(qmax / qmin), np.nan)
    return {"background_to_peak": ratio, "q_decades": decades, "intensity_decades": intensity_decades(batch)}


def intensity_decades(batch) -> np.ndarray:
    """Per curve, ``log10`` of its 95th over its 5th percentile positive intensity
    (nearest rank; NaN for a curve without two positive intensities)."""
    iq = np.asarray(batch.iq, np.float64)
    n = len(batch)
    curve = np.repeat(np.arange(n), np.diff(batch.offsets))
    positive = np.isfinite(iq) & (iq > 0)
    counts = np.bincount(curve[positive], minlength=n)
    order = np.lexsort((iq[positive], curve[positive]))  # by curve, then intensity
    ranked = iq[positive][order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.full(n, np.nan)
    ok = counts >= 2
    low = ranked[starts[ok] + np.round(0.05 * (counts[ok] - 1)).astype(np.int64)]
    high = ranked[starts[ok] + np.round(0.95 * (counts[ok] - 1)).astype(np.int64)]
    out[ok] = np.log10(high / low)
    return out


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _bands(correct, values, edges, keep) -> list[dict]:
    total = len(correct)
    rows = []
    for low, high in edges:
        sel = keep & (values >= low) & (values < high)
        n = int(sel.sum())
        rows.append({"low": float(low), "high": float(high) if np.isfinite(high) else None, "n": n,
                     "share": n / total if total else 0.0,
                     "top1": float(correct[sel].mean()) if n else None})
    return rows


def accuracy_by_conditions(correct, conditions: dict) -> dict:
    """Top-1 by background-to-peak band, by q-window band and by intensity range.

    ``correct`` says per curve whether the top-1 prediction was right;
    ``conditions`` comes from :func:`curve_conditions`.  Returns
    ``{"by_background": [...], "by_q_window": [...], "by_intensity_range": [...]}``, each a list of
    ``{low, high, n, share, top1}`` (``high`` None for the open last band,
    ``share`` of all curves, ``top1`` None for an empty band);
    ``by_background`` is empty when no curve has a known background.
    """
    correct = np.asarray(correct, bool)
    ratio = np.asarray(conditions["background_to_peak"], np.float64)
    decades = np.asarray(conditions["q_decades"], np.float64)
    spread = np.asarray(conditions.get("intensity_decades", np.full(len(correct), np.nan)), np.float64)
    known = np.isfinite(ratio)
    low_background = ~known | (ratio < LOW_BACKGROUND)
    return {
        "by_background": _bands(correct, ratio, BACKGROUND_BANDS, known) if known.any() else [],
        "by_q_window": _bands(correct, decades, Q_WINDOW_BANDS, low_background & np.isfinite(decades)),
        "by_intensity_range": _bands(correct, spread, INTENSITY_BANDS, np.isfinite(spread)),
    }


def band_label(band: dict, scale: float = 1.0, unit: str = "") -> str:
    """``"0.1-3 %"``, ``">= 80 %"``: a band's range times ``scale``, for tables."""
    low = f"{band['low'] * scale:g}"
    if band["high"] is None:
        return f">= {low}{unit}"
    high = f"{band['high'] * scale:g}"
    return f"< {high}{unit}" if band["low"] == 0 else f"{low}-{high}{unit}"


def condition_tables(metrics: dict) -> list[tuple[str, str, list[tuple[str, dict]]]]:
    """``[(key, title, [(band label, band), ...]), ...]``: the non-empty bands of an evaluation, ready to print."""
    tables = []
    for key, title, scale, unit in (
            ("by_background", "flat background / peak intensity", 100, " %"),
            ("by_q_window", f"q window (background < {100 * LOW_BACKGROUND:g} % of the peak)", 1, " decades"),
            ("by_intensity_range", "intensity range (95th / 5th percentile)", 1, " decades")):
        rows = [(band_label(band, scale, unit), band) for band in metrics.get(key) or [] if band["n"]]
        if rows:
            tables.append((key, title, rows))
    return tables

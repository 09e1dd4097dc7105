"""Plot a curve with its candidate fits and their normalised residuals.

The top panel shows the data (log-log, with 1-sigma error bars) and each
candidate's best-fit curve, labelled with its rank, reduced chi-square and
network probability; the bottom panel shows ``(I - I_fit)/dI`` for each
candidate, with the ±2 band a good fit stays mostly inside (linear within ±3, logarithmic
beyond, so that poor candidates do not flatten the good ones).
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import UsageError

__all__ = ["plot_fits", "intensity_label"]


def intensity_label(curve) -> str:
    """The intensity axis label: ``I(q) (1/cm)`` with the units the file states, else arbitrary units."""
    return f"I(q) ({getattr(curve, 'iq_units', None) or 'arbitrary units'})"


def plot_fits(curve, results: Sequence, path, title: str | None = None, dpi: int = 120):
    """Write a PNG (or any format matplotlib knows from the suffix) of
    ``curve`` and the ranked ``results`` (:class:`~sasnets.fitting.FitResult`)
    to ``path``; returns the path.  The intensity axis carries the units the
    file states (:func:`intensity_label`), as SasView labels it."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    q = np.asarray(curve.q, dtype=float)
    iq = np.asarray(curve.iq, dtype=float)
    diq = None if curve.diq is None else np.asarray(curve.diq, dtype=float)
    shown = (q > 0) & np.isfinite(iq) & (iq > 0)
    fig = Figure(figsize=(7, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.3])
    errors = None if diq is None or not np.any(diq > 0) else np.where(diq > 0, diq, np.nan)[shown]
    top.errorbar(q[shown], iq[shown], yerr=errors, fmt="o", ms=3, color="0.25", ecolor="0.6",
                 elinewidth=0.8, label="data", zorder=1)
    colours = plt.get_cmap("tab10").colors
    for k, r in enumerate(results):
        if r.iq_fit is None or r.q is None:
            continue
        colour = colours[k % len(colours)]
        prob = "" if r.probability is None else f", p={r.probability:.2f}"
        label = f"{r.rank or k + 1}. {r.model} (χ²/dof={r.reduced_chi2:.3g}{prob})"
        top.plot(r.q, r.iq_fit, "-", lw=1.6, color=colour, label=label, zorder=2 + len(results) - k)  # best on top
        if errors is not None:
            inside = shown & (q >= r.q.min()) & (q <= r.q.max()) & (diq > 0)
            fit_here = np.interp(q[inside], r.q, r.iq_fit)
            bottom.plot(q[inside], (iq[inside] - fit_here) / diq[inside], ".-", ms=3, lw=0.7, color=colour,
                        zorder=2 + len(results) - k)
    top.set_xscale("log")
    top.set_yscale("log")
    top.set_ylabel(intensity_label(curve))
    top.legend(fontsize="small", loc="best")
    top.set_title(title or os.path.basename(str(getattr(curve, "source", None) or "curve")), fontsize="medium")
    bottom.axhline(0, color="0.3", lw=0.8)
    bottom.axhspan(-2, 2, color="0.9", zorder=0)
    bottom.set_yscale("symlog", linthresh=3)  # linear where good fits live, compressed for poor ones
    from matplotlib.ticker import FixedLocator, FuncFormatter

    bottom.yaxis.set_major_locator(FixedLocator([-1000, -100, -10, -2, 0, 2, 10, 100, 1000]))
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    bottom.set_xlabel("q (1/Å)")
    bottom.set_ylabel("(I - fit)/dI")
    if errors is None:
        bottom.text(0.5, 0.5, "no intensity errors: residuals not shown", transform=bottom.transAxes,
                    ha="center", va="center", color="0.4")
    try:
        fig.savefig(os.fspath(path), dpi=dpi)
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot write the plot {os.fspath(path)} ({exc}); check the --plot path and its suffix.") from None
    return path

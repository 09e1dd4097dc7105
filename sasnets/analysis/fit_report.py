"""An HTML report of a batch of fits (``sasnets fit FILES --report DIR``), viewable offline.

``DIR/index.html`` has a summary table (per curve: the first-ranked candidate,
its reduced chi-square, whether it is adequate, its network probability and
fitted parameters) and, per curve, the plot ``sasnets fit --plot`` draws (data,
ranked fits, residuals; a PNG next to the page) and every candidate with its
probability, fit quality and parameters.  Everything the page shows is in
``DIR``; it needs no network and no script.
"""
from __future__ import annotations

import html
import math
import os
import re

__all__ = ["write_report"]

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; font-weight: bold; }
.poor { color: #b35900; }
.failed { color: #b00020; }
section { border-top: 2px solid #ddd; margin-top: 2em; }
img { max-width: 100%; height: auto; }
"""


def _num(value, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}g}"


def _anchor(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", os.path.basename(source)).strip("-") or "curve"


def _parameters(result) -> str:
    return ", ".join(f"{html.escape(n)} = {_num(v)} ± {_num(e, 2)}" for n, (v, e) in result.parameters.items()
                     if n not in ("scale", "background"))


def _verdict(result) -> str:
    if not result.success:
        return '<span class="failed">failed</span>'
    return '<span class="ok">ok</span>' if result.acceptable else '<span class="poor">poor</span>'


def write_report(outdir: str, curves: list, title: str = "sasnets fit report", failed=()) -> str:
    """Write ``outdir/index.html`` and one plot per curve; returns the page's path.

    ``curves`` is a list of ``(source, curve, ranked FitResults)``; ``failed`` of
    ``(source, error)`` for the curves that could not be read or classified."""
    from .fit_plot import plot_fits

    os.makedirs(outdir, exist_ok=True)
    summary, sections = [], []
    used = set()
    for source, curve, ranked in curves:
        anchor = _anchor(source)
        while anchor in used:
            anchor += "-"
        used.add(anchor)
        image = f"{anchor}.png"
        plot_fits(curve, ranked, os.path.join(outdir, image), title=os.path.basename(source))
        best = ranked[0] if ranked else None
        name = html.escape(source)
        if best is None:
            summary.append(f'<tr><td><a href="#{anchor}">{name}</a></td><td colspan="5">no candidate</td></tr>')
        else:
            summary.append(
                f'<tr><td><a href="#{anchor}">{name}</a></td><td>{html.escape(best.model)}</td>'
                f'<td class="num">{_num(best.reduced_chi2)}</td><td>{_verdict(best)}</td>'
                f'<td class="num">{_num(None if best.probability is None else 100 * best.probability, 3)}'
                f'{" %" if best.probability is not None else ""}</td><td>{_parameters(best)}</td></tr>')
        rows = "".join(
            f'<tr><td class="num">{i}</td><td>{html.escape(r.model)}</td>'
            f'<td class="num">{_num(None if r.probability is None else 100 * r.probability, 3)}'
            f'{" %" if r.probability is not None else ""}</td>'
            f'<td class="num">{_num(r.reduced_chi2)}</td><td>{_verdict(r)}</td><td class="num">{_num(r.bic, 6)}</td>'
            f'<td>{_parameters(r) or html.escape(r.message)}</td></tr>'
            for i, r in enumerate(ranked, 1))
        sections.append(
            f'<section id="{anchor}"><h2>{name}</h2>'
            f'<img src="{image}" alt="data, fits and residuals of {name}">'
            '<table><tr><th>rank</th><th>scattering model</th><th>network probability</th><th>reduced χ²</th>'
            f'<th>fit</th><th>BIC</th><th>fitted parameters</th></tr>{rows}</table></section>')
    failures = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(e)}</td></tr>" for s, e in failed)
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{len(curves)} curve(s) fitted; reduced χ² below 2 is marked ok.</p>"
        "<table><tr><th>curve</th><th>first-ranked model</th><th>reduced χ²</th><th>fit</th>"
        f"<th>network probability</th><th>fitted parameters</th></tr>{''.join(summary)}</table>"
        + (f"<h2>Not fitted</h2><table><tr><th>file</th><th>why</th></tr>{failures}</table>" if failures else "")
        + "".join(sections) + "</body></html>")
    path = os.path.join(outdir, "index.html")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path

"""``index.html``: one self-contained page with the metrics tables and every figure.

:func:`run_analyzers` runs the chosen registered analyzers on an
:class:`~sasnets.analysis.evaluate.EvaluationResult`; :func:`write_index`
writes the page that shows their output (PNG inline, PDF linked).
"""
from __future__ import annotations

import html
import os
from typing import Sequence

from ..errors import UsageError
from ..progress import ProgressCallback, notifier
from .families import family_sort_key

__all__ = ["run_analyzers", "write_index", "analyzer_names", "DEFAULT_ANALYZERS"]

#: analyzers run when ``--analyzers`` is not given (every built-in)
DEFAULT_ANALYZERS = ("metrics", "confusion", "dendrogram", "tsne", "accuracy", "calibration")


def analyzer_names(spec: str | Sequence[str] | None) -> list[str]:
    """Validated analyzer names from ``"a,b"`` / a list / ``None`` (all registered)."""
    from ..plugins import get_registry

    registry = get_registry("analyzers")
    if spec is None or spec == "all":
        return registry.names()
    names = [n.strip() for n in (spec.split(",") if isinstance(spec, str) else spec) if n.strip()]
    if not names:
        raise UsageError("--analyzers is empty; name at least one analyzer (see sasnets plugins).")
    for name in names:
        registry.entry(name, "--analyzers")  # raises UsageError with suggestions
    return names


def needs_embeddings(names: Sequence[str]) -> bool:
    from ..plugins import get_registry

    registry = get_registry("analyzers")
    return any(registry.entry(n).meta.get("needs_embeddings") for n in names)


def run_analyzers(results, outdir: str, names: Sequence[str],
                  progress: ProgressCallback | None = None) -> dict[str, list[str]]:
    """``{analyzer name: [files written]}``; a failing third-party analyzer is reported, not fatal.
    ``progress`` gets :class:`~sasnets.progress.Progress` events of stage
    ``"analyze"``: analyzers run of ``names``, before each (message "running
    analyzer NAME…") and after the last."""
    from ..plugins import get_registry

    registry = get_registry("analyzers")
    os.makedirs(outdir, exist_ok=True)
    written: dict[str, list[str]] = {}
    notify = notifier(progress)
    for i, name in enumerate(names):
        entry = registry.entry(name, "--analyzers")
        notify("analyze", i, len(names), f"running analyzer {name}…", analyzer=name)
        try:
            paths = entry.load()(results, outdir) or []
        except Exception as exc:
            if entry.origin == "sasnets (built-in)":
                raise
            written[name] = []
            results.info.setdefault("analyzer_errors", {})[name] = f"{type(exc).__name__}: {exc}"
            continue
        written[name] = [os.fspath(p) for p in paths]
    notify("analyze", len(names), len(names))
    return written


def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1%}" if percent else f"{value:.3g}"
    return html.escape(str(value))


def _table(headers, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def _condition_tables(m: dict) -> str:
    """Top-1 by background-to-peak ratio and by q-window width, when the evaluation has them."""
    from .conditions import condition_tables

    return "\n".join(
        f"<h2>Top-1 by {html.escape(title)}</h2>\n"
        + _table(["band", "curves", "share", "top-1"],
                 [(html.escape(label), _fmt(b["n"]), _fmt(b["share"], True), _fmt(b["top1"], True)) for label, b in rows])
        for _, title, rows in condition_tables(m))


def write_index(results, outdir: str, artifacts: dict[str, list[str]], title: str = "sasnets analysis") -> str:
    """Write ``outdir/index.html`` with the metrics and every artifact; returns its path."""
    m = results.metrics
    info = results.info or {}
    summary = [
        ("curves", _fmt(m.get("n"))), ("scattering models", _fmt(m.get("n_models"))),
        ("top-1 accuracy", _fmt(m.get("top1"), True)), ("top-3 accuracy", _fmt(m.get("top3"), True)),
        ("top-5 accuracy", _fmt(m.get("top5"), True)), ("mean rank of the true model", _fmt(m.get("mean_rank"))),
        ("68 % credible set: coverage / mean size",
         f"{_fmt(m['credible68']['coverage'], True)} / {_fmt(m['credible68']['mean_size'])}"),
        ("95 % credible set: coverage / mean size",
         f"{_fmt(m['credible95']['coverage'], True)} / {_fmt(m['credible95']['mean_size'])}"),
        ("models rejected at the 5 % level (mean)", _fmt(m.get("rejected95"))),
        ("expected calibration error", _fmt(m.get("ece"))), ("temperature", _fmt(m.get("temperature"))),
        ("negative log-likelihood", _fmt(m.get("nll"))),
    ]
    fam_rows = [
        (html.escape(f), _fmt(v["models"]), _fmt(v["n"]), _fmt(v["top1"], True), _fmt(v["family_accuracy"], True))
        for f, v in sorted(m.get("per_family", {}).items(), key=lambda kv: family_sort_key(kv[0]))
    ]
    condition_tables = _condition_tables(m)
    family_of = dict(zip(results.labels, results.families))
    model_rows = [
        (html.escape(name), html.escape(family_of.get(name, "")), _fmt(v["n"]), _fmt(v["top1"], True),
         _fmt(v["top3"], True), _fmt(v["mean_rank"]), _fmt(v["mean_probability"]))
        for name, v in sorted(m.get("per_model", {}).items(), key=lambda kv: (kv[1]["top1"], kv[0]))
    ]
    figures, files = [], []
    for name, paths in artifacts.items():
        rel = [os.path.relpath(p, outdir) for p in paths]
        pngs = [r for r in rel if r.endswith(".png")]
        others = [r for r in rel if not r.endswith(".png")]
        for png in pngs:
            links = " ".join(f'<a href="{html.escape(o)}">{html.escape(os.path.basename(o))}</a>'
                             for o in others if os.path.splitext(o)[0] == os.path.splitext(png)[0])
            figures.append(f'<figure id="{html.escape(name)}"><a href="{html.escape(png)}">'
                           f'<img src="{html.escape(png)}" alt="{html.escape(name)}"></a>'
                           f"<figcaption>{html.escape(name)} {links}</figcaption></figure>")
        if not pngs:
            files.extend(others)
    errors = info.get("analyzer_errors", {})
    source = ", ".join(f"{k}: {html.escape(str(v))}" for k, v in info.items()
                       if k in ("classifier", "architecture", "store", "tag", "curves") and v is not None)
    skipped = info.get("skipped_models") or {}
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1400px; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }}
figure {{ display: inline-block; margin: 1em; vertical-align: top; }}
img {{ max-width: 900px; max-height: 900px; border: 1px solid #ddd; }}
.note {{ color: #a40; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{source}</p>
{"<p class='note'>Skipped curves of scattering models the classifier does not know: " + html.escape(", ".join(f"{k} ({v})" for k, v in sorted(skipped.items()))) + "</p>" if skipped else ""}
{"".join(f"<p class='note'>Analyzer {html.escape(k)} failed: {html.escape(v)}</p>" for k, v in errors.items())}
<h2>Summary</h2>
{_table(["metric", "value"], summary)}
<h2>Per family</h2>
{_table(["family", "models", "curves", "top-1", "family accuracy"], fam_rows)}
{condition_tables}
<h2>Figures</h2>
{"".join(figures) or "<p>No figures.</p>"}
{"<h2>Files</h2><ul>" + "".join(f'<li><a href="{html.escape(f)}">{html.escape(f)}</a></li>' for f in files) + "</ul>" if files else ""}
<h2>Per scattering model (worst first)</h2>
{_table(["model", "family", "curves", "top-1", "top-3", "mean rank", "mean p(true)"], model_rows)}
</body></html>
"""
    path = os.path.join(outdir, "index.html")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path

"""Copy a trained classifier into sasnets/pretrained/ and write its model card.

    python scripts/ship_pretrained.py RUN STORE [--tag test] [--name realistic-resnet1d-large]
        [--judge-store judge.h5] [--compare OLD_CLASSIFIER] [--speed] [--fit-verify N]

Evaluates the classifier in RUN on tag ``--tag`` of STORE (the held-out test
set) with the sasnets library, copies the files a classifier needs
(classifier.json, network.keras, history.json, training.png; no checkpoint,
no logs) to ``--dest/--name`` (removing any other classifier directory there,
so the new one is the default), and writes ``--dest/MODEL_CARD.md`` (recipe,
versions, q-range, overall and per-model accuracy, most confused pairs, known
limits) and ``--dest/evaluation.json`` (the metrics).  Used by
scripts/pretrain.sh; every figure in the card comes from this evaluation.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SHIPPED_FILES = ("classifier.json", "network.keras", "history.json", "training.png", "sizes.npz")
#: issue targets on realistic held-out curves
TARGET_FF_TOP1, TARGET_FF_TOP5, TARGET_SF = 0.75, 0.97, 0.90


def confused_pairs(result, n: int = 15) -> list[tuple[str, str, int, int, float]]:
    """``(a, b, a as b, b as a, rate)``: unordered pairs by the share of their test curves mistaken for each other."""
    from sasnets.analysis.metrics import confusion_matrix

    c = confusion_matrix(result.proba, result.y, len(result.labels))
    totals = c.sum(axis=1)
    pairs = []
    for i in range(len(result.labels)):
        for j in range(i + 1, len(result.labels)):
            swapped = int(c[i, j] + c[j, i])
            if swapped and totals[i] + totals[j]:
                pairs.append((result.labels[i], result.labels[j], int(c[i, j]), int(c[j, i]),
                              swapped / float(totals[i] + totals[j])))
    return sorted(pairs, key=lambda p: (-p[4], p[0], p[1]))[:n]


def describe_augmentation(aug: dict) -> str:
    """The training augmentation of a classifier, in words, from its saved ``AugmentSpec`` dict."""
    if not aug or not aug.get("enabled", True):
        return "off"

    def share(p):
        return "every curve" if p >= 1 else f"{100 * p:.0f} % of the curves"

    r, n, b = aug["resolution"], aug["noise"], aug["background"]
    parts = [f"extra pinhole resolution {100 * r[0]:g}–{100 * r[1]:g} % dQ/Q on {share(aug['resolution_prob'])}",
             f"extra noise {100 * n[0]:g}–{100 * n[1]:g} %",
             f"flat background {100 * b[0]:g}–{100 * b[1]:g} % of the peak on {share(aug['background_prob'])}",
             f"a narrower q window (at least {aug['min_decades']:g} decades) on {share(aug['crop_prob'])}",
             f"{aug['points'][0]}–{aug['points'][1]} points on {share(aug['density_prob'])}"]
    clean = aug.get("clean_prob", 0.0)
    tail = f"; {share(clean)} left as simulated" if clean else ""
    return "on, drawn anew every epoch: " + ", ".join(parts) + tail


def calibrated_on(meta) -> str:
    """Where the softmax temperature was fitted, for the card: a held-out tag (``sasnets evaluate --calibrate-on``)
    or, without one, the training run's validation curves."""
    cal = meta.calibration
    if not cal:
        return " (fitted on the validation curves)"
    return f" (fitted on {cal['curves']} curves of the held-out tag `{cal['tag']}`, smeared like the test set)"


def pct(x) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.1f} %"


def conditions_note(m: dict) -> str:
    """One sentence on how top-1 falls with the flat background, from the evaluation's bands."""
    bands = [b for b in m.get("by_background") or [] if b["n"]]
    if len(bands) < 2:
        return ""
    low, high = bands[0], bands[-1]
    return (f" (3) measurement conditions: on the {pct(low['share'])} of test curves whose flat background is "
            f"under {100 * low['high']:g} % of their peak intensity top-1 is {pct(low['top1'])}; on the "
            f"{pct(high['share'])} where it is {100 * high['low']:g} % or more, the curve is mostly flat and top-1 is "
            f"{pct(high['top1'])} (tables below)." + _flat_note(m))


def _flat_note(m: dict) -> str:
    """How the curves that vary least (by the curve itself, as `sasnets predict` sees them) score."""
    flat = next((b for b in m.get("by_intensity_range") or [] if b["n"] and b["low"] == 0), None)
    if flat is None:
        return ""
    return (f" Read off the curves themselves: the {pct(flat['share'])} of test curves whose intensity varies by "
            f"less than a factor {10 ** flat['high']:.2f} score {pct(flat['top1'])}; `sasnets predict` warns "
            "about such curves.")


def condition_tables(m: dict) -> list:
    """Markdown tables of top-1 by background-to-peak ratio and by q-window width."""
    from sasnets.analysis import conditions

    lines = []
    for _, title, rows in conditions.condition_tables(m):
        lines += [f"### Top-1 by {title}", "", "| band | test curves | share | top-1 |", "| --- | --- | --- | --- |"]
        lines += [f"| {label} | {b['n']} | {pct(b['share'])} | {pct(b['top1'])} |" for label, b in rows]
        lines.append("")
    return lines


def _pair_list(pairs: list) -> str:
    """``true as answered (curves)``, comma-separated, for the fit section."""
    return ", ".join(f"`{true}` as `{answer}` ({count})" for true, answer, count in pairs) or "none"


def fit_section(fv: dict | None) -> list:
    """Model-card lines on what fitting says of the answers (``--fit-verify``), if it was measured."""
    if not fv:
        return []
    k = fv["k"]
    lines = [
        "### Classify, then fit: which answers the data cannot tell apart",
        "",
        f"On {fv['n']} random test curves (seeded), each curve's top {k} candidates and, where it is "
        "missing from them, its true model were fitted (bumps; `sasnets evaluate --fit-verify N` "
        "measures the same on any store). A wrong top-1 answer that fits as well as an adequate fit of "
        f"the true model (reduced χ² < 2, the answer's within {100 * fv['tolerance']:.0f} % of it or below 1) is "
        "one the data cannot tell apart from the truth; one that fits worse is the classifier's own error:",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| network top-1 (pair) on these curves | {pct(fv['top1'])} |",
    ]
    if "top1_fit_verified" in fv:
        lines += [
            f"| top-1 counting answers that fit as well as the true model | {pct(fv['top1_fit_verified'])} |",
            f"| form factor top-1 | {pct(fv['form_factor_top1'])} |",
            f"| form factor top-1 counting answers that fit as well | {pct(fv['form_factor_top1_fit_verified'])} |",
            f"| wrong top-1 that fits as well as the true model (ambiguous) | {pct(fv['top1_equivalent'])} |",
            f"| wrong top-1 that fits worse (the classifier's error) | {pct(fv['top1_worse'])} |",
            f"| wrong top-1, the true model's own fit poor (not judged) | {pct(fv['top1_unresolved'])} |",
        ]
    lines += [
        f"| true model in the top {k} | {pct(fv['top_k'])} |",
        f"| a top-{k} candidate right or fitting as well as the true model: fit-verified top-{k} | "
        f"{pct(fv['fit_verified'])} |",
        f"| top-1 after re-ranking the top {k} by fit (`--rank-by posterior`, `sasnets fit`'s default) | "
        f"{pct(fv['reranked_top1'])} |",
        "",
    ]
    if "equivalent_pairs" in fv:
        lines += [f"Most common answers that fit as well as the true model (true as answered, curves): "
                  f"{_pair_list(fv['equivalent_pairs'])}.", "",
                  f"Most common answers that fit worse: {_pair_list(fv['worse_pairs'])}.", ""]
    return lines


def _factor_rows(m: dict) -> list:
    """Rows of the main metrics table for one evaluation (joint pair, each factor, calibration)."""
    f = m.get("factors") or {}
    ff, sf = f.get("form_factor", {}), f.get("structure_factor", {})
    return [
        ("form factor top-1", pct(ff.get("top1")), f"≥ 75 % {_met(ff.get('top1'), TARGET_FF_TOP1)}"),
        ("form factor top-5", pct(ff.get("top5")), f"≥ 97 % {_met(ff.get('top5'), TARGET_FF_TOP5)}"),
        ("structure factor named right (none included)", pct(sf.get("accuracy")),
         f"≥ 90 % {_met(sf.get('accuracy'), TARGET_SF)}"),
        ("pair F@S top-1 / top-3 / top-5", f"{pct(m['top1'])} / {pct(m['top3'])} / {pct(m['top5'])}", ""),
        ("mean rank of the true pair", f"{m['mean_rank']:.2f}", ""),
        ("95 % credible set: coverage / mean size", f"{pct(m['credible95']['coverage'])} / "
         f"{m['credible95']['mean_size']:.2f} labels", ""),
        ("expected calibration error (pairs)", f"{m['ece']:.3f}", ""),
    ]


def _met(value, target) -> str:
    if value is None:
        return ""
    return "(met)" if value >= target else "(**not met**)"


def metrics_table(m: dict) -> list:
    lines = ["| metric | value | target |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in _factor_rows(m)]
    return lines + [""]


def per_structure_factor_table(own: dict, other: dict | None) -> list:
    """By the true structure factor: how often it is named and the form factor found, both evaluations."""
    lines = ["| true structure factor | test curves | S(q) named right | form factor top-1 |"
             + (" other sampler: curves | S(q) right | form factor top-1 |" if other else ""),
             "| --- | --- | --- | --- |" + (" --- | --- | --- |" if other else "")]
    theirs = (other or {}).get("factors", {}).get("per_structure_factor", {})
    for name, v in own.get("factors", {}).get("per_structure_factor", {}).items():
        row = f"| {name} | {v['n']} | {pct(v['structure_factor_accuracy'])} | {pct(v['form_factor_top1'])} |"
        if other:
            t = theirs.get(name)
            row += (f" {t['n']} | {pct(t['structure_factor_accuracy'])} | {pct(t['form_factor_top1'])} |" if t
                    else " – | – | – |")
        lines.append(row)
    return lines + [""]


def per_family_table(own: dict, other: dict | None) -> list:
    fam = own.get("factors", {}).get("per_family", {})
    theirs = (other or {}).get("factors", {}).get("per_family", {})
    lines = ["| family (true form factor) | test curves | form factor top-1 | S(q) named right |"
             + (" other sampler: form factor top-1 | S(q) right |" if other else ""),
             "| --- | --- | --- | --- |" + (" --- | --- |" if other else "")]
    for name, v in fam.items():
        row = f"| {name} | {v['n']} | {pct(v['form_factor_top1'])} | {pct(v['structure_factor_accuracy'])} |"
        if other:
            t = theirs.get(name)
            row += f" {pct(t['form_factor_top1'])} | {pct(t['structure_factor_accuracy'])} |" if t else " – | – |"
        lines.append(row)
    return lines + [""]


def measured_table(records: list, before: list | None) -> list:
    """Table 3: SasView's example files, labelled (sasnets.analysis.examples)."""
    ok = [r for r in records if "error" not in r]
    n_ff = sum(r["form_factor_in_top3"] for r in ok)
    with_sq = [r for r in ok if "none" not in r["structure_factors"]]
    n_sq = sum(r["structure_factor_right"] for r in with_sq)
    lines = [f"An accepted form factor is in the top 3 for **{n_ff} of {len(ok)}** labelled entries; the structure "
             f"factor is named where the tutorial uses one on **{n_sq} of {len(with_sq)}**, and `none` (or an "
             f"accepted one) on {sum(r['structure_factor_right'] for r in ok if 'none' in r['structure_factors'])} "
             f"of {len(ok) - len(with_sq)} samples where no S(q) is needed."
             + (f" The classifier shipped before this one had an accepted form factor in its top 3 for "
                f"{sum(r['form_factor_in_top3'] for r in before if 'error' not in r)} of them and named the "
                f"structure factor where the tutorial uses one on "
                f"{sum(r['structure_factor_right'] for r in before if 'error' not in r and 'none' not in r['structure_factors'])}"
                f" of {len(with_sq)}." if before else ""), "",
             "| file | label (source) | top 3 (pair, probability) | accepted form factor in top 3 | most probable S(q) |"
             + (" before: top 1 |" if before else ""),
             "| --- | --- | --- | --- | --- |" + (" --- |" if before else "")]
    fitted = [r for r in ok if r.get("fit") and "error" not in r["fit"]]
    if fitted:
        from sasnets.fitting import DEFAULT_BUDGET_S, DEFAULT_RANKING

        n_first = sum(r["fit"]["accepted_first"] for r in fitted)
        n_as_good = sum(r["fit"]["as_good_first"] for r in fitted)
        by = {order: sum(r["fit"]["first_by"][order][1] for r in fitted) for order in fitted[0]["fit"]["first_by"]}
        others = ", ".join(f"{n} with `--rank-by {order}`" for order, n in by.items() if order != DEFAULT_RANKING)
        seconds = [r["fit"]["seconds"] for r in fitted]
        lines[0] += (" `sasnets fit FILE` (its default: top 3, nested simpler models and the reference sphere, "
                     f"{DEFAULT_BUDGET_S:g} s budget a fit, "
                     f"`--rank-by {DEFAULT_RANKING}`) ranks an accepted form factor first on {n_first} of "
                     f"{len(fitted)} ({others}; the same fits), and first a model that is accepted or fits as well "
                     "as the best accepted candidate (reduced χ² within 10 %, or within the error bars) with no more "
                     f"free parameters on "
                     f"{n_as_good} of {len(fitted)}, in {np.median(seconds):.1f} s a file (median; "
                     f"{min(seconds):.1f}–{max(seconds):.1f} s, 2 cores; `sasnets.analysis.examples.fit_examples`).")
        lines[2] = lines[2].rstrip(" |") + " | sasnets fit: first (reduced χ²); best accepted |"
        lines[3] = lines[3] + " --- |"
    old = {(r["file"], r["entry"]): r for r in before or []}
    for r in records:
        name = r["file"] + (f" [entry {r['entry']}]" if r["entry"] else "")
        label = f"{' / '.join(r['accepted'])} @ {' or '.join(r['structure_factors'])} ({r['source']})"
        if "error" in r:
            lines.append(f"| {name} | {label} | {r['error']} | – | – |" + (" – |" if before else "")
                         + (" – |" if fitted else ""))
            continue
        top = ", ".join(f"{m} {100 * p:.0f} %" for m, p in r["top"])
        s, sp = r["structure_factor"]
        row = (f"| {name} | {label} | {top} | {'yes' if r['form_factor_in_top3'] else 'no'} | "
               f"{s} {100 * sp:.0f} % {'(right)' if r['structure_factor_right'] else '(wrong)'} |")
        if before:
            b = old.get((r["file"], r["entry"]))
            row += f" {b['top'][0][0]} |" if b and "top" in b else " – |"
        if fitted:
            f = r.get("fit") or {}
            if "first" in f:
                acc = f["best_accepted"]
                row += (f" {f['first']} ({f['reduced_chi2']:.3g}){' as good' if f['as_good_first'] else ''}; "
                        + (f"{acc[0]} ({acc[1]:.3g})" if acc else "none fitted") + " |")
            else:
                row += " – |"
        lines.append(row)
    return lines + [""]


def sizes_section(meta) -> list:
    """The size estimates' held-out errors (sasnets sizes), summarised per kind of parameter."""
    if not meta.sizes:
        return []
    kinds = {"main size (first size parameter, log)": [], "other sizes (log)": [], "volume fraction (log)": [],
             "dispersity of the first size (width)": []}
    for label, spec in meta.sizes["labels"].items():
        errors = meta.sizes["error"][label]
        sizes = [p for p, t, _ in spec if t == "log" and p != "volfraction"]
        for p, t, _ in spec:
            e = errors[p]
            if p == "volfraction":
                kinds["volume fraction (log)"].append(e)
            elif t == "linear":
                kinds["dispersity of the first size (width)"].append(e)
            elif sizes and p == sizes[0]:
                kinds["main size (first size parameter, log)"].append(e)
            else:
                kinds["other sizes (log)"].append(e)
    lines = ["## Size estimates", "",
             f"Per label, a ridge regression from the network's features (`sasnets sizes`, fitted on "
             f"{meta.sizes.get('per_label', '?')} training curves a label, errors on the held-out tag "
             f"`{meta.sizes.get('check_tag')}`), shown by `sasnets predict` and used by `sasnets fit` as a start. "
             "RMS error per label, the median and the spread over labels; a log error of 0.3 is a factor 1.35:", "",
             "| parameter | labels | median RMS error | 10th–90th percentile | typical factor |", "| --- | --- | --- | --- | --- |"]
    for kind, values in kinds.items():
        if not values:
            continue
        v = np.asarray(values)
        factor = f"× {np.exp(np.median(v)):.2f}" if "log" in kind else ""
        lines.append(f"| {kind} | {len(v)} | {np.median(v):.3f} | {np.percentile(v, 10):.3f}–{np.percentile(v, 90):.3f} | "
                     f"{factor} |")
    return lines + [""]


def _generate_records(provenance):
    return [r for r in provenance or [] if r.get("command") == "generate" and isinstance(r.get("options"), dict)]


def broad_note(provenance) -> str:
    """How many products took sasmodels' own structure factor draw (``--sf-broad-share``), from the provenance."""
    shares = {float(r["options"].get("sf_broad_share", 0.0)) for r in _generate_records(provenance)}
    shares.discard(0.0)
    if not shares:
        return ""
    share = "/".join(f"{100 * v:.0f}" for v in sorted(shares))
    return (f", except on {share} % of them, which take sasmodels' own draw (its `random()`: volume fraction up "
            "to 0.74, effective radius untied from the particle on some)")


def any_size_note(provenance) -> str:
    """The curves simulated at any size (``--any-size``), from the provenance."""
    counts = {int(r["count"]) for r in _generate_records(provenance) if r["options"].get("resolvable") is False}
    return f", plus {'/'.join(map(str, sorted(counts)))} curves a cheap label of any size" if counts else ""


def model_card(clf, result, pairs, train_counts, test_tag, recipe, size_bytes, other=None, measured=None,
               measured_before=None, speed=None, limits: str = "", train_provenance=None) -> str:
    from sasnets.classifier.factors import split_label

    m = result.metrics
    meta = clf.meta
    versions = meta.versions
    training = meta.training
    q = clf.qgrid
    history = []
    hist_file = os.path.join(clf.path, "history.json")
    if os.path.exists(hist_file):
        history = json.load(open(hist_file))
    best_val = max((r.get("val_accuracy", 0) for r in history), default=None)
    per = m["per_model"]
    n_train = sum(train_counts.values())
    forms = sorted({split_label(label)[0] for label in clf.labels})
    structures = sorted({split_label(label)[1] for label in clf.labels} - {"none"})
    products = [label for label in clf.labels if "@" in label]
    minutes = (history[-1].get("elapsed", 0) / 60) if history else 0
    counts = list(train_counts.values()) or [0]
    init = training.get("init_from")
    lines = [
        "# Model card: the default sasnets classifier",
        "",
        f"Directory `sasnets/pretrained/{os.path.basename(os.path.normpath(clf.path))}/`, "
        f"loaded by `sasnets.load_default_classifier()` and used by `sasnets predict FILE` / `sasnets fit FILE` "
        f"when no classifier is given. Written by `scripts/ship_pretrained.py` on "
        f"{datetime.date.today().isoformat()}; every figure below comes from that run.",
        "",
        "## What it does",
        "",
        f"Names the scattering model of a 1D small-angle scattering curve I(q) as sasmodels writes it: one of "
        f"**{len(clf.labels)} labels**, {len(forms)} form factors alone (every model of sasmodels "
        f"{versions.get('sasmodels', '?')}) and {len(products)} products `form_factor@structure_factor` of the "
        f"form factors that can take one with {', '.join(structures)}, with calibrated probabilities. The "
        "probability of a form factor (or of a structure factor) is the sum over the pairs that have it; `sasnets "
        "predict` shows both, and estimates each candidate's sizes. Use it to shortlist candidates, then fit them "
        "with `sasnets fit`.",
        "",
        "## Network",
        "",
        f"- architecture: `{clf.architecture}` with widths {list(meta.hyper.get('widths', []))} "
        f"and {list(meta.hyper.get('blocks', []))} residual blocks per stage "
        f"({os.path.basename(recipe)} recipe), {len(history)} epochs trained ({minutes:.0f} min on 2 CPU cores)"
        + (f", warm-started from `{os.path.basename(os.path.normpath(init))}` (every layer copied; each product "
           "F@S started from F's output row)" if init else "")
        + f"; best validation accuracy {pct(best_val)}",
        f"- input: q-grid of {len(q)} log-spaced points from {q[0]:.4g} to {q[-1]:.4g} 1/Å; channels "
        f"{', '.join(clf.preprocess_spec.channels)} (points a curve does not cover are masked)",
        f"- softmax temperature {clf.temperature:.3g}{calibrated_on(meta)}; size on disk {size_bytes / 2**20:.1f} MB",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
        "",
        "## Training data (reproduce with `scripts/pretrain.sh`)",
        "",
        f"- {n_train} training curves of {len(train_counts)} labels, simulated with `sasnets generate --preset "
        "realistic --resolution 0`: per curve a q window (qmin 0.001–0.02, qmax 0.1–0.6 1/Å, 60–250 points), "
        "1–5 % noise, scale 0.001–0.3 and background 0.001–1 1/cm (log-uniform); size dispersity (gaussian, "
        "lognormal or schulz, width 0–0.3, up to two size parameters) on 80 % of the curves that have a size, "
        "the others monodisperse; 15 % slit-smeared as USANS/USAXS (slit length 0.01–0.12 1/Å on q 3e-5..0.05 "
        "1/Å); products with physical S(q) parameters (volume fraction 0.01–0.4, effective radius from the form "
        f"factor){broad_note(train_provenance)}, half of them in the beta approximation; parameters from each "
        f"model's `random()`; sizes shrunk into the q window{any_size_note(train_provenance)}",
        f"- curves per label budgeted by the measured cost of one curve (`scripts/model_costs.py`, "
        f"`scripts/pretrain_costs.json`): {min(counts)}–{max(counts)} (the per-label table lists them); the "
        "costliest labels get fewer dispersity points (6 or 4), pringle none",
        f"- training augmentation: {describe_augmentation(training.get('augment', {}))}; 10 % of the training "
        "tag held out for validation",
        f"- test set: tag `{test_tag}`, {m['n']} curves simulated the same way with 2–10 % dQ/Q pinhole "
        "resolution, as measured, and another seed",
        "",
        "## 1. Held-out test set (own sampler)",
        "",
    ]
    lines += metrics_table(m)
    if limits.strip():  # what limits the figures, written from them by whoever ships (--limits)
        lines += [limits.strip(), ""]
    if other is not None:
        om = other.metrics
        lines += ["## 2. Another sampler: sasmodels' `compare.randomize_pars`", "",
                  f"{om['n']} curves from `sasnets generate --sampler sasmodels` (sasmodels' own ranges and "
                  "dispersity, S(q) parameters drawn on their own, not tied to the form factor: effective radius, "
                  "charge, dielectric constant anywhere in their limits), otherwise as the test set "
                  "(`scripts/pretrain.sh judge`):", ""]
        lines += metrics_table(om)
    if measured:
        lines += ["## 3. Measured data: SasView's example files", "",
                  "The example files `sasdata` installs, those whose scattering model SasView's tutorials, docs "
                  "or test-data names state (`sasnets.analysis.examples.LABELLED` lists the labels and their "
                  "sources).", ""]
        lines += measured_table(measured, measured_before)
    lines += ["## 4. Per structure factor and per family", "", "### By the true structure factor", ""]
    lines += per_structure_factor_table(m, other.metrics if other is not None else None)
    lines += ["### By the family of the true form factor", ""]
    lines += per_family_table(m, other.metrics if other is not None else None)
    lines += ["## 5. Calibration", "",
              "| measure | test set | other sampler |", "| --- | --- | --- |",
              f"| softmax temperature | {clf.temperature:.3g} | (same network) |",
              f"| expected calibration error (15 bins) | {m['ece']:.3f} | "
              f"{other.metrics['ece']:.3f} |" if other is not None else
              f"| expected calibration error (15 bins) | {m['ece']:.3f} | – |",
              f"| 95 % credible set coverage / mean size | {pct(m['credible95']['coverage'])} / "
              f"{m['credible95']['mean_size']:.1f} | " + (f"{pct(other.metrics['credible95']['coverage'])} / "
                                                          f"{other.metrics['credible95']['mean_size']:.1f} |"
                                                          if other is not None else "– |"),
              f"| 68 % credible set coverage | {pct(m['credible68']['coverage'])} | "
              + (f"{pct(other.metrics['credible68']['coverage'])} |" if other is not None else "– |"),
              f"| mean negative log-likelihood | {m['nll']:.3f} | "
              + (f"{other.metrics['nll']:.3f} |" if other is not None else "– |"),
              ""]
    lines += sizes_section(meta)
    if speed:
        lines += ["## Speed", "",
                  f"- batch inference (numpy runtime, no TensorFlow): {speed['curves_per_s']:.0f} curves/s on "
                  f"{speed['threads']} cores ({speed['curves']} curves of the test set, preprocessing included; the "
                  f"fastest of {speed['passes']} passes, the slowest {speed['slowest_curves_per_s']:.0f})",
                  f"- cold `sasnets predict FILE` (a new process, the file read, the answer printed): "
                  f"{speed['cold_s']:.2f} s (the faster of two)", ""]
    lines += condition_tables(m) + fit_section(m.get("fit_verified"))
    lines += ["### Per label (worst first)", "",
              "| label | train curves | test curves | top-1 | top-3 | mean rank |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name, v in sorted(per.items(), key=lambda kv: (kv[1]["top1"], kv[0])):
        lines.append(f"| {name} | {train_counts.get(name, 0)} | {v['n']} | {pct(v['top1'])} | "
                     f"{pct(v['top3'])} | {v['mean_rank']:.2f} |")
    lines += ["", "## Most confused pairs", "",
              "Share of the two labels' test curves that the classifier gave to the other one (top-1).", "",
              "| label A | label B | A taken for B | B taken for A | share |", "| --- | --- | --- | --- | --- |"]
    for a, b, ab, ba, rate in pairs:
        lines.append(f"| {a} | {b} | {ab} | {ba} | {pct(rate)} |")
    lines += [
        "",
        "## Known limits",
        "",
        f"- q-range: the network reads {q[0]:.3g}–{q[-1]:.3g} 1/Å (the grid of the classifier it was warm-started "
        "from); slit-smeared USANS curves reach far lower q and only their part inside the grid is read. "
        "`sasnets predict` warns below half coverage. Convert q in 1/nm (`--q-units nm`).",
        "- A product at a low volume fraction scatters like its form factor alone: `none` and a structure factor "
        "are then the same answer within noise, which caps how often the structure factor can be named.",
        "- Magnetic and oriented (2D) scattering are not covered; curves are orientation averaged.",
        "- Multiple scattering, incoherent-background slopes and instrument artefacts are not simulated.",
        "- The probabilities are calibrated on simulated data; treat them as a ranking on real data and "
        "confirm with `sasnets fit`.",
        "- Scattering models of a newer sasmodels or `SAS_MODELPATH` plugin models are unknown to it; "
        "`sasnets.load_default_classifier()` warns once and lists them. Train your own classifier for those "
        "(docs/custom-datasets.md).",
        "",
    ]
    return "\n".join(lines)


def measure_speed(clf, store, tag: str, curves: int = 20000, passes: int = 3) -> dict:
    """Batch curves/s of the numpy runtime on test curves (the fastest and the slowest of ``passes``
    timed passes: a shared machine's other tenants slow single passes by up to a third), and a cold
    `sasnets predict FILE` in a new process (the faster of two)."""
    import subprocess
    import time

    from sasnets.stores import open_store

    with open_store(store) as handle:
        batch = handle.read(tag, with_params=False)
    reps = max(1, curves // max(len(batch), 1))
    clf.predict_proba(batch.take(np.arange(min(len(batch), 256))))  # warm: load the network once
    rates = []
    for _ in range(passes):
        t0 = time.perf_counter()
        for _ in range(reps):
            clf.predict_proba(batch)
        rates.append(reps * len(batch) / (time.perf_counter() - t0))
    example = os.path.join(ROOT, "sasnets", "examples", "cylinder_example.txt")
    cold = []
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sasnets", "predict", example], check=True, capture_output=True)
        cold.append(time.perf_counter() - t0)
    return {"curves_per_s": max(rates), "slowest_curves_per_s": min(rates), "passes": passes,
            "curves": reps * len(batch), "threads": os.cpu_count(), "cold_s": min(cold)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="trained classifier directory")
    parser.add_argument("store", help="store holding the test tag (and the train tag, for counts)")
    parser.add_argument("--tag", default="test")
    parser.add_argument("--train-store", help="store holding the train tag (default: STORE)")
    parser.add_argument("--name", default="realistic-resnet1d-large")
    parser.add_argument("--judge-store", help="store of curves from another sampler (card table 2)")
    parser.add_argument("--judge-tag", default="sasmodels")
    parser.add_argument("--compare", metavar="CLASSIFIER",
                        help="the classifier shipped before, for the measured-data table's 'before' column")
    parser.add_argument("--speed", action="store_true", help="measure batch and cold-start inference speed")
    parser.add_argument("--fit-measured", action="store_true",
                        help="also run sasnets fit's default on the labelled example files (card table 3b)")
    parser.add_argument("--dest", default=os.path.join(ROOT, "sasnets", "pretrained"))
    parser.add_argument("--recipe", default="scripts/pretrain.sh")
    parser.add_argument("--limits", default=os.path.join(ROOT, "scripts", "model_card_limits.md"),
                        help="markdown placed after the card's first table: what limits its figures, as measured "
                             "(written by hand from this and earlier runs; a missing file leaves it out)")
    parser.add_argument("--fit-verify", type=int, default=0, metavar="N",
                        help="also fit the candidates of N random test curves (card section 'Classify, then fit')")
    parser.add_argument("--fit-verified-from", metavar="JSON",
                        help="take that section's figures from `sasnets evaluate RUN STORE --fit-verify N --json` "
                             "saved in JSON (the same test tag) instead of fitting again")
    args = parser.parse_args(argv)

    import sasnets
    from sasnets.stores import open_store

    sasnets.load_classifier(args.run)  # a run that does not load fails before anything shipped is removed
    target = os.path.join(args.dest, args.name)
    for entry in os.listdir(args.dest) if os.path.isdir(args.dest) else []:
        shipped = os.path.join(args.dest, entry)
        if shipped == target or os.path.isfile(os.path.join(shipped, "classifier.json")):
            print(f"replacing {shipped}", file=sys.stderr)
            shutil.rmtree(shipped)
    os.makedirs(target)
    for name in SHIPPED_FILES:
        if os.path.exists(os.path.join(args.run, name)):
            shutil.copy2(os.path.join(args.run, name), os.path.join(target, name))
    clf = sasnets.load_classifier(target)
    result = sasnets.evaluate(clf, args.store, args.tag)
    if args.fit_verified_from:
        with open(args.fit_verified_from) as fh:
            result.metrics["fit_verified"] = json.load(fh)["fit_verified"]
    elif args.fit_verify:
        from sasnets.analysis.fit_verified import fit_verified_accuracy_on_store

        result.metrics["fit_verified"] = fit_verified_accuracy_on_store(clf, args.store, args.tag, n=args.fit_verify)
    with open_store(args.train_store or args.store) as store:
        train_counts = store.counts().get("train", {})
        train_provenance = store.provenance("train")
    from sasnets.analysis.examples import classify_examples

    other = sasnets.evaluate(clf, args.judge_store, args.judge_tag) if args.judge_store else None
    measured = classify_examples(clf)
    before = classify_examples(sasnets.load_classifier(args.compare)) if args.compare else None
    speed = measure_speed(clf, args.store, args.tag) if args.speed else None
    if args.fit_measured:
        from sasnets.analysis.examples import fit_examples

        fits = {(r["file"], r["entry"]): r for r in fit_examples(clf)}
        for r in measured:
            r["fit"] = fits.get((r["file"], r["entry"]))
    size = sum(os.path.getsize(os.path.join(target, f)) for f in os.listdir(target))
    if size > 20 * 2**20:
        print(f"warning: {target} is {size / 2**20:.1f} MB, over the 20 MB limit", file=sys.stderr)
    card = model_card(clf, result, confused_pairs(result), train_counts, args.tag, args.recipe, size, other=other,
                      measured=measured, measured_before=before, speed=speed, train_provenance=train_provenance,
                      limits=open(args.limits).read() if os.path.exists(args.limits) else "")
    with open(os.path.join(args.dest, "MODEL_CARD.md"), "w") as fh:
        fh.write(card)
    with open(os.path.join(args.dest, "evaluation.json"), "w") as fh:
        json.dump({"metrics": result.metrics, "info": result.info,
                   "other_sampler": other.metrics if other is not None else None, "measured": measured,
                   "measured_before": before, "speed": speed}, fh, indent=1, default=float)
    m = result.metrics
    f = m.get("factors", {})
    print(f"{target}: {size / 2**20:.1f} MB; test pair top-1 {m['top1']:.1%}, form factor top-1 "
          f"{f.get('form_factor', {}).get('top1', float('nan')):.1%}, structure factor "
          f"{f.get('structure_factor', {}).get('accuracy', float('nan')):.1%} on {m['n']} curves; "
          f"card {os.path.join(args.dest, 'MODEL_CARD.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

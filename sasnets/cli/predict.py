"""``sasnets predict [CLASSIFIER] FILE...``: the most probable scattering models of measured curves.

The classifier is the first argument when it is a classifier directory (or
archive), else ``--classifier``, else the default classifier shipped with
sasnets (when the installed version provides one).  Every file is read with
:func:`sasnets.stores.measured.read_entries`, so each entry of a file holding
several curves (CanSAS XML ``SASentry`` blocks, NXcanSAS entries) is classified
as ``file[entry]``; a file that cannot be read gets one line on stderr and the
others are still classified; the exit status is 1 if any file failed.
Warnings are printed as ``Warning: ...``: reading warnings on stderr; those
that say the answer lies outside what the classifier was trained on
(slit-smeared curve, entries left out, little q-grid coverage, a flat curve)
next to the probabilities (on stderr too with ``--json``).
"""
import json
import math
import os
import warnings

import click

from ..errors import DataError, UsageError
from ..progress import notifier
from ._progress import ProgressBars

#: credible-set members the text output names before "… and N more"
CREDIBLE_SHOWN = 6
#: warn when a file covers less than this fraction of the classifier's q-grid
MIN_COVERAGE = 0.5


def is_classifier_path(path: str) -> bool:
    """True for a classifier directory, its ``classifier.json``, or a ``.zip`` archive of one."""
    if os.path.isdir(path):
        return os.path.exists(os.path.join(path, "classifier.json"))
    if os.path.isfile(path):
        if os.path.basename(path) == "classifier.json":
            return True
        if path.lower().endswith(".zip"):
            import zipfile

            try:
                with zipfile.ZipFile(path) as zf:
                    return any(n.rsplit("/", 1)[-1] == "classifier.json" for n in zf.namelist())
            except (OSError, zipfile.BadZipFile):
                return False
    return False


def split_arguments(inputs, classifier_option):
    """``(classifier, files)`` from the positional arguments and ``--classifier``."""
    from ..classifier import load_classifier, load_default_classifier

    inputs = list(inputs)
    if classifier_option:
        return load_classifier(classifier_option), expand_data_paths(inputs)
    if inputs and is_classifier_path(inputs[0]):
        return load_classifier(inputs[0]), expand_data_paths(inputs[1:])
    return load_default_classifier(), expand_data_paths(inputs)


def expand_data_paths(paths) -> list:
    """The data files named by ``paths``: a directory stands for the files in it
    (sorted, hidden ones left out, not recursive); a directory with none is a UsageError."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            inside = sorted(os.path.join(path, n) for n in os.listdir(path)
                            if not n.startswith(".") and os.path.isfile(os.path.join(path, n)))
            if not inside:
                raise UsageError(f"{path} is a directory with no data files in it; pass measured curve files "
                                 "or a directory holding them.")
            files += inside
        else:
            files.append(path)
    return files


def grid_coverage(curve_q, grid) -> float:
    """Fraction of the classifier's q-grid points inside the measured q-range."""
    import numpy as np

    grid = np.asarray(grid)
    inside = (grid >= float(np.min(curve_q)) * (1 - 1e-6)) & (grid <= float(np.max(curve_q)) * (1 + 1e-6))
    return float(inside.mean()) if len(grid) else 0.0


def flatness_note(path, curve, notes: list):
    """The curve's intensity range in decades (95th over 5th percentile); adds a
    warning to ``notes`` when it is so flat that the classification is
    unreliable (top-1 on such test curves is a fraction of the average:
    ``sasnets evaluate`` reports it by intensity range)."""
    from ..analysis.conditions import FLAT_DECADES, intensity_decades
    from ..data.curves import CurveBatch

    spread = float(intensity_decades(CurveBatch.from_curves([curve]))[0])
    if spread < FLAT_DECADES:
        notes.append(f"{path}: its intensity varies by only a factor {10 ** spread:.2f} over the measured q-range "
                     "(5th to 95th percentile), so flat background or noise hides most of the scattering model's "
                     "shape and the answer is unreliable; measure to lower q, or with a longer count or a stronger "
                     "contrast.")
    return None if math.isnan(spread) else spread


_FORMAT_NAMES = {"nxcansas": "NXcanSAS", "nist-abs": "NIST .ABS", "cansas-xml": "CanSAS XML", "ascii": "ASCII"}


def _slit_note(label: str, curve, trained_on_slit: bool | None) -> str | None:
    """The caveat of a slit-smeared curve for a classifier whose training data had none (or do not say);
    None when it was trained on slit-smeared curves too (the shipped one: 15 % of them)."""
    import numpy as np

    if trained_on_slit:
        return None
    length = float(np.median(np.asarray(curve.slit_length)[np.asarray(curve.slit_length) > 0]))
    trained = ("was trained on pinhole-smeared curves only" if trained_on_slit is False
               else "does not record whether it was trained on slit-smeared curves")
    return (f"{label}: the curve is slit-smeared (slit length {length:.3g} 1/Å) but the classifier {trained}, "
            "so the answer is less reliable; check the candidates with a fit that applies the slit resolution.")


def classify_files(clf, files, top: int, q_units=None, progress=None, slit_length=None, resolution=None):
    """One record per curve (each entry of a multi-entry file is one, named ``file[entry]``):
    ``{"file", "predictions", "credible95", "coverage", "warnings", ...}`` or ``{"file", "error"}``;
    never raises for a bad file; ``progress`` gets Progress events of stage ``"read"`` (files).  ``slit_length`` (1/Å) or ``resolution`` (pinhole dQ/Q, %) give
    curves whose file states no resolution one.  ``record["caveats"]`` lists the warnings that say the
    answer is outside what the classifier was trained on (shown next to the probabilities)."""
    import numpy as np

    from ..analysis.metrics import credible_sets
    from ..classifier.factors import factor_probabilities, split_label
    from ..stores.measured import EntryLeftOutWarning, fill_resolution, read_entries

    records, curves, slots = [], [], []
    grid = clf.qgrid
    trained_on_slit = getattr(getattr(clf, "meta", None), "trained_on_slit", None)
    notify = notifier(progress)
    for read, path in enumerate(files, 1):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                entries = read_entries(path, q_units)
            except DataError as exc:
                records.append({"file": path, "error": str(exc)})
                notify("read", read, len(files))
                continue
        left_out = [str(w.message) for w in caught if issubclass(w.category, EntryLeftOutWarning)]
        for number, measured in enumerate(entries):
            curve = measured.curve
            label = curve.source or path
            notes = [str(w.message) for w in caught
                     if _belongs(str(w.message), path, label, number == 0) or number == 0 and str(w.message) in left_out]
            caveats = [n for n in notes if n in left_out]
            fill_resolution(curve, slit_length, None if resolution is None else resolution / 100)
            slit_note = _slit_note(label, curve, trained_on_slit) if curve.slit_smeared else None
            if slit_note:
                caveats.append(slit_note)
                notes.append(slit_note)
            coverage = grid_coverage(curve.q, grid)
            record = {"file": label, "format": measured.format, "points": int(len(curve)),
                      "qmin": float(curve.q[0]), "qmax": float(curve.q[-1]), "coverage": coverage,
                      "warnings": notes, "caveats": caveats}
            if coverage == 0:
                record = {"file": label, "error": (
                    f"{label}: its q-range {curve.q[0]:.3g}–{curve.q[-1]:.3g} 1/Å does not overlap the "
                    f"classifier's q-grid {grid[0]:.3g}–{grid[-1]:.3g} 1/Å; check the q units (--q-units).")}
            elif coverage < MIN_COVERAGE:
                caveats.append(f"{label}: covers only {coverage:.0%} of the classifier's q-grid "
                               f"({grid[0]:.3g}–{grid[-1]:.3g} 1/Å); the answer is less reliable.")
                notes.append(caveats[-1])
            if "error" not in record:
                before = len(notes)
                record["intensity_decades"] = flatness_note(label, curve, notes)
                caveats.extend(notes[before:])
                curves.append(curve)
                slots.append(len(records))
            records.append(record)
        notify("read", read, len(files))
    if curves:
        proba = clf.predict_proba(curves)
        k = min(top, len(clf.labels))
        order = np.argsort(-proba, axis=1, kind="stable")
        sets = credible_sets(proba, 0.95)
        forms, p_form, structures, p_structure = factor_probabilities(proba, clf.labels)
        f_index = {f: i for i, f in enumerate(forms)}
        s_index = {s_: i for i, s_ in enumerate(structures)}
        for row, slot in enumerate(slots):
            p = proba[row]
            predictions = []
            for j in order[row, :k]:
                form, structure = split_label(clf.labels[j])
                predictions.append({"model": clf.labels[j], "probability": float(p[j]), "form_factor": form,
                                    "form_factor_probability": float(p_form[row, f_index[form]]),
                                    "structure_factor": structure,
                                    "structure_factor_probability": float(p_structure[row, s_index[structure]])})
            records[slot]["predictions"] = predictions
        estimates = clf.estimate_sizes(curves, [[p["model"] for p in records[slot]["predictions"]] for slot in slots])
        for row, slot in enumerate(slots):
            for p in records[slot]["predictions"]:
                p["sizes"] = estimates[row].get(p["model"], {})
            records[slot]["structure_factors"] = sorted(
                ({"structure_factor": name, "probability": float(p_structure[row, i])} for i, name in enumerate(structures)),
                key=lambda e: -e["probability"])
            records[slot]["credible95"] = [clf.labels[j] for j in order[row] if sets[row, j]]
    return records


def _belongs(message: str, path: str, label: str, first: bool) -> bool:
    """Whether a reading warning is about the entry ``label`` of ``path``: warnings
    naming an entry (``path[entry]: ...``) go to that entry, file-wide ones to the first."""
    if label != path:
        if message.startswith(label + ":") or message.startswith(label + " "):
            return True
        return first and not message.startswith(path + "[")
    return True


def format_record(r: dict) -> str:
    name = _FORMAT_NAMES.get(r["format"], r["format"])
    lines = [f"{r['file']}: {name}, {r['points']} points, q {r['qmin']:.3g}–{r['qmax']:.3g} 1/Å "
             f"(covers {r['coverage']:.0%} of the q-grid)"]
    width = max(len(p["model"]) for p in r["predictions"])
    products = len(r.get("structure_factors", ())) > 1  # a classifier that names structure factors
    for i, p in enumerate(r["predictions"], 1):
        line = f"  {i:>2}. {p['model']:<{width}}  {100 * p['probability']:6.2f} %"
        if products:
            line += f"   (form factor {100 * p['form_factor_probability']:.0f} %)"
        if p.get("sizes"):
            line += "   " + ", ".join(format_size(name, e) for name, e in p["sizes"].items())
        lines.append(line)
    if products:
        lines.append("  structure factor: " + ", ".join(f"{e['structure_factor']} {100 * e['probability']:.1f} %"
                                                        for e in r["structure_factors"]))
    cs = r["credible95"]
    shown = ", ".join(cs[:CREDIBLE_SHOWN]) + (f" … and {len(cs) - CREDIBLE_SHOWN} more (all in --json)"
                                             if len(cs) > CREDIBLE_SHOWN else "")
    lines.append(f"  95 % credible set ({len(cs)} model{'s' if len(cs) != 1 else ''}): {shown}")
    for note in r.get("caveats", []):  # next to the probabilities: why they may not hold
        lines.append(f"  Warning: {note.split(': ', 1)[1] if note.startswith(r['file'] + ': ') else note}")
    return "\n".join(lines)


def format_size(name: str, estimate: dict) -> str:
    """``radius ≈ 20.1 Å (14.2–28.4)``: an estimate with its 1-sigma interval."""
    units = f" {estimate['units']}" if estimate.get("units") else ""
    return f"{name} ≈ {estimate['value']:.3g}{units} ({estimate['low']:.3g}–{estimate['high']:.3g})"


@click.command("predict")
@click.argument("inputs", nargs=-1, required=True, metavar="[CLASSIFIER] FILE...")
@click.option("--classifier", "classifier_option", type=click.Path(),
              help="Classifier directory (instead of giving it as the first argument).")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many scattering models to list per file.")
@click.option("--json", "as_json", is_flag=True,
              help='Print a JSON array: {"file", "predictions": [{"model", "probability", "form_factor", '
                   '"form_factor_probability", "structure_factor", "structure_factor_probability"}, …], '
                   '"structure_factors", …} or {"file", "error"}.')
@click.option("--q-units", type=click.Choice(["A", "nm"], case_sensitive=False), metavar="A|nm",
              help="Units of q in the files, overriding what they say (default: as stated, else 1/Å).")
@click.option("--slit-length", type=float, metavar="L",
              help="Slit length (1/Å) of curves whose file states no resolution (USANS/USAXS, slit-smeared).")
@click.option("--resolution", type=float, metavar="PCT",
              help="Pinhole resolution dQ/Q in % of curves whose file states no resolution.")
def predict(inputs, classifier_option, top, as_json, q_units, slit_length, resolution):
    """Name the scattering model of each measured curve FILE (.ABS, .txt/.dat/.csv, CanSAS XML, NXcanSAS .h5).

    CLASSIFIER is a directory made by `sasnets train` (or --classifier DIR);
    without either, the classifier shipped with sasnets is used.  A FILE that
    is a directory stands for the files in it.  Every entry of a file holding
    several curves is classified, as FILE[entry].

    \b
    Examples:
      sasnets predict sample.ABS
      sasnets predict runs/mine *.xml --top 3 --json
      sasnets predict usans.txt --slit-length 0.117
    """
    for option, value in (("--slit-length", slit_length), ("--resolution", resolution)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise UsageError(f"{option} {value:g} is not allowed; give a length or percentage of 0 or more.")
    if slit_length and resolution:
        raise UsageError("Give --slit-length (slit-smeared curves) or --resolution (pinhole), not both.")
    clf, files = split_arguments(inputs, classifier_option)
    if not files:
        raise UsageError("No data files given; pass one or more measured curve files after the classifier.")
    with ProgressBars(quiet=len(files) <= 50, units={"read": "file"}) as bars:  # a bar only for many files
        records = classify_files(clf, files, top, q_units, progress=bars, slit_length=slit_length,
                                 resolution=resolution)
    failed = 0
    for r in records:
        if "error" in r:
            failed += 1
            click.echo(f"Error: {r['error']}", err=True)
        for note in r.get("warnings", []):
            if as_json or note not in r.get("caveats", ()):  # text output shows caveats with the probabilities
                click.echo(f"Warning: {note}", err=True)
    if as_json:
        out = [{"file": r["file"], "error": r["error"]} if "error" in r else
               {"file": r["file"], "predictions": r["predictions"], "structure_factors": r["structure_factors"],
                "credible95": r["credible95"],
                "coverage": r["coverage"], "intensity_decades": r["intensity_decades"], "format": r["format"],
                "points": r["points"], "warnings": r["warnings"]}
               for r in records]
        click.echo(json.dumps(out, indent=2))
    else:
        blocks = [format_record(r) for r in records if "error" not in r]
        if blocks:
            click.echo("\n\n".join(blocks))
    if failed:
        raise click.exceptions.Exit(1)


COMMANDS = [predict]

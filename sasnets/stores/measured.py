"""Loading measured 1D curves from the files users have.

:func:`load_curve` reads one file and returns a :class:`~sasnets.data.Curve`
with ``q`` in 1/Å, sorted, and only physically usable points.  The format is
recognised from the file's content (its name only breaks ties):

=================  ==========================================  ====================
format             recognised by                               read with
=================  ==========================================  ====================
NXcanSAS HDF5      HDF5 signature                              sasdata (HDF5 reader)
NIST/NCNR ``.ABS``  "The 6 columns are" line, or ``.abs`` name  sasdata (ABS reader)
CanSAS 1D XML      ``<`` as first character                    our own parser [1]_
ASCII 2–4 columns  anything else that is text                  our own parser [2]_
=================  ==========================================  ====================

.. [1] sasdata 0.11's CanSAS XML reader fails to compile its own schema with
   current lxml ("content model is not determinist"), so every XML file fails.
.. [2] sasdata's ASCII reader ignores the q units a header states and silently
   drops rows holding ``nan``; we need both handled.

Units: q in 1/nm is divided by 10 when the file says so (NXcanSAS/XML
``units`` attributes; an ASCII header mentioning ``1/nm``, ``nm^-1`` …);
``q_units="A"`` or ``"nm"`` overrides what the file says.  Intensities are
left as they are.

Cleaning rules, applied to every format (decided here, documented in
docs/evaluate-predict-analyze.md):

* rows are sorted by q; rows sharing a q value are merged (mean intensity,
  errors combined in quadrature), with a warning;
* rows whose q or intensity is not finite, or not positive, are *bad*: up to
  20 % of them are dropped with a warning, more make the file an error (a
  scattering curve is positive; a file that is mostly bad is not one);
* negative or non-finite errors (dI, dq) are treated as unknown (0);
* fewer than :data:`MIN_POINTS` usable points is an error.

Every failure is a :class:`~sasnets.errors.DataError` whose one-sentence
message names the file; sasdata's own exceptions are wrapped.  Warnings are
issued as :class:`MeasuredFileWarning` so callers (the CLI) can show them per
file.
"""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass

import numpy as np

from ..data.curves import Curve
from ..errors import DataError, UsageError

__all__ = ["load_curve", "read_measured", "MeasuredFile", "MeasuredFileWarning", "parse_q_units",
           "MIN_POINTS", "MAX_BAD_FRACTION"]

#: fewest usable points a measured curve may have
MIN_POINTS = 3
#: largest fraction of bad rows (non-finite or non-positive q or I) dropped with a warning
MAX_BAD_FRACTION = 0.2
#: q (1/Å) above which a file that does not state its units gets a "maybe 1/nm?" warning
UNSTATED_Q_LIMIT = 1.0

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ABS_MARKER = "The 6 columns are"
_SPLIT = re.compile(r"[\s,;]+")
_NM_RE = re.compile(r"(1\s*/\s*nm\b|nm\s*\^?\s*\(?-1|nm\*\*-1|inverse\s+nano|nm⁻¹)", re.I)
_ANG_RE = re.compile(r"(1\s*/\s*(a|å|ang|angstrom)\b|(a|å|ang|angstrom)\s*\^?\s*\(?-1|å⁻¹|inverse\s+ang)", re.I)


class MeasuredFileWarning(UserWarning):
    """Something in a measured file was fixed up (points dropped, merged, units converted)."""


@dataclass
class MeasuredFile:
    """A loaded measured file: the cleaned curve plus how it was read."""

    curve: Curve
    format: str          #: "nxcansas", "nist-abs", "cansas-xml" or "ascii"
    q_units: str         #: units q had in the file ("1/A" or "1/nm") before conversion
    rows: int            #: data rows read before cleaning


def parse_q_units(value: str | None, option: str = "--q-units") -> str | None:
    """Normalise a q-unit name to ``"1/A"``, ``"1/nm"`` or ``None`` (auto)."""
    if value is None:
        return None
    key = value.strip().lower().replace("^-1", "").replace("1/", "").replace("inv", "").strip()
    if key in ("a", "å", "ang", "angstrom", "aa"):
        return "1/A"
    if key in ("nm", "nanometer", "nanometre"):
        return "1/nm"
    if key in ("", "auto"):
        return None
    raise UsageError(f"Unknown q units {value!r} ({option}); use A (1/Å) or nm (1/nm).")


def load_curve(path, q_units: str | None = None) -> Curve:
    """Read the measured 1D curve in ``path`` (q returned in 1/Å).

    ``q_units`` (``"A"``/``"nm"``, ``None`` = what the file says, else 1/Å)
    overrides the units of q stated in the file.
    """
    return read_measured(path, q_units).curve


def read_measured(path, q_units: str | None = None) -> MeasuredFile:
    """Like :func:`load_curve` but also reports the format and original units."""
    path = os.fspath(path)
    override = parse_q_units(q_units, "q_units")
    name = os.path.basename(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file; check the path.")
    if os.path.isdir(path):
        raise DataError(f"{path} is a directory, not a data file.")
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if not head.strip():
        raise DataError(f"{path} is empty; give a file with q and I columns.")

    suffix = os.path.splitext(name)[1].lower()
    if head.startswith(_HDF5_SIGNATURE):
        fmt, (q, iq, diq, dq, units, iq_units) = "nxcansas", _read_nxcansas(path)
    elif suffix in (".h5", ".hdf5", ".hdf", ".nxs", ".nx5"):
        raise DataError(f"{path} is not an HDF5 file although its name says so; check that it was copied completely.")
    else:
        text = _decode(path, head)
        stripped = text.lstrip("\ufeff \t\r\n")
        if stripped.startswith("<"):
            fmt, (q, iq, diq, dq, units, iq_units) = "cansas-xml", _read_cansas_xml(path, text)
        elif _ABS_MARKER in text or suffix in (".abs", ".cor"):
            fmt, (q, iq, diq, dq, units, iq_units) = "nist-abs", _read_abs(path)
        else:
            fmt, (q, iq, diq, dq, units, iq_units) = "ascii", _read_ascii(path, text)

    rows = len(q)
    stated = override or units
    if stated == "1/nm":  # readers return the file's own numbers; convert to 1/Å here
        if override is None:
            warnings.warn(MeasuredFileWarning(f"{path}: q is in 1/nm; converted to 1/Å."), stacklevel=2)
        q = np.asarray(q, np.float64) * 0.1
        dq = None if dq is None else np.asarray(dq, np.float64) * 0.1
    curve = _clean(path, q, iq, diq, dq)
    curve.source = path
    curve.iq_units = iq_units
    if stated is None and curve.q[-1] > UNSTATED_Q_LIMIT:
        warnings.warn(MeasuredFileWarning(
            f"{path}: q reaches {curve.q[-1]:.3g} 1/Å, beyond the usual small-angle range, and the file does not "
            "state its units; if q is in 1/nm, pass --q-units nm."), stacklevel=2)
    return MeasuredFile(curve=curve, format=fmt, q_units=units or "1/A", rows=rows)


# -- cleaning ----------------------------------------------------------------
def _clean(path: str, q, iq, diq, dq) -> Curve:
    q = np.asarray(q, dtype=np.float64)
    iq = np.asarray(iq, dtype=np.float64)
    n = len(q)
    diq = np.zeros(n) if diq is None else np.asarray(diq, dtype=np.float64)
    dq = np.zeros(n) if dq is None else np.asarray(dq, dtype=np.float64)
    if n == 0:
        raise DataError(f"{path} holds no data rows; give a file with q and I columns.")
    good = np.isfinite(q) & np.isfinite(iq) & (q > 0) & (iq > 0)
    bad = n - int(good.sum())
    if bad:
        nonfinite = int((~np.isfinite(q) | ~np.isfinite(iq)).sum())
        what = "not-a-number or infinite" if nonfinite >= bad - nonfinite else "zero or negative"
        if bad > MAX_BAD_FRACTION * n or good.sum() < MIN_POINTS:
            raise DataError(
                f"{path}: {bad} of {n} points have {what} q or intensity; a scattering curve needs positive, "
                "finite values, so fix or re-reduce the file."
            )
        warnings.warn(MeasuredFileWarning(
            f"{path}: dropped {bad} of {n} points with non-positive or non-finite q or intensity."), stacklevel=3)
        q, iq, diq, dq = q[good], iq[good], diq[good], dq[good]
    diq = np.where(np.isfinite(diq) & (diq > 0), diq, 0.0)
    dq = np.where(np.isfinite(dq) & (dq > 0), dq, 0.0)

    if np.any(np.diff(q) < 0):
        warnings.warn(MeasuredFileWarning(f"{path}: rows were not in increasing q; sorted them."), stacklevel=3)
    order = np.argsort(q, kind="stable")
    q, iq, diq, dq = q[order], iq[order], diq[order], dq[order]
    unique, first, counts = np.unique(q, return_index=True, return_counts=True)
    if len(unique) < len(q):
        groups = np.repeat(np.arange(len(unique)), counts)
        iq = np.bincount(groups, iq) / counts
        diq = np.sqrt(np.bincount(groups, diq**2)) / counts
        dq = np.bincount(groups, dq) / counts
        warnings.warn(MeasuredFileWarning(
            f"{path}: merged {len(q) - len(unique)} row(s) that repeat a q value (mean intensity)."), stacklevel=3)
        q = unique
    if len(q) < MIN_POINTS:
        raise DataError(
            f"{path} has only {len(q)} usable point{'s' if len(q) != 1 else ''}; at least {MIN_POINTS} are needed to classify a curve."
        )
    return Curve(q=q, iq=iq, diq=diq, dq=dq)


# -- text helpers ------------------------------------------------------------
def _decode(path: str, head: bytes) -> str:
    if b"\x00" in head:
        raise DataError(f"{path} is a binary file, not a text, CanSAS XML or NXcanSAS data file.")
    with open(path, "rb") as f:
        raw = f.read()
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:4096])
    if printable < 0.95 * min(len(text), 4096):
        raise DataError(f"{path} is a binary file, not a text, CanSAS XML or NXcanSAS data file.")
    return text


def _units_in_text(text: str) -> str | None:
    """The q units a header states ("1/nm", "1/A") or ``None``; the first mention wins."""
    nm = _NM_RE.search(text)
    ang = _ANG_RE.search(text)
    if nm and (not ang or nm.start() < ang.start()):
        return "1/nm"
    if ang:
        return "1/A"
    return None


def _unit_name(attr) -> str | None:
    """Map a units attribute (``1/angstrom``, ``1/A``, ``nm^-1``, ``A^{-1}``) to "1/A"/"1/nm"."""
    if attr is None:
        return None
    if isinstance(attr, bytes):
        attr = attr.decode("utf-8", "replace")
    text = str(attr).strip()
    if not text:
        return None
    compact = text.lower().replace(" ", "").replace("{", "").replace("}", "")
    if compact in ("1/nm", "nm^-1", "nm-1", "1/nanometer", "1/nanometre", "nanometer^-1", "nm^{-1}"):
        return "1/nm"
    if compact in ("1/a", "1/å", "a^-1", "å^-1", "1/angstrom", "angstrom^-1", "1/ang", "a-1", "1/aa"):
        return "1/A"
    return _units_in_text(text)


#: a header that names absolute intensities: 1/cm, cm^-1, cm-1
_ABSOLUTE_IN_TEXT = re.compile(r"1\s*/\s*cm\b|\bcm\s*\^?\s*\{?\s*-\s*1", re.I)


def intensity_units(attr) -> str | None:
    """An intensity units attribute as shown to users: ``"1/cm"`` for absolute
    intensities (``1/cm``, ``cm^-1``, ``cm^{-1}``), ``None`` for arbitrary or
    unstated units, else the file's own text."""
    if attr is None:
        return None
    if isinstance(attr, bytes):
        attr = attr.decode("utf-8", "replace")
    text = str(attr).strip()
    compact = text.lower().replace(" ", "").replace("{", "").replace("}", "")
    if not compact or compact in ("none", "a.u.", "au", "arb", "arb.units", "arbitrary", "arbitraryunits", "counts"):
        return None
    return "1/cm" if _ABSOLUTE_IN_TEXT.fullmatch(compact) else text


# -- ASCII -------------------------------------------------------------------
def _read_ascii(path: str, text: str):
    """Columns q, I[, dI[, dq]] separated by spaces, tabs, commas or semicolons.

    Lines that do not parse as numbers (comments, headers, footers) are
    skipped; the data block is the longest run of rows with the same number of
    columns, so a numeric header line (a run number, say) does not break it.
    """
    blocks: list[list[list[float]]] = []
    current: list[list[float]] = []
    width = None
    header_lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] in "#%!/" or stripped[0].isalpha() and not stripped.lower().startswith(("nan", "inf")):
            header_lines.append(stripped)
            if current:
                blocks.append(current)
                current, width = [], None
            continue
        tokens = [t for t in _SPLIT.split(stripped) if t]
        try:
            values = [float(t) for t in tokens[:4]]
        except ValueError:
            header_lines.append(stripped)
            if current:
                blocks.append(current)
                current, width = [], None
            continue
        if len(values) < 2:
            continue
        if width is not None and len(values) != width:
            blocks.append(current)
            current = []
        width = len(values)
        current.append(values)
    if current:
        blocks.append(current)
    if not blocks:
        raise DataError(f"{path} contains no rows of numbers; expected columns q, I[, dI[, dq]].")
    data = max(blocks, key=len)
    widths = sorted({len(row) for block in blocks for row in block})
    if len(data) < MIN_POINTS and len(widths) > 1 and sum(map(len, blocks)) >= MIN_POINTS:
        raise DataError(
            f"{path}: its rows have different numbers of columns ({widths[0]} to {widths[-1]}); "
            "every row needs the same columns q, I[, dI[, dq]]."
        )
    arr = np.array(data, dtype=np.float64)
    cols = arr.shape[1]
    q, iq = arr[:, 0], arr[:, 1]
    diq = arr[:, 2] if cols > 2 else None
    dq = arr[:, 3] if cols > 3 else None
    header = "\n".join(header_lines)
    units = _units_in_text(header)  # None: the file does not say
    return q, iq, diq, dq, units, "1/cm" if _ABSOLUTE_IN_TEXT.search(header) else None


# -- CanSAS 1D XML -----------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_cansas_xml(path: str, text: str):
    """The first SASdata block of a CanSAS 1D (v1.0/1.1) XML file."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise DataError(f"{path} is not well-formed XML ({exc}); the file may be truncated.") from None
    if _local(root.tag) != "SASroot":
        raise DataError(f"{path} is XML but not CanSAS 1D (root element <{_local(root.tag)}>, expected <SASroot>).")
    sasdata = next((el for el in root.iter() if _local(el.tag) == "SASdata"), None)
    if sasdata is None:
        raise DataError(f"{path} is a CanSAS file without a <SASdata> block.")
    cols = {"Q": [], "I": [], "Idev": [], "Qdev": []}
    units = iq_units = None
    for idata in sasdata:
        if _local(idata.tag) != "Idata":
            continue
        row = {}
        for child in idata:
            key = _local(child.tag)
            if key in cols:
                try:
                    row[key] = float((child.text or "").strip())
                except ValueError:
                    row[key] = np.nan
                if key == "Q" and units is None:
                    units = _unit_name(child.get("unit"))
                if key == "I" and iq_units is None:
                    iq_units = intensity_units(child.get("unit"))
        if "Q" not in row or "I" not in row:
            continue
        for key in cols:
            cols[key].append(row.get(key, 0.0))
    if not cols["Q"]:
        raise DataError(f"{path} is a CanSAS file whose <SASdata> holds no <Idata> rows with Q and I.")
    arrays = {k: np.array(v, dtype=np.float64) for k, v in cols.items()}
    return arrays["Q"], arrays["I"], arrays["Idev"], arrays["Qdev"], units or "1/A", iq_units


# -- sasdata-backed formats --------------------------------------------------
def _first_1d(path: str, reader_class, what: str):
    import logging

    reader = reader_class()
    reader.allow_all = True  # the format was recognised from the content, whatever the name
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)  # sasdata logs its own tracebacks; we report one sentence
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = reader.read(path)
    except DataError:
        raise
    except Exception as exc:  # sasdata raises anything from TypeError to KeyError
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path} could not be read as {what} ({detail[:120]}).") from None
    finally:
        logging.disable(previous)
    for item in out or []:
        if hasattr(item, "x") and hasattr(item, "y") and getattr(item, "x", None) is not None \
                and np.ndim(item.x) == 1 and not hasattr(item, "qx_data"):
            return item
    raise DataError(f"{path} holds no 1D curve readable as {what}.")


def _read_abs(path: str):
    from sasdata.dataloader.readers.abs_reader import Reader

    data = _first_1d(path, Reader, "a NIST .ABS file")
    dq = data.dx if data.dx is not None else None
    # NIST reductions write absolute intensities (sasdata reads them as cm^{-1})
    return np.asarray(data.x, float), np.asarray(data.y, float), _maybe(data.dy), _maybe(dq), "1/A", "1/cm"


def _read_nxcansas(path: str):
    from sasdata.dataloader.readers.cansas_reader_HDF5 import Reader

    data = _first_1d(path, Reader, "NXcanSAS")
    # sasdata converts q to 1/Å from the file's units; return the file's own
    # numbers so a --q-units override applies to what is actually written.
    q_attr, i_attr = _nxcansas_units(path)
    units = _unit_name(q_attr) or "1/A"
    back = 10.0 if units == "1/nm" else 1.0
    q = np.asarray(data.x, float) * back
    dq = _maybe(data.dx)
    return q, np.asarray(data.y, float), _maybe(data.dy), None if dq is None else dq * back, units, \
        intensity_units(i_attr)


def _nxcansas_units(path: str) -> tuple:
    """Units attributes of the Q and I datasets of the first SASdata group (``None`` where absent)."""
    import h5py

    found: dict = {}

    def visit(name, obj):
        key = name.rsplit("/", 1)[-1]
        if isinstance(obj, h5py.Dataset) and key in ("Q", "I") and key not in found:
            found[key] = obj.attrs.get("units", obj.attrs.get("unit"))  # NXcanSAS says units; some writers unit
        return True if len(found) == 2 else None

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return found.get("Q"), found.get("I")


def _maybe(values):
    if values is None:
        return None
    values = np.asarray(values, float)
    return values if values.size else None

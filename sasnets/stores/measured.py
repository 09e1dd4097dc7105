"""Loading measured 1D curves from the files users have.

:func:`load_curves` reads one file and returns every curve in it (a CanSAS XML
file with several ``SASentry`` blocks, an NXcanSAS file with several entries);
:func:`load_curve` returns the first.  Each is a :class:`~sasnets.data.Curve`
with ``q`` in 1/Å, sorted, only physically usable points, and its resolution:
pinhole ``dq`` or slit ``slit_length``/``slit_width``.  The format is
recognised from the file's content (its name only breaks ties):

=================  ==========================================  ======================
format             recognised by                               read with
=================  ==========================================  ======================
NXcanSAS HDF5      HDF5 signature                              sasdata (HDF5 reader),
                                                               else h5py [4]_
NIST/NCNR ``.ABS``  "The 6 columns are" line, or ``.abs`` name  sasdata (ABS reader),
                                                               else columns [1]_
CanSAS 1D XML      ``<?xml`` declaration or ``<SASroot``        our own parser [2]_
ASCII 2–4 columns  anything else that is text                  our own parser [3]_
=================  ==========================================  ======================

.. [1] sasdata's ABS reader refuses NIST-style files with other headers (the
   ANSTO ``AUSANS_*.ABS`` examples); they are read as columns q, I, dI, dQ
   with a warning.
.. [2] see :mod:`sasnets.stores._measured_xml` for why not sasdata's reader.
.. [3] sasdata's ASCII reader ignores the q units a header states and silently
   drops rows holding ``nan``; we need both handled.
.. [4] sasdata 0.11 reads a lone ``dQl`` resolution as pinhole dQ and reads no
   curve at all from a Q with ``resolutions="dQl,dQw"``; slit datasets are
   therefore taken from the file, and a file sasdata reads nothing from is
   read from its Q/I/Idev/resolution datasets directly, with a warning.

Resolution: CanSAS ``Qdev`` and NXcanSAS/ABS dQ are pinhole (1-sigma);
CanSAS ``dQl``/``dQw`` and NXcanSAS ``dQl``/``dQw`` are slit length/width;
in a NIST ``.ABS`` file a negative dQ column is the (negated) slit length of
a USANS curve.  A slit-smeared curve has ``dq = None``.

Units: q in 1/nm is divided by 10 when the file says so (NXcanSAS/XML
``units`` attributes; an ASCII header mentioning ``1/nm``, ``nm^-1`` …);
``q_units="A"`` or ``"nm"`` overrides what the file says.  Intensities are
left as they are.

Cleaning rules, applied to every curve (documented in
docs/evaluate-predict-analyze.md):

* rows are sorted by q; rows sharing a q value are merged (mean intensity,
  errors combined in quadrature), with a warning;
* rows whose q or intensity is not finite, or not positive, are *bad*: up to
  20 % of them are dropped with a warning, more make the curve an error (a
  scattering curve is positive; a file that is mostly bad is not one);
* negative or non-finite errors (dI, dq, slit sizes) are treated as unknown (0);
* fewer than :data:`MIN_POINTS` usable points is an error.

A text file that holds something other than an I(q) curve (2D Qx/Qy data, a
real-space SLD table, SESANS, a beam profile) is refused with a message saying
what it looks like.  Every failure is a :class:`~sasnets.errors.DataError`
whose one-sentence message names the file; sasdata's own exceptions are
wrapped.  Warnings are issued as :class:`MeasuredFileWarning` so callers (the
CLI) can show them per file.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from ..data.curves import Curve
from ..errors import DataError, UsageError
from ._measured_text import (EntryLeftOutWarning, MeasuredFileWarning, RawEntry, decode, intensity_units,
                             looks_like_xml, read_ascii, reject_sesans, unit_name)

__all__ = ["load_curve", "load_curves", "read_measured", "read_entries", "MeasuredFile", "MeasuredFileWarning",
           "EntryLeftOutWarning", "parse_q_units", "intensity_units", "fill_resolution", "MIN_POINTS",
           "MAX_BAD_FRACTION"]

#: fewest usable points a measured curve may have
MIN_POINTS = 3
#: largest fraction of bad rows (non-finite or non-positive q or I) dropped with a warning
MAX_BAD_FRACTION = 0.2
#: q (1/Å) above which a file that does not state its units gets a "maybe 1/nm?" warning
UNSTATED_Q_LIMIT = 1.0

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ABS_MARKER = "The 6 columns are"
_unit_name = unit_name  # kept for callers of the old private name


@dataclass
class MeasuredFile:
    """A loaded measured curve (one entry of a file) plus how it was read."""

    curve: Curve
    format: str          #: "nxcansas", "nist-abs", "cansas-xml" or "ascii"
    q_units: str         #: units q had in the file ("1/A" or "1/nm") before conversion
    rows: int            #: data rows read before cleaning
    entry: str | None = None   #: the entry's name in a file with several entries, else None


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
    overrides the units of q stated in the file.  A file with several entries
    gives its first, with an :class:`EntryLeftOutWarning`; :func:`load_curves`
    gives them all.
    """
    return read_measured(path, q_units).curve


def load_curves(path, q_units: str | None = None) -> list[Curve]:
    """Every measured 1D curve in ``path``, in file order (one for most files).

    A curve from a file with several entries has ``source`` ``"file[entry]"``.
    """
    return [m.curve for m in read_entries(path, q_units)]


def read_measured(path, q_units: str | None = None) -> MeasuredFile:
    """Like :func:`load_curve` but also reports the format and original units."""
    entries = read_entries(path, q_units)
    if len(entries) > 1:
        rest = len(entries) - 1
        warnings.warn(EntryLeftOutWarning(
            f"{os.fspath(path)} holds {len(entries)} curves; read only the first ({entries[0].entry}) and left out "
            f"the other {rest}; use sasnets.load_curves(), or sasnets predict, which reads every entry."),
            stacklevel=2)
    return entries[0]


def read_entries(path, q_units: str | None = None) -> list[MeasuredFile]:
    """Every curve in ``path`` as a :class:`MeasuredFile`, in file order.

    An entry that cannot be used (too few good points, say) is left out with
    an :class:`EntryLeftOutWarning` when others can; when none can, the first
    entry's error is raised.
    """
    path = os.fspath(path)
    override = parse_q_units(q_units, "q_units")
    fmt, raws = _read_raw(path)
    names = _unique_names([raw.name for raw in raws]) if len(raws) > 1 else [None]
    out, errors = [], []
    for raw, name in zip(raws, names):
        label = path if name is None else f"{path}[{name}]"
        try:
            out.append(_finish(label, fmt, raw, override, name))
        except DataError as exc:
            if len(raws) == 1:
                raise
            errors.append(exc)
            warnings.warn(EntryLeftOutWarning(f"{str(exc).rstrip('.')}; that entry was left out and the others read."),
                          stacklevel=2)
    if not out:
        raise errors[0]
    return out


def fill_resolution(curve: Curve, slit_length: float | None = None, dq_fraction: float | None = None) -> bool:
    """Give ``curve`` a resolution when its file stated none: a constant slit
    length (1/Å) or a pinhole ``dq = dq_fraction * q``.  Returns True when it
    changed the curve; a curve that has a resolution is left as it is."""
    if curve.slit_smeared or (curve.dq is not None and np.any(np.asarray(curve.dq) > 0)):
        return False
    if slit_length is not None and slit_length < 0 or dq_fraction is not None and dq_fraction < 0:
        raise UsageError("A slit length or resolution cannot be negative; give a value of 0 or more.")
    if slit_length:
        curve.slit_length = np.full(len(curve.q), float(slit_length))
        curve.slit_width = None
        curve.dq = None
        return True
    if dq_fraction:
        curve.dq = float(dq_fraction) * np.asarray(curve.q, np.float64)
        return True
    return False


# -- reading -----------------------------------------------------------------
def _read_raw(path: str) -> tuple[str, list[RawEntry]]:
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
        from ._measured_sasdata import read_nxcansas

        return "nxcansas", read_nxcansas(path)
    if suffix in (".h5", ".hdf5", ".hdf", ".nxs", ".nx5"):
        raise DataError(f"{path} is not an HDF5 file although its name says so; check that it was copied completely.")
    text = decode(path, head)
    if looks_like_xml(text):
        from ._measured_xml import read_cansas_xml

        return "cansas-xml", read_cansas_xml(path, text)
    reject_sesans(path, text, suffix)
    if _ABS_MARKER in text or suffix in (".abs", ".cor"):
        return "nist-abs", [_read_abs_or_columns(path, text)]
    return "ascii", [read_ascii(path, text)]


def _read_abs_or_columns(path: str, text: str) -> RawEntry:
    """sasdata's ABS reader; when it refuses the file, its columns q, I, dI, dQ."""
    from ._measured_sasdata import read_abs

    try:
        return read_abs(path)
    except DataError as exc:
        try:
            raw = read_ascii(path, text)
        except DataError:
            raise exc from None
    warnings.warn(MeasuredFileWarning(
        f"{path}: sasdata's NIST .ABS reader refused its header, so it was read as columns q, I, dI, dQ instead."),
        stacklevel=4)
    raw.iq_units = "1/cm"  # NIST-style reductions are absolute
    raw.units = raw.units or "1/A"
    if raw.dq is not None:  # as in .ABS files sasdata reads: negative dQ is the slit length
        finite = raw.dq[np.isfinite(raw.dq)]
        if finite.size and np.all(finite < 0):
            raw.slit_length, raw.dq = -raw.dq, None
    return raw


def _unique_names(names) -> list[str]:
    out, seen = [], {}
    for i, name in enumerate(names, 1):
        base = (name or str(i)).strip() or str(i)
        count = seen.get(base, 0) + 1
        seen[base] = count
        out.append(base if count == 1 else f"{base} ({count})")
    return out


def _finish(label: str, fmt: str, raw: RawEntry, override: str | None, entry: str | None) -> MeasuredFile:
    """Units, cleaning and provenance for one raw entry."""
    q, dq, slit_length, slit_width = raw.q, raw.dq, raw.slit_length, raw.slit_width
    rows = len(q)
    stated = override or raw.units
    if stated == "1/nm":  # readers return the file's own numbers; convert to 1/Å here
        if override is None:
            warnings.warn(MeasuredFileWarning(f"{label}: q is in 1/nm; converted to 1/Å."), stacklevel=4)
        q, dq, slit_length, slit_width = (None if a is None else np.asarray(a, np.float64) * 0.1
                                          for a in (q, dq, slit_length, slit_width))
    curve = _clean(label, q, raw.iq, raw.diq, dq, slit_length, slit_width)
    curve.source = label
    curve.iq_units = raw.iq_units
    if stated is None and curve.q[-1] > UNSTATED_Q_LIMIT:
        warnings.warn(MeasuredFileWarning(
            f"{label}: q reaches {curve.q[-1]:.3g} 1/Å, beyond the usual small-angle range, and the file does not "
            "state its units; if q is in 1/nm, pass --q-units nm."), stacklevel=4)
    return MeasuredFile(curve=curve, format=fmt, q_units=raw.units or "1/A", rows=rows, entry=entry)


# -- cleaning ----------------------------------------------------------------
def _clean(path: str, q, iq, diq, dq, slit_length=None, slit_width=None) -> Curve:
    q = np.asarray(q, dtype=np.float64)
    iq = np.asarray(iq, dtype=np.float64)
    n = len(q)
    if n == 0:
        raise DataError(f"{path} holds no data rows; give a file with q and I columns.")

    def column(values):
        return np.zeros(n) if values is None else np.asarray(values, dtype=np.float64)

    slit = slit_length is not None and np.any(np.asarray(slit_length) > 0)
    cols = [column(diq), column(None if slit else dq), column(slit_length if slit else None),
            column(slit_width if slit else None)]
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
            f"{path}: dropped {bad} of {n} points with non-positive or non-finite q or intensity."), stacklevel=5)
        q, iq = q[good], iq[good]
        cols = [c[good] for c in cols]
    cols = [np.where(np.isfinite(c) & (c > 0), c, 0.0) for c in cols]

    if np.any(np.diff(q) < 0):
        warnings.warn(MeasuredFileWarning(f"{path}: rows were not in increasing q; sorted them."), stacklevel=5)
    order = np.argsort(q, kind="stable")
    q, iq = q[order], iq[order]
    cols = [c[order] for c in cols]
    unique, counts = np.unique(q, return_counts=True)
    if len(unique) < len(q):
        groups = np.repeat(np.arange(len(unique)), counts)
        iq = np.bincount(groups, iq) / counts
        cols = [np.sqrt(np.bincount(groups, cols[0] ** 2)) / counts] + [np.bincount(groups, c) / counts
                                                                         for c in cols[1:]]
        warnings.warn(MeasuredFileWarning(
            f"{path}: merged {len(q) - len(unique)} row(s) that repeat a q value (mean intensity)."), stacklevel=5)
        q = unique
    if len(q) < MIN_POINTS:
        raise DataError(
            f"{path} has only {len(q)} usable point{'s' if len(q) != 1 else ''} (finite q > 0 and I); a curve needs "
            f"at least {MIN_POINTS} to be classified and 8 to be fitted."
        )
    diq, dq, slit_length, slit_width = cols
    if slit:
        return Curve(q=q, iq=iq, diq=diq, dq=None, slit_length=slit_length,
                     slit_width=slit_width if np.any(slit_width > 0) else None)
    return Curve(q=q, iq=iq, diq=diq, dq=dq)

"""Text-level helpers of :mod:`sasnets.stores.measured`: decoding, unit names,
the column (ASCII) reader, and recognising text files that hold something other
than an I(q) curve (2D data, real-space tables, SESANS, beam profiles)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from ..errors import DataError

_SPLIT = re.compile(r"[\s,;]+")
_NM_RE = re.compile(r"(1\s*/\s*nm\b|nm\s*\^?\s*\(?-1|nm\*\*-1|inverse\s+nano|nm⁻¹)", re.I)
_ANG_RE = re.compile(r"(1\s*/\s*(a|å|ang|angstrom)\b|(a|å|ang|angstrom)\s*\^?\s*\(?-1|å⁻¹|inverse\s+ang)", re.I)
#: a header that names absolute intensities: 1/cm, cm^-1, cm-1
_ABSOLUTE_IN_TEXT = re.compile(r"1\s*/\s*cm\b|\bcm\s*\^?\s*\{?\s*-\s*1", re.I)
#: the start of an XML document: a declaration, comment/doctype, or a root element
_XML_START = re.compile(r"<(\?xml\b|!--|!DOCTYPE\b|([A-Za-z_][\w.-]*:)?SASroot\b)", re.I)
_ELEMENT_START = re.compile(r"<[A-Za-z_][\w.:-]*(\s[^<>]*)?/?>")
_SESANS_RE = re.compile(r"spin\s*-?\s*echo\s*_?\s*length|\bSpinEchoLength\b|\bDepolarisation\b", re.I)
_BEAM_HINT = re.compile(r"beam|profile|SAXS\s+BOX", re.I)
_QXQY_RE = re.compile(r"\bq_?x\b.*\bq_?y\b", re.I | re.S)


class MeasuredFileWarning(UserWarning):
    """Something in a measured file was fixed up (points dropped, merged, units converted)."""


class EntryLeftOutWarning(MeasuredFileWarning):
    """Entries of a multi-entry file were not returned (unusable, or only the first was asked for)."""


@dataclass
class RawEntry:
    """One curve as a reader found it, before unit conversion and cleaning."""

    q: np.ndarray
    iq: np.ndarray
    diq: np.ndarray | None = None
    dq: np.ndarray | None = None
    slit_length: np.ndarray | None = None
    slit_width: np.ndarray | None = None
    units: str | None = None       #: q units the file states; None: not stated
    iq_units: str | None = None
    name: str | None = None        #: entry name (CanSAS SASentry name/Title, NXcanSAS title)


def looks_like_xml(text: str) -> bool:
    """True for an XML document: a declaration, ``<SASroot``, or markup from the
    first to the last character (a text header such as ``<X>   <Y>`` followed by
    numbers is not XML)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if _XML_START.match(stripped):
        return True
    return bool(_ELEMENT_START.match(stripped)) and stripped.rstrip().endswith(">")


def decode(path: str, head: bytes) -> str:
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


def units_in_text(text: str) -> str | None:
    """The q units a header states ("1/nm", "1/A") or ``None``; the first mention wins."""
    nm = _NM_RE.search(text)
    ang = _ANG_RE.search(text)
    if nm and (not ang or nm.start() < ang.start()):
        return "1/nm"
    if ang:
        return "1/A"
    return None


def unit_name(attr) -> str | None:
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
    return units_in_text(text)


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


# -- files that are not I(q) curves -------------------------------------------
def reject_sesans(path: str, text: str, suffix: str) -> None:
    """SESANS files (``.ses``: spin-echo length vs depolarisation) are real-space data."""
    if suffix == ".ses" or _SESANS_RE.search(text[:20000]):
        raise DataError(
            f"{path} is SESANS data (spin-echo length and depolarisation), not an I(q) curve; "
            "sasnets classifies SANS/SAXS curves I(q), so give the small-angle measurement instead.")


def _reject_non_curve(path: str, label: str, header: str, arr: np.ndarray) -> None:
    """Raise a DataError naming what the columns look like when they are not q, I(q)."""
    tokens = {t.lower() for t in _SPLIT.split(label) if t}
    if {"x", "y", "z"} <= tokens or any(re.fullmatch(r"sld\w*", t) for t in tokens):
        raise DataError(
            f"{path} looks like a real-space table (columns {' '.join(_SPLIT.split(label.strip())[:7])}: "
            "coordinates and scattering length densities, as for SasView's generic scattering calculator), "
            "not an I(q) curve; give a measured or computed I(q) file instead.")
    cols = arr.shape[1]
    negative = (arr[:, :2] < 0).mean(axis=0) if cols >= 3 else np.zeros(2)
    if _QXQY_RE.search(header) or (cols >= 3 and negative[0] > 0.1 and negative[1] > 0.1):
        raise DataError(
            f"{path} looks like 2D data (Qx, Qy, I columns, {len(arr)} detector pixels), not a 1D I(q) curve; "
            "average it azimuthally to I(q) first (SasView's data operations do that).")
    q, iq = arr[:, 0], arr[:, 1]
    normalised_at_zero = len(q) >= 3 and q[0] == 0 and abs(iq[0] - 1.0) < 1e-6 and np.nanmax(iq) <= 1.0 + 1e-6
    # a form factor normalised to P(0) = 1 has that shape too: it takes a beam-profile
    # hint (SAXSess' PDH "SAXS BOX" header, or "beam"/"profile" in the header or name)
    if normalised_at_zero and _BEAM_HINT.search(header + "\n" + os.path.basename(path)):
        raise DataError(
            f"{path} looks like a beam profile (intensity normalised to 1 at q = 0 and falling off), "
            "not a sample's I(q) curve; give the sample's curve, with the slit length as --slit-length "
            "if it is slit-smeared.")


# -- ASCII -------------------------------------------------------------------
def read_ascii(path: str, text: str, check_contents: bool = True) -> RawEntry:
    """Columns q, I[, dI[, dq]] separated by spaces, tabs, commas or semicolons.

    Lines that do not parse as numbers (comments, headers, footers) are
    skipped; the data block is the longest run of rows with the same number of
    columns, so a numeric header line (a run number, say) does not break it.
    With ``check_contents``, columns that are plainly not q, I(q) (2D data,
    real-space tables, beam profiles) are refused with a reason.
    """
    blocks: list[list[list[float]]] = []
    labels: list[str] = []          # the header line just before each block (column names)
    current: list[list[float]] = []
    width = None
    header_lines: list[str] = []
    last_header = ""

    def close():
        nonlocal current, width
        if current:
            blocks.append(current)
            labels.append(block_label)
        current, width = [], None

    block_label = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] in "#%!/" or stripped[0].isalpha() and not stripped.lower().startswith(("nan", "inf")):
            header_lines.append(stripped)
            close()
            last_header = stripped
            continue
        tokens = [t for t in _SPLIT.split(stripped) if t]
        try:
            values = [float(t) for t in tokens[:4]]
        except ValueError:
            header_lines.append(stripped)
            close()
            last_header = stripped
            continue
        if len(values) < 2:
            continue
        if width is not None and len(values) != width:
            close()
        if not current:
            block_label = last_header
        width = len(values)
        current.append(values)
    close()
    if not blocks:
        raise DataError(f"{path} contains no rows of numbers; expected columns q, I[, dI[, dq]].")
    best = max(range(len(blocks)), key=lambda i: len(blocks[i]))
    data = blocks[best]
    widths = sorted({len(row) for block in blocks for row in block})
    if len(data) < 3 and len(widths) > 1 and sum(map(len, blocks)) >= 3:
        raise DataError(
            f"{path}: its rows have different numbers of columns ({widths[0]} to {widths[-1]}); "
            "every row needs the same columns q, I[, dI[, dq]]."
        )
    arr = np.array(data, dtype=np.float64)
    header = "\n".join(header_lines)
    if check_contents:
        _reject_non_curve(path, labels[best], header, arr)
    cols = arr.shape[1]
    return RawEntry(
        q=arr[:, 0], iq=arr[:, 1], diq=arr[:, 2] if cols > 2 else None, dq=arr[:, 3] if cols > 3 else None,
        units=units_in_text(header), iq_units="1/cm" if _ABSOLUTE_IN_TEXT.search(header) else None)

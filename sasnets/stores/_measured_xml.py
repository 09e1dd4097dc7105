"""CanSAS 1D XML (v1.0/1.1): every ``SASentry`` of a file, each with its resolution.

Our own small parser rather than sasdata's CanSAS reader: sasdata 0.11's reader
validates against the CanSAS schema with lxml, which failed to compile that
schema with some lxml releases ("content model is not determinist"), and it
converts q to 1/Å itself, whereas we need the file's own numbers and units so
that a ``--q-units`` override applies to what is written.  The test suite
compares both readers on sasdata's example files, so a divergence shows.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError
from ._measured_text import RawEntry, intensity_units, unit_name

#: Idata children we read; Qdev is pinhole dQ (1-sigma), dQl/dQw slit length/width
_COLUMNS = ("Q", "I", "Idev", "Qdev", "dQl", "dQw")


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element, name: str):
    return next((el for el in element if _local(el.tag) == name), None)


def read_cansas_xml(path: str, text: str) -> list[RawEntry]:
    """One :class:`RawEntry` per ``SASentry`` (its first ``SASdata`` block), in file order."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as exc:
        raise DataError(f"{path} is not well-formed XML ({exc}); the file may be truncated.") from None
    if _local(root.tag) != "SASroot":
        raise DataError(f"{path} is XML but not CanSAS 1D (root element <{_local(root.tag)}>, expected <SASroot>).")
    entries = [el for el in root.iter() if _local(el.tag) == "SASentry"] or [root]
    out = []
    for number, entry in enumerate(entries, 1):
        sasdata = next((el for el in entry.iter() if _local(el.tag) == "SASdata"), None)
        if sasdata is None:
            continue
        raw = _read_sasdata(sasdata)
        if raw is None:
            continue
        title = _child(entry, "Title")
        raw.name = (entry.get("name") or (title.text if title is not None else None) or "").strip() or str(number)
        out.append(raw)
    if not out:
        if not any(_local(el.tag) == "SASdata" for el in root.iter()):
            raise DataError(f"{path} is a CanSAS file without a <SASdata> block.")
        raise DataError(f"{path} is a CanSAS file whose <SASdata> holds no <Idata> rows with Q and I.")
    return out


def _read_sasdata(sasdata) -> RawEntry | None:
    cols = {key: [] for key in _COLUMNS}
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
                    units = unit_name(child.get("unit"))
                if key == "I" and iq_units is None:
                    iq_units = intensity_units(child.get("unit"))
        if "Q" not in row or "I" not in row:
            continue
        for key in cols:
            cols[key].append(row.get(key, 0.0))
    if not cols["Q"]:
        return None
    arrays = {k: np.array(v, dtype=np.float64) for k, v in cols.items()}
    slit = arrays["dQl"] if np.any(arrays["dQl"] > 0) else None
    return RawEntry(q=arrays["Q"], iq=arrays["I"], diq=arrays["Idev"], dq=arrays["Qdev"], slit_length=slit,
                    slit_width=arrays["dQw"] if slit is not None and np.any(arrays["dQw"] > 0) else None,
                    units=units or "1/A", iq_units=iq_units)

"""Formats :mod:`sasnets.stores.measured` reads with sasdata: NIST ``.ABS`` and NXcanSAS HDF5."""
from __future__ import annotations

import logging
import warnings

import numpy as np

from ..errors import DataError
from ._measured_text import MeasuredFileWarning, RawEntry, intensity_units, unit_name


def _read_1d(path: str, reader_class, what: str) -> list:
    """Every 1D data set sasdata's reader finds in ``path``, in its order."""
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
    found = [item for item in out or [] if getattr(item, "x", None) is not None and getattr(item, "y", None) is not None
             and np.ndim(item.x) == 1 and not hasattr(item, "qx_data")]
    if not found:
        raise DataError(f"{path} holds no 1D curve readable as {what}.")
    return found


def maybe(values):
    if values is None:
        return None
    values = np.asarray(values, float)
    return values if values.size else None


def _slit(data):
    """``(slit_length, slit_width)`` of a sasdata Data1D, ``None`` where it has none."""
    dxl, dxw = maybe(getattr(data, "dxl", None)), maybe(getattr(data, "dxw", None))
    if dxl is None or not np.any(dxl > 0):
        return None, None
    return dxl, dxw if dxw is not None and np.any(dxw > 0) else None


def read_abs(path: str) -> RawEntry:
    """A NIST .ABS file; sasdata reads a negative dQ column as slit length (USANS)."""
    from sasdata.dataloader.readers.abs_reader import Reader

    data = _read_1d(path, Reader, "a NIST .ABS file")[0]
    slit_length, slit_width = _slit(data)
    # NIST reductions write absolute intensities (sasdata reads them as cm^{-1})
    return RawEntry(q=np.asarray(data.x, float), iq=np.asarray(data.y, float), diq=maybe(data.dy),
                    dq=None if slit_length is not None else maybe(data.dx), slit_length=slit_length,
                    slit_width=slit_width, units="1/A", iq_units="1/cm")


def read_nxcansas(path: str) -> list[RawEntry]:
    """Every 1D entry of an NXcanSAS file, q in the file's own units."""
    from sasdata.dataloader.readers.cansas_reader_HDF5 import Reader

    try:
        found = _read_1d(path, Reader, "NXcanSAS")
    except DataError as exc:
        direct = _read_directly(path)
        if not direct:
            raise exc from None
        warnings.warn(MeasuredFileWarning(
            f"{path}: sasdata's NXcanSAS reader could not read it, so its Q, I, Idev and resolution datasets "
            "were read directly."), stacklevel=5)
        return direct
    # sasdata converts q to 1/Å from the file's units; return the file's own
    # numbers so a --q-units override applies to what is actually written.
    groups = _nxcansas_groups(path)
    out = []
    for i, data in enumerate(found):
        info = groups[i] if len(groups) == len(found) else (groups[0] if groups else {})
        units = unit_name(info.get("Q")) or "1/A"
        i_attr = info.get("I")
        back = 10.0 if units == "1/nm" else 1.0
        scale = (lambda a: None if a is None else a * back)
        n = len(data.x)
        if "slit_length" in info and len(info["slit_length"]) == n:  # the file's own numbers
            slit_length, slit_width = info["slit_length"] / back, info.get("slit_width")
            slit_width = slit_width / back if slit_width is not None and len(slit_width) == n else None
        else:
            slit_length, slit_width = _slit(data)
        dq = maybe(data.dx)
        title = str(getattr(data, "title", "") or "").strip()
        out.append(RawEntry(
            q=np.asarray(data.x, float) * back, iq=np.asarray(data.y, float), diq=maybe(data.dy),
            dq=None if slit_length is not None else scale(dq), slit_length=scale(slit_length),
            slit_width=scale(slit_width), units=units, iq_units=intensity_units(i_attr),
            name=title or str(i + 1)))
    return out


def _nxcansas_groups(path: str) -> list[dict]:
    """Per data group holding Q and I, in file order: the units attributes of Q and I
    and the slit length/width datasets its Q ``resolutions`` attribute names (``dQl``,
    ``dQw``), read here because sasdata 0.11 files both as pinhole dQ."""
    import h5py

    found: dict = {}

    def visit(name, obj):
        parent, _, key = name.rpartition("/")
        if isinstance(obj, h5py.Dataset) and key in ("Q", "I"):
            info = found.setdefault(parent, {})
            info[key] = obj.attrs.get("units", obj.attrs.get("unit"))  # NXcanSAS says units; some writers unit
            if key == "Q":
                names = obj.attrs.get("resolutions", obj.attrs.get("resolution"))
                if isinstance(names, bytes):
                    names = names.decode("utf-8", "replace")
                if isinstance(names, str):
                    names = names.split(",")
                names = [n.decode() if isinstance(n, bytes) else str(n) for n in np.atleast_1d(names)] \
                    if names is not None else []
                group = obj.parent
                info["q_data"] = obj[()]
                for res in (n.strip() for n in names):
                    if isinstance(group.get(res), h5py.Dataset):
                        kind = {"dql": "slit_length", "dqw": "slit_width"}.get(res.lower(), "dq")
                        info[kind] = np.asarray(group[res][()], float).ravel()
                entry = group.parent
                title = entry.get("title") if isinstance(entry, h5py.Group) else None
                if isinstance(title, h5py.Dataset):
                    value = title[()]
                    value = value[0] if np.ndim(value) else value
                    info["title"] = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            else:
                info["i_data"] = obj[()]
                name = obj.attrs.get("uncertainties", obj.attrs.get("uncertainty", "Idev"))
                name = name.decode() if isinstance(name, bytes) else str(name)
                if isinstance(obj.parent.get(name), h5py.Dataset):
                    info["diq"] = np.asarray(obj.parent[name][()], float).ravel()

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
    except Exception:  # a damaged file: h5py raises OSError, KeyError, ValueError …; sasdata has said why
        return []
    return [v for v in found.values() if "Q" in v and "I" in v]


def _read_directly(path: str) -> list[RawEntry]:
    """The 1D data groups of an HDF5 file (Q, I, Idev, resolutions), for when sasdata reads none."""
    out = []
    for number, info in enumerate(_nxcansas_groups(path), 1):
        q, iq = np.asarray(info.get("q_data"), float), np.asarray(info.get("i_data"), float)
        if q.ndim != 1 or iq.shape != q.shape:
            continue
        fits = (lambda key: info[key] if key in info and info[key].shape == q.shape else None)
        slit_length = fits("slit_length")
        out.append(RawEntry(q=q, iq=iq, diq=fits("diq"), dq=None if slit_length is not None else fits("dq"),
                            slit_length=slit_length, slit_width=fits("slit_width") if slit_length is not None else None,
                            units=unit_name(info.get("Q")) or "1/A", iq_units=intensity_units(info.get("I")),
                            name=info.get("title") or str(number)))
    return out

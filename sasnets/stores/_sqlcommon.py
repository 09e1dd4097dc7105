"""Pieces shared by the SQL stores (SQLite and PostgreSQL).

Both keep one table per tag and read rows in ``id`` order.  A *position*
(what :meth:`Store.read_slice` takes) maps to an ``id`` through the sorted
array of the tag's ids, fetched once per full read or stream (8 bytes per
curve), so a slice is one range query on the primary key, never an
``OFFSET`` scan, and gaps in the ids (rows skipped as duplicates) are
harmless.

Array cells are decoded by :func:`decode_array`: float32 bytes (our own
layouts), float64 bytes (2017 SQLite blobs), list text (``[1.0, 2.0]`` as
2017's tools wrote, ``{1,2}`` PostgreSQL array text) or ``None``.
"""
from __future__ import annotations

import ast
import json

import numpy as np

from ..data.curves import CurveBatch
from ..errors import DataError
from . import _textparse

__all__ = ["decode_array", "decode_params", "rows_to_batch", "legacy_tag_name", "positions_to_id_range"]


def decode_array(cell, native_bytes: bool, where: str) -> np.ndarray | None:
    """One array cell as float32, or ``None`` when the cell is NULL.

    ``native_bytes``: byte cells are float32 (our layout) rather than float64.
    """
    if cell is None:
        return None
    if isinstance(cell, (bytes, bytearray, memoryview)):
        raw = bytes(cell)
        if native_bytes:
            return np.frombuffer(raw, dtype="<f4")
        if len(raw) % 8:
            return np.frombuffer(raw, dtype="<f4")
        return np.frombuffer(raw, dtype="<f8").astype(np.float32)
    if isinstance(cell, (list, tuple)):
        return np.asarray(cell, dtype=np.float64).astype(np.float32)
    try:
        values, _ = _textparse.parse_nested_lists(str(cell).encode("ascii", "replace"), np.float32)
    except ValueError as exc:
        raise DataError(f"{where}: an array cell is not a list of numbers ({exc}).") from None
    return values


def decode_params(cell) -> dict:
    """A parameter cell (JSON, or a Python dict literal from 2017 files) as a dict."""
    if cell is None or cell == "":
        return {}
    if isinstance(cell, dict):
        return cell
    try:
        value = json.loads(cell)
    except (TypeError, ValueError):
        try:
            value = ast.literal_eval(cell)
        except (ValueError, SyntaxError):
            return {"raw": str(cell)}
    return value if isinstance(value, dict) else {"value": value}


def rows_to_batch(rows, native_bytes: bool, with_params: bool, where: str) -> CurveBatch:
    """Rows ``(model, seed, idx, params, q, dq, iq, diq)`` as a :class:`CurveBatch`.

    Missing columns (NULL) become: seed/idx ``-1``, q ``nan`` (2017's
    ``train_data`` tables carry no q), dq and diq zeros.
    """
    rows = list(rows)
    if not rows:
        return CurveBatch.empty()
    models, seeds, indices, params = [], [], [], []
    cols = {c: [] for c in ("q", "dq", "iq", "diq")}
    fast = native_bytes and all(isinstance(r[6], (bytes, memoryview)) for r in rows)
    lengths = np.empty(len(rows), np.int64)
    for i, (model, seed, idx, par, q, dq, iq, diq) in enumerate(rows):
        models.append(model)
        seeds.append(-1 if seed is None else int(seed))
        indices.append(-1 if idx is None else int(idx))
        if with_params:
            params.append(decode_params(par))
        if fast:
            lengths[i] = len(iq) // 4
            for name, cell in (("q", q), ("dq", dq), ("iq", iq), ("diq", diq)):
                cols[name].append(cell if cell is not None else None)
            continue
        iq_arr = decode_array(iq, native_bytes, where)
        if iq_arr is None:
            iq_arr = np.zeros(0, np.float32)
        n = len(iq_arr)
        lengths[i] = n
        cols["iq"].append(iq_arr)
        for name, cell, fill in (("q", q, np.nan), ("dq", dq, 0.0), ("diq", diq, 0.0)):
            arr = decode_array(cell, native_bytes, where)
            if arr is None:
                arr = np.full(n, fill, np.float32)
            elif len(arr) != n:
                raise DataError(f"{where}: curve {i} has {len(arr)} {name} values but {n} intensities.")
            cols[name].append(arr)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if fast:
        arrays = {}
        for name, cells in cols.items():
            if any(c is None for c in cells):
                fill = np.nan if name == "q" else 0.0
                cells = [c if c is not None else np.full(n, fill, "<f4").tobytes() for c, n in zip(cells, lengths)]
            arrays[name] = np.frombuffer(b"".join(cells), dtype="<f4")
    else:
        arrays = {name: (np.concatenate(cells) if cells else np.zeros(0, np.float32)) for name, cells in cols.items()}
    return CurveBatch(models=np.array(models, dtype=object), offsets=offsets, **arrays,
                      seeds=np.array(seeds, np.int64), indices=np.array(indices, np.int64),
                      params=params if with_params else None)


def legacy_tag_name(table: str) -> str:
    """2017's ``train_data``/``eval_data`` tables hold tags ``train``/``eval``."""
    return table[:-5] if table.endswith("_data") and len(table) > 5 else table


def positions_to_id_range(ids: np.ndarray, start: int, stop: int):
    """Clip ``start:stop`` to the tag and return the inclusive id range, or ``None``."""
    start, stop = max(0, int(start)), min(int(stop), len(ids))
    if stop <= start:
        return None
    return int(ids[start]), int(ids[stop - 1])

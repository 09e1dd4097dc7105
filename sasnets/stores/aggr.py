"""Aggregated-text store: many curves per file, one file per tag and scattering model.

URL: ``aggr:DIR`` (a directory).

Format written (``sasnets-aggr`` version 1), file ``DIR/<tag>/<model>.aggr``::

    # sasnets-aggr 1 tag=<tag> model=<model>
    # index seed npoints q[npoints] dq[npoints] iq[npoints] diq[npoints] # params
    0 1234 3 0.001 0.002 0.003 5e-05 1e-04 1.5e-04 10.5 9.25 8 0.21 0.185 0.16 # {"radius": 50.0}
    1 1235 3 ...

* Lines starting with ``#`` are comments; every other non-blank line is one
  curve.  Tokens are separated by spaces (commas and tabs are accepted).
* ``index`` (generation index within (tag, model), -1 unknown), ``seed`` and
  ``npoints`` are integers; then come ``npoints`` values each of q (1/Å),
  dq (1-sigma resolution, 1/Å), iq and diq.  Floats are written with 9
  significant digits, which reproduces float32 values exactly; ``nan`` and
  ``inf`` are allowed.
* After the numbers, ``#`` and the curve's parameters as one JSON object.

``DIR/<tag>/provenance.json`` holds the tag's run records.  The numbers are
parsed by the Cython parser in :mod:`sasnets._ext.textparse` (pure-Python
reference when it is not built or ``SASNETS_NO_EXT=1``).

2017 files are read too: ``DIR/result_<tag>_<model>`` (any extension), five
lines holding Python list literals: the model name of each curve, q, the
list of I(q) lists, dq, and the list of dI lists (q and dq shared by all
curves of the file).  Their curves have seed and index -1 and no parameters.
:func:`write_legacy_aggr` writes that layout faithfully.
"""
from __future__ import annotations

import json
import os
import re

import numpy as np

from ..data.curves import CurveBatch
from ..errors import DataError
from . import _textparse
from ._linefiles import LineFileStore, format_floats, tag_from_filename

__all__ = ["AggrStore", "write_legacy_aggr", "read_legacy_aggr"]

_LEGACY_RE = re.compile(r"^result_(?P<rest>.+)$")
_STRING_RE = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)\"""")


class AggrStore(LineFileStore):
    """Aggregated text: one file of curve lines per tag and model; reads 2017 result_* files."""

    extension = ".aggr"
    name_hint = "aggr"

    def header(self, tag, model):
        return (f"# sasnets-aggr 1 tag={tag} model={model}\n"
                "# index seed npoints q[npoints] dq[npoints] iq[npoints] diq[npoints] # params\n").encode()

    def encode(self, tag, model, batch):
        lines = []
        params = batch.params_json()
        off = batch.offsets
        for i in range(len(batch)):
            a, b = off[i], off[i + 1]
            numbers = format_floats(np.concatenate([batch.q[a:b], batch.dq[a:b], batch.iq[a:b], batch.diq[a:b]]))
            lines.append(f"{int(batch.indices[i])} {int(batch.seeds[i])} {b - a} {numbers} # {params[i]}\n")
        return "".join(lines).encode()

    def decode(self, data, model, with_params, where):
        try:
            ints, values, counts = _textparse.parse_rows(data, 3, np.float32)
        except ValueError as exc:
            raise DataError(f"{where}: not a sasnets aggregated file ({exc}).") from None
        n = len(counts)
        npoints = ints[:, 2]
        if np.any(counts != 4 * npoints):
            bad = int(np.flatnonzero(counts != 4 * npoints)[0])
            raise DataError(f"{where}: curve {bad} announces {npoints[bad]} points but holds {counts[bad]} numbers.")
        total = int(npoints.sum())
        offsets = np.concatenate([[0], np.cumsum(npoints)])
        if n and np.all(npoints == npoints[0]):
            block = values.reshape(n, 4, int(npoints[0]))
            cols = [block[:, k, :].reshape(-1) for k in range(4)]
        else:
            starts = np.repeat(4 * offsets[:-1], npoints) + (np.arange(total) - np.repeat(offsets[:-1], npoints))
            cols = [values[starts + k * np.repeat(npoints, npoints)] for k in range(4)]
        params = None
        if with_params:
            params = []
            for line in data.split(b"\n"):
                if not line.strip() or line.startswith(b"#"):
                    continue
                _, sep, text = line.partition(b"#")
                params.append(json.loads(text) if sep and text.strip() else {})
        return CurveBatch(models=np.full(n, model, dtype=object), offsets=offsets,
                          q=cols[0], dq=cols[1], iq=cols[2], diq=cols[3],
                          seeds=ints[:, 1], indices=ints[:, 0], params=params)

    def legacy_files(self):
        out = []
        if not os.path.isdir(self.root):
            return out
        for name in sorted(os.listdir(self.root)):
            m = _LEGACY_RE.match(name)
            path = os.path.join(self.root, name)
            if m and os.path.isfile(path):
                out.append((tag_from_filename(m.group("rest")), path))
        return out

    def read_legacy(self, path):
        return read_legacy_aggr(path)


def _parse_names(line: str, where: str) -> list[str]:
    line = line.strip()
    if not (line.startswith("[") and line.endswith("]")):
        raise DataError(f"{where}: the first line must be the list of model names.")
    return [a if a or not b else b for a, b in _STRING_RE.findall(line)]


def read_legacy_aggr(path: str) -> CurveBatch:
    """The curves of a 2017 ``result_<tag>_<model>`` file."""
    try:
        with open(path, "rb") as f:
            lines = [ln for ln in f.read().split(b"\n") if ln.strip()]
    except OSError as exc:
        raise DataError(f"Cannot read {path!r} ({exc.strerror}).") from None
    if len(lines) != 5:
        raise DataError(f"{path}: a 2017 aggregated file has 5 lines (models, q, I lists, dq, dI lists), not {len(lines)}.")
    names = _parse_names(lines[0].decode("utf-8", "replace"), path)
    try:
        q, _ = _textparse.parse_nested_lists(lines[1], np.float32)
        iq, lengths = _textparse.parse_nested_lists(lines[2], np.float32)
        dq, _ = _textparse.parse_nested_lists(lines[3], np.float32)
        diq, dlengths = _textparse.parse_nested_lists(lines[4], np.float32)
    except ValueError as exc:
        raise DataError(f"{path}: {exc}.") from None
    n = len(names)
    if len(lengths) != n or len(dlengths) != n:
        raise DataError(f"{path}: {n} model names but {len(lengths)} I(q) and {len(dlengths)} dI lists.")
    if np.any(lengths != len(q)) or np.any(dlengths != len(q)) or len(dq) not in (0, len(q)):
        raise DataError(f"{path}: every I(q) and dI list must have as many values as q ({len(q)}).")
    if len(dq) == 0:
        dq = np.zeros_like(q)
    return CurveBatch(models=np.array(names, dtype=object), offsets=np.arange(n + 1, dtype=np.int64) * len(q),
                      q=np.tile(q, n), dq=np.tile(dq, n), iq=iq, diq=diq,
                      seeds=np.full(n, -1), indices=np.full(n, -1), params=[{} for _ in range(n)])


def write_legacy_aggr(directory: str, tag: str, model: str, batch: CurveBatch) -> str:
    """Write curves of one model in the 2017 layout, ``directory/result_<tag>_<model>``.

    All curves must share q and dq (the 2017 layout stores them once).
    Returns the file path.
    """
    q, dq = batch.matrix("q"), batch.matrix("dq")
    if len(batch) and (np.any(q != q[0]) or np.any(dq != dq[0])):
        raise DataError("The 2017 aggregated layout needs every curve on the same q and dq.")

    def floats(values):
        return "[" + format_floats(values, ", ") + "]"

    def nested(matrix):
        return "[" + ", ".join(floats(row) for row in matrix) + "]"

    path = os.path.join(directory, f"result_{tag}_{model}")
    os.makedirs(directory, exist_ok=True)
    with open(path, "w") as f:
        f.write(repr([str(m) for m in batch.models]) + "\n")
        f.write(floats(q[0] if len(batch) else []) + "\n")
        f.write(nested(batch.matrix("iq")) + "\n")
        f.write(floats(dq[0] if len(batch) else []) + "\n")
        f.write(nested(batch.matrix("diq")) + "\n")
    return path

"""JSON store: a directory of JSON Lines files, one per tag and scattering model.

URL: ``json:DIR`` (a directory).

Format written (``sasnets-json`` version 1), file ``DIR/<tag>/<model>.jsonl``,
one JSON object per line::

    {"index": 0, "seed": 1234, "model": "sphere", "params": {"radius": 50.0},
     "q": [...], "dq": [...], "iq": [...], "diq": [...]}

``index`` is the generation index within (tag, model) (-1 unknown); q and dq
in 1/Å; floats with 9 significant digits (float32 values come back exactly;
non-finite values as ``NaN``/``Infinity``, which Python's json reads).
``DIR/<tag>/provenance.json`` holds the tag's run records.

2017 files are read too: any ``DIR/*.json`` holding one curve object, a list
of them, or one per line, each ``{"model": …, "id": …, "param": {…, "Seed":
…}, "data": {"Q": […], "dQ": […], "I": […], "dI": […]}}``.  The tag comes from
the file name (its first ``_``-separated word among train, eval, test, val,
valid, validation; ``train`` otherwise), the seed from ``param["Seed"]``; the
index is -1.  :func:`write_legacy_json` writes that layout.
"""
from __future__ import annotations

import json
import os

import numpy as np

from ..data.curves import Curve, CurveBatch
from ..errors import DataError
from ._linefiles import LineFileStore, format_floats, tag_from_filename

__all__ = ["JSONStore", "read_legacy_json", "write_legacy_json"]


def _json_floats(values: np.ndarray) -> str:
    values = np.asarray(values, dtype=np.float32)
    if np.all(np.isfinite(values)):
        return "[" + format_floats(values, ",") + "]"
    return json.dumps([float(v) for v in values])  # NaN/Infinity spelled the way json reads them


class JSONStore(LineFileStore):
    """JSON Lines files, one per tag and model; reads 2017 JSON files."""

    extension = ".jsonl"
    name_hint = "json"

    def encode(self, tag, model, batch):
        params = batch.params_json()
        off = batch.offsets
        model_json = json.dumps(model)
        lines = []
        for i in range(len(batch)):
            a, b = off[i], off[i + 1]
            lines.append(
                f'{{"index": {int(batch.indices[i])}, "seed": {int(batch.seeds[i])}, "model": {model_json}, '
                f'"params": {params[i]}, "q": {_json_floats(batch.q[a:b])}, "dq": {_json_floats(batch.dq[a:b])}, '
                f'"iq": {_json_floats(batch.iq[a:b])}, "diq": {_json_floats(batch.diq[a:b])}}}\n')
        return "".join(lines).encode()

    def decode(self, data, model, with_params, where):
        curves = []
        for lineno, line in enumerate(data.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                curves.append(Curve(q=np.asarray(obj["q"], np.float32), dq=np.asarray(obj["dq"], np.float32),
                                    iq=np.asarray(obj["iq"], np.float32), diq=np.asarray(obj["diq"], np.float32),
                                    model=obj.get("model", model), params=obj.get("params", {}) if with_params else {},
                                    seed=int(obj.get("seed", -1)), index=int(obj.get("index", -1))))
            except (ValueError, KeyError, TypeError) as exc:
                raise DataError(f"{where}: curve line {lineno} is not a sasnets JSON curve ({exc}).") from None
        batch = CurveBatch.from_curves(curves)
        if not with_params:
            batch.params = None
        return batch

    def legacy_files(self):
        if not os.path.isdir(self.root):
            return []
        return [(tag_from_filename(name[:-5]), os.path.join(self.root, name))
                for name in sorted(os.listdir(self.root))
                if name.endswith(".json") and os.path.isfile(os.path.join(self.root, name))]

    def read_legacy(self, path):
        return read_legacy_json(path)


def _legacy_objects(text: str, path: str):
    text = text.strip()
    if not text:
        return []
    try:
        value = json.loads(text)
        return value if isinstance(value, list) else [value]
    except ValueError:
        pass
    objects = []
    for lineno, line in enumerate(text.splitlines(), start=1):  # one object per line
        if line.strip():
            try:
                objects.append(json.loads(line))
            except ValueError as exc:
                raise DataError(f"{path}: line {lineno} is not JSON ({exc}).") from None
    return objects


def read_legacy_json(path: str) -> CurveBatch:
    """The curves of a 2017 JSON file (one object, a list, or one object per line)."""
    try:
        with open(path, encoding="utf-8") as f:
            objects = _legacy_objects(f.read(), path)
    except OSError as exc:
        raise DataError(f"Cannot read {path!r} ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise DataError(f"{path!r} is not UTF-8 text, so not a 2017 JSON curve file.") from None
    curves = []
    for k, obj in enumerate(objects):
        try:
            data = obj["data"]
            params = dict(obj.get("param") or {})
            seed = params.pop("Seed", -1)
            q = np.asarray(data["Q"], np.float32)
            curves.append(Curve(q=q, iq=np.asarray(data["I"], np.float32),
                                dq=np.asarray(data["dQ"], np.float32) if data.get("dQ") is not None else np.zeros_like(q),
                                diq=np.asarray(data["dI"], np.float32) if data.get("dI") is not None else np.zeros_like(q),
                                model=str(obj["model"]), params=params,
                                seed=int(seed) if seed is not None else -1, index=-1))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: curve {k} is not a 2017 SASNets JSON curve (missing or bad {exc}).") from None
        if not (len(curves[-1].q) == len(curves[-1].iq) == len(curves[-1].dq) == len(curves[-1].diq)):
            raise DataError(f"{path}: curve {k} has columns of different lengths.")
    return CurveBatch.from_curves(curves)


def write_legacy_json(path: str, batch: CurveBatch) -> str:
    """Write curves in the 2017 JSON layout: a list of curve objects in one file."""
    objects = []
    for i, c in enumerate(batch):
        param = dict(c.params)
        param["Seed"] = int(c.seed)
        objects.append({"model": c.model, "id": i, "param": param,
                        "data": {"Q": [float(v) for v in c.q], "dQ": [float(v) for v in c.dq],
                                 "I": [float(v) for v in c.iq], "dI": [float(v) for v in c.diq]}})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(objects, f)
    return path

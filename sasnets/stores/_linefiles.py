"""Shared machinery of the directory stores (``json:`` and ``aggr:``).

Both keep one text file per (tag, scattering model) with one curve per line::

    DIR/<tag>/<model>.<ext>          curves, appended a batch at a time
    DIR/<tag>/provenance.json        JSON list of run records

and read legacy 2017 files lying directly in ``DIR`` (each subclass says
which).  Storage order within a tag is: own files by model name, then legacy
files by file name; within a file, line order.  Each file's line offsets are
indexed once (a vectorised newline scan, cached by size and modification
time), so a slice reads only the bytes it needs and a shuffled stream seeks
block by block.

A batch is appended model by model; if anything fails, every file touched is
truncated back to its previous length.  A process killed mid-write can leave
a last line without its newline: readers ignore it and the next writer cuts
it off, so a rerun (which skips indices already stored) tops up cleanly.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import numpy as np

from ..data.curves import CurveBatch
from ..errors import DataError, StoreError
from .base import Store, check_tag

__all__ = ["LineFileStore", "check_model_name", "KNOWN_TAGS", "tag_from_filename", "format_floats"]

_MODEL_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+@-]{0,127}$")  # @: products such as sphere@hayter_msa
#: tags recognised in legacy file names (``result_eval_sphere``, ``sphere_train_1.json``)
KNOWN_TAGS = ("train", "eval", "test", "val", "valid", "validation")


def check_model_name(model: str) -> str:
    """A scattering model name usable as a file name."""
    if not isinstance(model, str) or not _MODEL_RE.match(model) or model.endswith("."):
        raise DataError(f"Scattering model name {model!r} cannot name a file in a directory store; "
                        "use an HDF5 or SQL store for it.")
    return model


def tag_from_filename(stem: str, default: str = "train") -> str:
    """The tag a legacy file's name carries (its first ``_``-separated word that is a known tag)."""
    for part in re.split(r"[_.\-]", stem.lower()):
        if part in KNOWN_TAGS:
            return part
    return default


@dataclass
class _Segment:
    path: str
    model: str | None        # None for legacy files (models inside)
    count: int
    offsets: np.ndarray | None  # line start offsets + end, own files only


class LineFileStore(Store):
    """Base of the directory stores; subclasses define the line format."""

    #: file name extension of own files (with the dot)
    extension = ".txt"
    #: lines starting with this are headers/comments in own files
    comment = b"#"

    def __init__(self, location: str, mode: str = "r"):
        super().__init__(location, mode)
        self.root = os.path.expanduser(location) or "."
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise StoreError(f"Store path {self.root!r} is a file; a {self.name_hint} store is a directory.")
        if mode == "r" and not os.path.isdir(self.root):
            raise StoreError(f"Store directory {self.root!r} does not exist; check the path.")
        if mode == "a":
            try:
                os.makedirs(self.root, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create store directory {self.root!r} ({exc.strerror}).") from None
        self._index_cache: dict[str, tuple] = {}
        self._legacy_cache: dict[str, tuple] = {}

    name_hint = "directory"

    # -- subclass hooks -------------------------------------------------------
    def encode(self, tag: str, model: str, batch: CurveBatch) -> bytes:
        """Lines (each ending in ``\\n``) for curves of one model."""
        raise NotImplementedError

    def header(self, tag: str, model: str) -> bytes:
        """Bytes written at the start of a new own file (comment lines or nothing)."""
        return b""

    def decode(self, data: bytes, model: str, with_params: bool, where: str) -> CurveBatch:
        """Curves from complete lines of an own file."""
        raise NotImplementedError

    def legacy_files(self) -> list[tuple[str, str]]:
        """``(tag, path)`` of 2017 files in the root directory."""
        return []

    def read_legacy(self, path: str) -> CurveBatch:
        """All curves of a 2017 file (indices -1, params as found)."""
        raise NotImplementedError

    # -- index ----------------------------------------------------------------
    def _own_files(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        if not os.path.isdir(self.root):
            return out
        for tag in sorted(os.listdir(self.root)):
            tagdir = os.path.join(self.root, tag)
            if not os.path.isdir(tagdir):
                continue
            files = {f[:-len(self.extension)]: os.path.join(tagdir, f)
                     for f in sorted(os.listdir(tagdir)) if f.endswith(self.extension)}
            if files:
                out[tag] = files
        return out

    def _line_offsets(self, path: str) -> np.ndarray:
        st = os.stat(path)
        key = (st.st_size, st.st_mtime_ns)
        cached = self._index_cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        with open(path, "rb") as f:
            data = f.read()
        buf = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(buf == 10) + 1  # complete lines only
        starts = np.concatenate([[0], ends[:-1]]) if len(ends) else np.zeros(0, np.int64)
        keep = buf[starts] != self.comment[0] if len(starts) else np.zeros(0, bool)
        keep &= (ends - starts) > 1  # blank lines are not curves
        offsets = np.stack([starts[keep], ends[keep]], axis=1).astype(np.int64)
        self._index_cache[path] = (key, offsets)
        return offsets

    def _legacy(self, path: str) -> CurveBatch:
        st = os.stat(path)
        key = (st.st_size, st.st_mtime_ns)
        cached = self._legacy_cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        batch = self.read_legacy(path)
        self._legacy_cache = {path: (key, batch)}  # keep one parsed legacy file
        return batch

    def _segments(self, tag: str) -> list[_Segment]:
        segments = []
        for model, path in self._own_files().get(tag, {}).items():
            offsets = self._line_offsets(path)
            segments.append(_Segment(path, model, len(offsets), offsets))
        for ltag, path in self.legacy_files():
            if ltag == tag:
                segments.append(_Segment(path, None, len(self._legacy(path)), None))
        return segments

    # -- interface ------------------------------------------------------------
    def tags(self) -> list[str]:
        return sorted(set(self._own_files()) | {t for t, _ in self.legacy_files()})

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for tag in self.tags():
            per: dict[str, int] = {}
            for seg in self._segments(tag):
                if seg.model is not None:
                    if seg.count:
                        per[seg.model] = per.get(seg.model, 0) + seg.count
                else:
                    names, n = np.unique(self._legacy(seg.path).models.astype(str), return_counts=True)
                    for m, c in zip(names, n):
                        per[m] = per.get(m, 0) + int(c)
            if per:
                out[tag] = dict(sorted(per.items()))
        return out

    def size(self, tag: str) -> int:
        return sum(seg.count for seg in self._segments(tag))

    def _read_segment(self, seg: _Segment, a: int, b: int, with_params: bool) -> CurveBatch:
        if seg.model is None:
            batch = self._legacy(seg.path)
            part = batch.take(np.arange(a, b))
            return part if with_params else CurveBatch(part.models, part.offsets, part.q, part.dq, part.iq,
                                                       part.diq, part.seeds, part.indices, None)
        lo, hi = int(seg.offsets[a, 0]), int(seg.offsets[b - 1, 1])
        with open(seg.path, "rb") as f:
            f.seek(lo)
            data = f.read(hi - lo)
        data = self._drop_comments(data, seg.offsets[a:b] - lo)
        return self.decode(data, seg.model, with_params, seg.path)

    @staticmethod
    def _drop_comments(data: bytes, spans: np.ndarray) -> bytes:
        """Only the curve lines of ``data`` (header lines between them removed)."""
        if len(spans) == 0:
            return b""
        if int(spans[-1, 1] - spans[0, 0]) == int((spans[:, 1] - spans[:, 0]).sum()):
            return data
        return b"".join(data[int(s):int(e)] for s, e in spans)

    def read_slice(self, tag: str, start: int, stop: int, with_params: bool = True) -> CurveBatch:
        parts = []
        pos = 0
        for seg in self._segments(tag):
            a, b = max(start - pos, 0), min(stop - pos, seg.count)
            if a < b:
                parts.append(self._read_segment(seg, a, b, with_params))
            pos += seg.count
            if pos >= stop:
                break
        return CurveBatch.concat(parts) if parts else CurveBatch.empty()

    def existing_indices(self, tag: str, model: str) -> np.ndarray:
        found = []
        for seg in self._segments(tag):
            if seg.model == model and seg.count:
                found.append(self._read_segment(seg, 0, seg.count, with_params=False).indices)
            elif seg.model is None:
                batch = self._legacy(seg.path)
                found.append(batch.indices[batch.models.astype(str) == model])
        return np.concatenate(found) if found else np.zeros(0, np.int64)

    def write(self, tag: str, batch: CurveBatch) -> None:
        check_tag(tag)
        if self.mode != "a":
            raise StoreError(f"Store {self.root!r} was opened read-only.")
        if not len(batch):
            return
        models = batch.models.astype(str)
        for model in dict.fromkeys(models):
            check_model_name(model)
        tagdir = os.path.join(self.root, tag)
        touched: list[tuple[str, int | None]] = []
        try:
            os.makedirs(tagdir, exist_ok=True)
            for model in dict.fromkeys(models):
                path = os.path.join(tagdir, model + self.extension)
                data = self.encode(tag, model, batch.take(models == model))
                size = self._prepare_append(path)
                touched.append((path, size))
                with open(path, "ab") as f:
                    if size is None:
                        f.write(self.header(tag, model))
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
        except BaseException as exc:
            for path, size in touched:
                try:
                    if size is None:
                        os.remove(path)
                    else:
                        os.truncate(path, size)
                except OSError:
                    pass
            if isinstance(exc, OSError):
                raise StoreError(f"Writing to store {self.root!r} failed ({exc.strerror or exc}); "
                                 "curves written before are kept.") from None
            raise

    @staticmethod
    def _prepare_append(path: str) -> int | None:
        """Cut a torn last line left by a killed writer; the file's size, or None if new."""
        if not os.path.exists(path):
            return None
        size = os.path.getsize(path)
        if size:
            with open(path, "rb") as f:
                f.seek(max(0, size - 1))
                if f.read(1) != b"\n":
                    f.seek(0)
                    data = f.read()
                    size = data.rfind(b"\n") + 1
            os.truncate(path, size)
        return size

    def add_provenance(self, tag: str, record: dict) -> None:
        check_tag(tag)
        if self.mode != "a":
            raise StoreError(f"Store {self.root!r} was opened read-only.")
        if tag not in self.tags():
            raise StoreError(f"Store {self.root!r} has no tag {tag!r} to record provenance for.")
        path = os.path.join(self.root, tag, "provenance.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        runs = self.provenance(tag)
        runs.append(record)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(runs, f, indent=1, default=str)
        os.replace(tmp, path)

    def provenance(self, tag: str) -> list[dict]:
        path = os.path.join(self.root, tag, "provenance.json")
        if not os.path.exists(path):
            return []
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError) as exc:
            raise DataError(f"Provenance file {path!r} is unreadable ({exc}); restore or delete it.") from None

    @property
    def url(self) -> str:
        return self.root


def format_floats(values: np.ndarray, sep: str = " ") -> str:
    """float32 values as text that reads back exactly (9 significant digits)."""
    values = np.asarray(values, dtype=np.float32)
    if not len(values):
        return ""
    return sep.join(["%.9g"] * len(values)) % tuple(values.tolist())

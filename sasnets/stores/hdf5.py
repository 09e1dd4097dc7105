"""The embedded default store: one HDF5 file (h5py).

Layout (format ``sasnets-hdf5``, version 1)::

    /                      attrs: sasnets_format="sasnets-hdf5", format_version=1
    /tags/<tag>/           one group per tag; attrs:
                             models      JSON list; a curve's ``model`` code indexes it
                             count       curves committed (readers trust this, not dataset sizes)
                             points      q points committed
                             provenance  JSON list of run records (options, sasmodels version, time)
        model    int32   (count,)   scattering model code
        seed     int64   (count,)   seed that reproduces the curve
        index    int64   (count,)   position in the (tag, model) generation sequence; -1 unknown
        npoints  int32   (count,)   points of each curve
        params   utf-8   (count,)   sampled parameter values, JSON object
        q dq iq diq float32 (points,)   all curves' columns, concatenated in curve order

All datasets are chunked and resizable.  A batch is appended by growing the
datasets, writing, and only then raising ``count``/``points``; the file is
opened for each write and closed after it, so a process killed between
batches leaves a clean file, and one killed inside a write leaves at most
uncommitted rows beyond ``count`` that the next writer overwrites.
"""
from __future__ import annotations

import errno
import json
import os
import time

import numpy as np

from ..data.curves import COLUMNS, CurveBatch
from ..errors import StoreError
from .base import Store, check_tag

__all__ = ["HDF5Store"]

FORMAT = "sasnets-hdf5"
VERSION = 1
_PER_CURVE = {"model": np.int32, "seed": np.int64, "index": np.int64, "npoints": np.int32}
#: seconds to wait for another process's lock on the file (HDF5 locks a file
#: while it is open; every read and write here holds it for a moment only)
LOCK_WAIT_S = 60.0


def _h5py():
    import h5py

    return h5py


def _is_lock_error(exc: OSError) -> bool:
    """Whether h5py failed to open a file because another process holds its lock."""
    return exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK) or "unable to lock file" in str(exc)


class HDF5Store(Store):
    """Curves in one HDF5 file; the default store."""

    def __init__(self, location: str, mode: str = "r"):
        super().__init__(location, mode)
        self.path = os.path.expanduser(location)
        if mode == "r" and not os.path.exists(self.path):
            raise StoreError(f"Store file {self.path!r} does not exist; generate data into it first (sasnets generate … -o {self.path}).")
        if os.path.isdir(self.path):
            raise StoreError(f"Store path {self.path!r} is a directory; give an HDF5 file name such as {os.path.join(self.path, 'data.h5')!r}.")
        if mode == "r":
            with self._open("r"):
                pass

    # -- file handling ----------------------------------------------------
    def _open(self, mode: str):
        h5py = _h5py()
        if mode == "a":
            parent = os.path.dirname(os.path.abspath(self.path))
            try:
                os.makedirs(parent, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create the directory for store file {self.path!r} ({exc.strerror}); choose another output path.") from None
            if not os.access(parent, os.W_OK) or (os.path.exists(self.path) and not os.access(self.path, os.W_OK)):
                raise StoreError(f"Cannot write store file {self.path!r} (permission denied); choose another output path.")
        try:
            f = self._file_when_unlocked(h5py, mode)
        except FileNotFoundError:
            raise StoreError(f"Store file {self.path!r} does not exist.") from None
        except PermissionError:
            raise StoreError(f"Cannot write store file {self.path!r} (permission denied); choose another output path.") from None
        except OSError as exc:
            raise StoreError(f"{self.path!r} is not a readable HDF5 store ({str(exc).splitlines()[0]}).") from None
        if mode == "a" and "sasnets_format" not in f.attrs:
            if len(f.keys()):
                f.close()
                raise StoreError(f"{self.path!r} is an HDF5 file but not a sasnets store; choose another output file.")
            f.attrs["sasnets_format"] = FORMAT
            f.attrs["format_version"] = VERSION
        elif f.attrs.get("sasnets_format") != FORMAT:
            f.close()
            raise StoreError(f"{self.path!r} is an HDF5 file but not a sasnets store.")
        return f

    def _file_when_unlocked(self, h5py, mode: str):
        """``h5py.File(path, mode)``, waiting while another process holds the
        file's lock: ``sasnets info`` during ``sasnets generate`` (or a second
        generation into the same file) takes turns instead of failing."""
        deadline = time.monotonic() + LOCK_WAIT_S
        pause = 0.02
        while True:
            try:
                return h5py.File(self.path, mode)
            except OSError as exc:
                if not _is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Store file {self.path!r} stayed locked by another process for {LOCK_WAIT_S:.0f} s; "
                        "wait until it is done (or set HDF5_USE_FILE_LOCKING=FALSE on a file system without locks)."
                    ) from None
                time.sleep(pause)
                pause = min(2 * pause, 0.5)

    def _write_handle(self):
        if self.mode != "a":
            raise StoreError(f"Store {self.path!r} was opened read-only.")
        return self._open("a")

    @staticmethod
    def _group(f, tag):
        return f.get(f"tags/{tag}")

    # -- interface --------------------------------------------------------
    def tags(self) -> list[str]:
        if not os.path.exists(self.path):
            return []
        with self._open("r") as f:
            return sorted(f["tags"].keys()) if "tags" in f else []

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        if not os.path.exists(self.path):
            return out
        with self._open("r") as f:
            for tag in (f["tags"].keys() if "tags" in f else []):
                g = f["tags"][tag]
                n = int(g.attrs["count"])
                names = json.loads(g.attrs["models"])
                codes = g["model"][:n]
                hist = np.bincount(codes, minlength=len(names)) if n else np.zeros(len(names), int)
                out[tag] = {names[i]: int(c) for i, c in enumerate(hist) if c}
        return out

    def size(self, tag: str) -> int:
        if not os.path.exists(self.path):
            return 0
        with self._open("r") as f:
            g = self._group(f, tag)
            return int(g.attrs["count"]) if g is not None else 0

    def write(self, tag: str, batch: CurveBatch) -> None:
        check_tag(tag)
        if not len(batch):
            return
        h5py = _h5py()
        self._ensure_room(batch)
        try:
            with self._write_handle() as f:
                g = self._group(f, tag)
                if g is None:
                    g = f.require_group("tags").create_group(tag)
                    for name, dtype in _PER_CURVE.items():
                        g.create_dataset(name, (0,), dtype=dtype, maxshape=(None,), chunks=(65536,))
                    g.create_dataset("params", (0,), dtype=h5py.string_dtype(), maxshape=(None,), chunks=(16384,))
                    for name in COLUMNS:
                        g.create_dataset(name, (0,), dtype=np.float32, maxshape=(None,), chunks=(262144,))
                    g.attrs.update(models="[]", count=0, points=0, provenance="[]")
                names = json.loads(g.attrs["models"])
                lookup = {m: i for i, m in enumerate(names)}
                for m in dict.fromkeys(batch.models.astype(str)):
                    if m not in lookup:
                        lookup[m] = len(names)
                        names.append(m)
                n0, p0 = int(g.attrs["count"]), int(g.attrs["points"])
                n1, p1 = n0 + len(batch), p0 + int(batch.offsets[-1])
                per_curve = {
                    "model": np.array([lookup[m] for m in batch.models.astype(str)], np.int32),
                    "seed": batch.seeds, "index": batch.indices, "npoints": batch.lengths,
                }
                for name, values in per_curve.items():
                    g[name].resize((n1,))
                    g[name][n0:n1] = values
                g["params"].resize((n1,))
                g["params"][n0:n1] = np.array(batch.params_json(), dtype=object)
                for name in COLUMNS:
                    g[name].resize((p1,))
                    g[name][p0:p1] = getattr(batch, name)
                f.flush()
                g.attrs["models"] = json.dumps(names)
                g.attrs["points"] = p1
                g.attrs["count"] = n1
                f.flush()
        except (OSError, RuntimeError) as exc:  # h5py reports a full disk as either, sometimes on close
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(f"Writing to store {self.path!r} failed ({reason}; is the disk full?); "
                             "curves written before are kept.") from None

    def _ensure_room(self, batch: CurveBatch) -> None:
        """Refuse a batch the disk (or the process's file-size limit) cannot take.

        HDF5 is not transactional: a write that runs out of space midway can
        leave the file unreadable.  Checking first, with a generous margin for
        chunk rounding and metadata, keeps every batch already written safe.
        """
        import resource
        import shutil

        need = 2 * (4 * len(COLUMNS) * int(batch.offsets[-1]) + 64 * len(batch)) + (8 << 20)
        need += sum(len(p) for p in batch.params_json())
        where = os.path.dirname(os.path.abspath(self.path))
        while not os.path.exists(where):  # the directory is created on the first write
            where = os.path.dirname(where)
        room = shutil.disk_usage(where).free
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:
            room = min(room, limit - (os.path.getsize(self.path) if os.path.exists(self.path) else 0))
        if room < need:
            raise StoreError(f"Not enough disk space to write store {self.path!r} ({max(room, 0) >> 20} MiB free, "
                             f"{need >> 20} MiB needed for the next batch); free some space and rerun to resume.")

    def read_slice(self, tag: str, start: int, stop: int, with_params: bool = True) -> CurveBatch:
        with self._open("r") as f:
            g = self._group(f, tag)
            n = int(g.attrs["count"]) if g is not None else 0
            start, stop = max(0, start), min(stop, n)
            if g is None or stop <= start:
                return CurveBatch.empty()
            names = np.array(json.loads(g.attrs["models"]), dtype=object)
            npoints = g["npoints"][start:stop].astype(np.int64)
            offsets = np.concatenate([[0], np.cumsum(npoints)])
            if start == 0:
                first = 0
            elif start > n // 2:  # count from the end when that reads less
                first = int(g.attrs["points"]) - int(g["npoints"][start:n].astype(np.int64).sum())
            else:
                first = int(g["npoints"][:start].astype(np.int64).sum())
            last = first + int(offsets[-1])
            params = None
            if with_params:
                params = [json.loads(p) for p in g["params"].asstr()[start:stop]]
            return CurveBatch(
                models=names[g["model"][start:stop]], offsets=offsets,
                **{c: g[c][first:last] for c in COLUMNS},
                seeds=g["seed"][start:stop], indices=g["index"][start:stop], params=params,
            )

    def existing_indices(self, tag: str, model: str) -> np.ndarray:
        if not os.path.exists(self.path):  # opened for appending, nothing written yet
            return np.zeros(0, np.int64)
        with self._open("r") as f:
            g = self._group(f, tag)
            if g is None:
                return np.zeros(0, np.int64)
            names = json.loads(g.attrs["models"])
            if model not in names:
                return np.zeros(0, np.int64)
            n = int(g.attrs["count"])
            return g["index"][:n][g["model"][:n] == names.index(model)]

    def add_provenance(self, tag: str, record: dict) -> None:
        check_tag(tag)
        with self._write_handle() as f:
            g = self._group(f, tag)
            if g is None:
                raise StoreError(f"Store {self.path!r} has no tag {tag!r} to record provenance for.")
            runs = json.loads(g.attrs.get("provenance", "[]"))
            runs.append(record)
            g.attrs["provenance"] = json.dumps(runs, default=str)

    def provenance(self, tag: str) -> list[dict]:
        if not os.path.exists(self.path):
            return []
        with self._open("r") as f:
            g = self._group(f, tag)
            return json.loads(g.attrs.get("provenance", "[]")) if g is not None else []

"""A store that keeps every curve as its own NXcanSAS HDF5 file.

Facilities exchange reduced SAS data as NXcanSAS; a dataset kept this way can
be opened by SasView one curve at a time and classified with
``sasnets predict`` directly.  URL: ``nxcansas:DIR`` (or ``nxs:DIR``).

Layout::

    DIR/<tag>/<model>/<index>_<seed>.h5      one curve per file
        /sasentry01                 NXentry, canSAS_class=SASentry, definition=NXcanSAS
            /sasdata01              NXdata, canSAS_class=SASdata, signal=I, I_axes=Q
                Q   (units 1/angstrom, resolutions=dQ)   dQ (1-sigma)
                I   (units 1/cm, uncertainties=Idev)     Idev
            /sasnets                NXcollection; attrs model, seed, index, params (JSON)
    DIR/<tag>/provenance.json       run records

File names carry the model, generation index and seed, so counts and resume
checks list directories without opening files.  Each file is written under a
temporary name and renamed into place, so a killed writer never leaves a
half-written curve; a batch is the files it managed to publish.
"""
from __future__ import annotations

import json
import os
import re

import numpy as np

from sasnets.data.curves import Curve, CurveBatch
from sasnets.errors import StoreError
from sasnets.stores.base import Store, check_tag

_NAME = re.compile(r"^(-?\d+)_(-?\d+)\.h5$")
_MODEL = re.compile(r"^[A-Za-z0-9_.+-]+$")


class NXcanSASDirStore(Store):
    """Curves as NXcanSAS files in a directory tree (sasnets-extras)."""

    def __init__(self, location: str, mode: str = "r"):
        super().__init__(location, mode)
        self.root = os.path.expanduser(location or ".")
        if mode == "r" and not os.path.isdir(self.root):
            raise StoreError(f"NXcanSAS store directory {self.root!r} does not exist.")
        if mode == "a":
            try:
                os.makedirs(self.root, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"Cannot create NXcanSAS store directory {self.root!r} ({exc.strerror}).") from None

    # -- listing ----------------------------------------------------------
    def _files(self, tag: str) -> list[tuple[str, int, int, str]]:
        """(model, index, seed, path) of every curve file of ``tag``, in storage order."""
        out = []
        tagdir = os.path.join(self.root, tag)
        if not os.path.isdir(tagdir):
            return out
        for model in sorted(os.listdir(tagdir)):
            mdir = os.path.join(tagdir, model)
            if not os.path.isdir(mdir):
                continue
            for name in os.listdir(mdir):
                m = _NAME.match(name)
                if m:
                    out.append((model, int(m.group(1)), int(m.group(2)), os.path.join(mdir, name)))
        out.sort(key=lambda t: (t[0], t[1], t[2]))
        return out

    def tags(self) -> list[str]:
        if not os.path.isdir(self.root):
            return []
        return sorted(t for t in os.listdir(self.root) if os.path.isdir(os.path.join(self.root, t)))

    def counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for tag in self.tags():
            per: dict[str, int] = {}
            for model, *_ in self._files(tag):
                per[model] = per.get(model, 0) + 1
            if per:
                out[tag] = per
        return out

    def existing_indices(self, tag: str, model: str) -> np.ndarray:
        return np.array([i for m, i, _, _ in self._files(tag) if m == model], dtype=np.int64)

    # -- reading ----------------------------------------------------------
    def read_slice(self, tag: str, start: int, stop: int, with_params: bool = True) -> CurveBatch:
        import h5py

        curves = []
        for model, index, seed, path in self._files(tag)[max(0, start):stop]:
            try:
                with h5py.File(path, "r") as f:
                    d = f["sasentry01/sasdata01"]
                    meta = f["sasentry01/sasnets"].attrs
                    curves.append(Curve(q=d["Q"][()], dq=d["dQ"][()], iq=d["I"][()], diq=d["Idev"][()],
                                        model=str(meta["model"]), seed=int(meta["seed"]), index=int(meta["index"]),
                                        params=json.loads(meta["params"]) if with_params else {}))
            except (OSError, KeyError) as exc:
                raise StoreError(f"Curve file {path!r} is not a readable NXcanSAS curve ({exc}).") from None
        batch = CurveBatch.from_curves(curves)
        if not with_params:
            batch.params = None
        return batch

    # -- writing ----------------------------------------------------------
    def write(self, tag: str, batch: CurveBatch) -> None:
        import h5py

        check_tag(tag)
        if self.mode != "a":
            raise StoreError(f"NXcanSAS store {self.root!r} was opened read-only.")
        params = batch.params_json()
        for i, curve in enumerate(batch):
            if not _MODEL.match(str(curve.model)):
                raise StoreError(f"Scattering model name {curve.model!r} cannot be used as a directory name.")
            mdir = os.path.join(self.root, tag, str(curve.model))
            final = os.path.join(mdir, f"{curve.index}_{curve.seed}.h5")
            tmp = final + ".tmp"
            try:
                os.makedirs(mdir, exist_ok=True)
                with h5py.File(tmp, "w") as f:
                    f.attrs["default"] = "sasentry01"
                    e = f.create_group("sasentry01")
                    e.attrs.update(NX_class="NXentry", canSAS_class="SASentry", default="sasdata01")
                    e["definition"] = "NXcanSAS"
                    e["title"] = f"{curve.model} (seed {curve.seed})"
                    d = e.create_group("sasdata01")
                    d.attrs.update(NX_class="NXdata", canSAS_class="SASdata", signal="I", I_axes="Q")
                    d.create_dataset("Q", data=curve.q).attrs.update(units="1/angstrom", resolutions="dQ")
                    d.create_dataset("dQ", data=curve.dq).attrs.update(units="1/angstrom")
                    d.create_dataset("I", data=curve.iq).attrs.update(units="1/cm", uncertainties="Idev")
                    d.create_dataset("Idev", data=curve.diq).attrs.update(units="1/cm")
                    meta = e.create_group("sasnets")
                    meta.attrs.update(NX_class="NXcollection", model=str(curve.model), seed=curve.seed,
                                      index=curve.index, params=params[i])
                os.replace(tmp, final)
            except OSError as exc:
                raise StoreError(f"Writing curve file {final!r} failed ({exc.strerror or exc}); curves written before are kept.") from None

    def add_provenance(self, tag: str, record: dict) -> None:
        path = os.path.join(self.root, check_tag(tag), "provenance.json")
        runs = self.provenance(tag) + [record]
        with open(path + ".tmp", "w") as f:
            json.dump(runs, f, default=str)
        os.replace(path + ".tmp", path)

    def provenance(self, tag: str) -> list[dict]:
        path = os.path.join(self.root, tag, "provenance.json")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return json.load(f)

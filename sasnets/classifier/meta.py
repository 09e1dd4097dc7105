"""``classifier.json`` as a typed record: :class:`ClassifierMeta`.

The file is the saved format's description of a classifier (format
``sasnets-classifier``, version :data:`VERSION`): what the network reads
(labels, q-grid, preprocessing), what it outputs, how it was trained, its
metrics and calibration, and the versions that made it.  Reading it checks the
format once, here, so the rest of sasnets uses attributes instead of looking
keys up with defaults.  Keys this version does not know are kept in ``extra``
and written back, so a file from a newer sasnets survives a save.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..data.preprocess import PreprocessSpec
from ..data.qgrid import QGrid
from ..errors import DataError

__all__ = ["ClassifierMeta", "FORMAT", "VERSION"]

FORMAT = "sasnets-classifier"
VERSION = 1


@dataclass
class ClassifierMeta:
    """The content of ``classifier.json``."""

    #: scattering model names in the network's output order
    labels: list
    #: the q points the network reads
    qgrid: QGrid
    #: how a curve becomes network input
    preprocess: PreprocessSpec = field(default_factory=PreprocessSpec)
    #: the registered architecture that built the network, and its hyper-parameters
    architecture: str = "?"
    hyper: dict = field(default_factory=dict)
    #: what the last layer outputs: "logits" (sasnets networks) or "probabilities" (imported networks)
    network_output: str = "logits"
    #: softmax temperature fitted on held-out curves (1: uncalibrated)
    temperature: float = 1.0
    #: how it was trained: recipe, augmentation, seed, epochs, timing
    training: dict = field(default_factory=dict)
    #: the training data: store, tags, counts, provenance
    data: dict = field(default_factory=dict)
    #: validation metrics
    metrics: dict = field(default_factory=dict)
    #: where the temperature was fitted (``sasnets evaluate --calibrate-on``), if it was
    calibration: dict | None = None
    #: the size estimates (``sizes.npz``, :mod:`sasnets.classifier.sizes`), if fitted
    sizes: dict | None = None
    #: per-label offsets added to the network's logits: the training set's label frequencies
    #: divided out, as much as held-out curves call for (``sasnets evaluate --calibrate-on``)
    logit_offset: list | None = None
    #: sasnets, keras, tensorflow, sasmodels versions that made it
    versions: dict = field(default_factory=dict)
    #: keys of the file this version does not know (kept on save)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict, source: str | None = None) -> "ClassifierMeta":
        """Read a ``classifier.json`` dict; a wrong format, a newer version or
        missing labels/q-grid are a :class:`~sasnets.errors.DataError` naming ``source``."""
        where = source or "This"
        if d.get("format") != FORMAT:
            raise DataError(f"{where} is not a sasnets classifier (classifier.json has format {d.get('format')!r}).")
        if int(d.get("version", 0)) > VERSION:
            raise DataError(f"Classifier {source!r} has format version {d.get('version')}; upgrade sasnets to read it.")
        missing = [k for k in ("labels", "qgrid") if k not in d]
        if missing:
            raise DataError(f"{where}: classifier.json lacks {', '.join(missing)}; the classifier is damaged.")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in d.items() if k in names}
        values.update(labels=list(d["labels"]), qgrid=QGrid.from_dict(d["qgrid"]),
                      preprocess=PreprocessSpec.from_dict(d.get("preprocess", {})),
                      temperature=float(d.get("temperature", 1.0)))
        extra = {k: v for k, v in d.items() if k not in names and k not in ("format", "version")}
        return cls(**values, extra=extra)

    @property
    def trained_on_slit(self) -> bool | None:
        """Whether any curve of the training data was simulated slit-smeared (a ``generate`` run of its
        provenance with a positive ``slit`` share), or None when the provenance does not say (a
        classifier trained on a store without it, or imported)."""
        runs = [p for p in self.data.get("provenance") or () if p.get("command") == "generate"]
        if not runs:
            return None
        return any(float((run.get("options") or {}).get("slit") or 0.0) > 0 for run in runs)

    def to_dict(self) -> dict:
        """The JSON content of ``classifier.json``."""
        out = {"format": FORMAT, "version": VERSION, **self.extra}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if f.name in ("qgrid", "preprocess"):
                value = value.to_dict()
            if f.name in ("calibration", "sizes", "logit_offset") and value is None:
                continue
            out[f.name] = value
        return out

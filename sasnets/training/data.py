"""Training data: labels, the validation split, and per-epoch network input.

:func:`prepare_data` opens the training tag of any store and returns a
:class:`TrainingData` that yields, epoch by epoch, batches of
``(input, one-hot labels)`` with fresh augmentation.  Everything random is
drawn from generators seeded by ``(seed, epoch)``, so an epoch's batches are
the same whether training ran straight through or was resumed.

Two modes, chosen by the estimated size of the data:

* **in memory** - the tag is read once; each epoch shuffles, augments and
  preprocesses it in large chunks;
* **streaming** - each epoch streams the tag with ``store.iter_batches``
  (bounded memory; any store, e.g. PostgreSQL), cutting exact batches.

Validation curves come from ``val_tag`` when given, otherwise a seeded
``val_fraction`` of the training tag: stratified per scattering model in
memory, and by a hash of each curve's (model, seed, index, first intensity)
when streaming, so the split does not depend on storage order.  Validation
input is never augmented.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from ..progress import notifier
from ..data.augment import AugmentSpec, augment
from ..data.curves import CurveBatch
from ..data.preprocess import PreprocessSpec, iter_chunks, preprocess
from ..data.qgrid import QGrid
from ..errors import DataError, StoreError, UsageError

__all__ = ["TrainingData", "EpochPrefetcher", "prepare_data", "strip_password", "estimate_bytes"]

#: curves preprocessed at once when building an epoch in memory
CHUNK = 8192
#: the largest validation set kept (a seeded subset beyond this)
MAX_VAL = 50_000


def strip_password(url: str) -> str:
    """``url`` without a password (``postgresql://user:secret@host/db`` -> ``postgresql://user@host/db``)."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.fspath(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}" if user else netloc[-1]))


def estimate_bytes(n_curves: int, points_per_curve: float, input_size: int, n_labels: int) -> int:
    """Memory an in-memory run needs: raw curves, two epochs of input and labels
    (the next epoch is built while the current one trains) and their copies."""
    return int(n_curves * (points_per_curve * 16 + 3 * input_size * 4 + 2 * n_labels * 4 + 64))


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, *[int(k) & 0xFFFFFFFF for k in keys]])


def _hash_fraction(batch: CurveBatch, salt: int) -> np.ndarray:
    """A number in [0, 1) per curve from its identity, stable across reads."""
    codes = np.array([sum(map(ord, str(m))) * 1315423911 % (1 << 31) for m in batch.models], dtype=np.uint64)
    first = batch.iq[batch.offsets[:-1][batch.lengths > 0]].view(np.uint32).astype(np.uint64) if len(batch) else np.zeros(0, np.uint64)
    firsts = np.zeros(len(batch), np.uint64)
    firsts[batch.lengths > 0] = first
    with np.errstate(over="ignore"):
        h = (batch.seeds.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             ^ batch.indices.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
             ^ codes * np.uint64(0x94D049BB133111EB)
             ^ firsts * np.uint64(0xD6E8FEB86659FD93)
             ^ np.uint64(salt & 0xFFFFFFFF) * np.uint64(0x2545F4914F6CDD1D))
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass
class TrainingData:
    """The data side of a training run (see the module docstring)."""

    store_url: str
    tag: str
    labels: list
    qgrid: QGrid
    preprocess_spec: PreprocessSpec
    augment_spec: AugmentSpec
    batch_size: int
    seed: int
    streaming: bool
    n_train: int
    x_val: np.ndarray
    y_val: np.ndarray
    counts: dict = field(default_factory=dict)  # train curves per scattering model
    val_counts: dict = field(default_factory=dict)
    val_source: str = ""
    provenance: list = field(default_factory=list)
    _train: CurveBatch | None = None  # in-memory mode
    _train_labels: np.ndarray | None = None
    _val_fraction: float = 0.0
    _models: list | None = None

    @property
    def steps_per_epoch(self) -> int:
        """Full batches per epoch; the few curves left over are dropped (a fresh
        shuffle each epoch uses them in other epochs), so every batch has the same
        shape and the training step is traced once."""
        return max(1, self.n_train // self.batch_size)

    @property
    def input_shape(self) -> tuple:
        return (self.qgrid.nq, len(self.preprocess_spec.channels))

    def one_hot(self, labels: np.ndarray) -> np.ndarray:
        out = np.zeros((len(labels), len(self.labels)), np.float32)
        out[np.arange(len(labels)), labels] = 1.0
        return out

    def encode(self, models: np.ndarray) -> np.ndarray:
        lookup = {m: i for i, m in enumerate(self.labels)}
        return np.array([lookup[m] for m in models.astype(str)], dtype=np.int64)

    def _inputs(self, batch: CurveBatch, rng: np.random.Generator | None) -> np.ndarray:
        if rng is not None:
            batch = augment(batch, rng, self.augment_spec)
        return preprocess(batch, self.qgrid, self.preprocess_spec)

    def epoch_arrays(self, epoch: int):
        """In-memory mode: the whole epoch's ``(x, y)``, shuffled and augmented."""
        rng = _rng(self.seed, 1, epoch)
        order = rng.permutation(self.n_train)
        order = order[:self.steps_per_epoch * self.batch_size]
        xs = []
        for k, part in enumerate(iter_chunks(len(order), CHUNK)):
            batch = self._train.take(order[part])
            xs.append(self._inputs(batch, _rng(self.seed, 2, epoch, k) if self.augment_spec.enabled else None))
        x = np.concatenate(xs) if xs else np.zeros((0, *self.input_shape), np.float32)
        return x, self.one_hot(self._train_labels[order])

    def prefetching(self) -> "EpochPrefetcher":
        """In-memory epochs built one ahead (see :class:`EpochPrefetcher`)."""
        return EpochPrefetcher(self)

    def epoch_batches(self, epoch: int) -> Iterator[tuple]:
        """Streaming mode: exactly :attr:`steps_per_epoch` batches ``(x, y)`` for ``epoch``."""
        steps = self.steps_per_epoch
        produced = 0
        pass_no = 0
        pending: list[CurveBatch] = []
        held = 0
        while produced < steps:
            with _open(self.store_url) as store:
                for k, part in enumerate(store.iter_batches(self.tag, self.batch_size, shuffle=True,
                                                            seed=int(_rng(self.seed, 3, epoch, pass_no).integers(1 << 31)),
                                                            models=self._models)):
                    if self._val_fraction > 0:
                        part = part.take(_hash_fraction(part, self.seed) >= self._val_fraction)
                    if not len(part):
                        continue
                    pending.append(part)
                    held += len(part)
                    while held >= self.batch_size and produced < steps:
                        merged = CurveBatch.concat(pending)
                        batch, rest = merged.take(np.arange(self.batch_size)), merged.take(np.arange(self.batch_size, len(merged)))
                        pending, held = ([rest] if len(rest) else []), len(rest)
                        rng = _rng(self.seed, 4, epoch, produced) if self.augment_spec.enabled else None
                        yield self._inputs(batch, rng), self.one_hot(self.encode(batch.models))
                        produced += 1
                    if produced >= steps:
                        return
            pass_no += 1  # a pass gave fewer full batches than expected: go on with a reshuffled pass

    def describe(self) -> dict:
        """Provenance for ``classifier.json``."""
        return {
            "store": strip_password(self.store_url),
            "tag": self.tag,
            "validation": self.val_source,
            "counts": self.counts,
            "val_counts": self.val_counts,
            "n_train": self.n_train,
            "n_val": int(len(self.y_val)),
            "mode": "streaming" if self.streaming else "in-memory",
            "provenance": self.provenance,
        }


class EpochPrefetcher:
    """In-memory epochs built one ahead in a background thread, so augmenting
    and preprocessing the next epoch overlaps training on this one instead of
    stalling every epoch's first batch.  An epoch's arrays depend only on
    ``(seed, epoch)``, so they are the same with or without prefetching.  Use
    as a context manager; leaving it drops an epoch built ahead and unused."""

    def __init__(self, data: TrainingData):
        from concurrent.futures import ThreadPoolExecutor

        self._data = data
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sasnets-epoch")
        self._ahead: dict = {}

    def epoch_arrays(self, epoch: int, then: int | None = None):
        """``(x, y)`` of ``epoch``; starts building epoch ``then`` (when given) meanwhile."""
        future = self._ahead.pop(epoch, None) or self._pool.submit(self._data.epoch_arrays, epoch)
        for stale in [e for e in self._ahead if e != then]:
            self._ahead.pop(stale).cancel()
        if then is not None and then not in self._ahead:
            self._ahead[then] = self._pool.submit(self._data.epoch_arrays, then)
        return future.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._ahead.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _open(url):
    from ..stores.base import open_store

    return open_store(url)


def _labels_of(counts: dict, tag: str, models: Sequence[str] | None, url: str) -> list:
    present = {m: n for m, n in counts.get(tag, {}).items() if n > 0}
    if not present:
        raise DataError(f"Tag {tag!r} of store {strip_password(url)!r} holds no curves; generate training data first (sasnets generate).")
    if models:
        missing = [m for m in models if m not in present]
        if missing:
            raise UsageError(f"Scattering model(s) {', '.join(missing)} have no curves in tag {tag!r} (--models); "
                             f"present: {', '.join(sorted(present))}.")
        labels = sorted(set(models))
    else:
        labels = sorted(present)
    if len(labels) < 2:
        raise DataError(f"Tag {tag!r} of {strip_password(url)!r} holds curves of only {len(labels)} scattering model "
                        f"({', '.join(labels)}); a classifier needs at least 2.")
    return labels


def prepare_data(store_url: str, *, tag: str = "train", val_tag: str | None = None, val_fraction: float = 0.1,
                 models: Sequence[str] | None = None, qgrid: QGrid | None = None,
                 preprocess_spec: PreprocessSpec | None = None, augment_spec: AugmentSpec | None = None,
                 batch_size: int = 256, seed: int = 0, stream: bool | None = None,
                 memory_limit: int | None = None, labels: Sequence[str] | None = None,
                 progress=None) -> TrainingData:
    """Open ``store_url``, choose labels, split, and get ready to feed epochs.

    ``stream=None`` streams when the estimated memory (:func:`estimate_bytes`)
    exceeds ``memory_limit`` (default: half the available memory, at most
    16 GiB).  ``labels`` fixes the label order (resume uses it); ``qgrid=None``
    chooses a grid covering the training curves' median q range.
    """
    preprocess_spec = preprocess_spec or PreprocessSpec()
    augment_spec = augment_spec or AugmentSpec()
    if not 0 <= val_fraction < 1:
        raise UsageError(f"The validation fraction must be in [0, 1) (--val-fraction), got {val_fraction}.")
    notify = notifier(progress)
    url = os.fspath(store_url)
    with _open(url) as store:
        counts = store.counts()
        if tag not in counts:
            have = ", ".join(sorted(counts)) or "none"
            raise StoreError(f"Store {strip_password(url)!r} has no tag {tag!r} (tags present: {have}); pass --tag with one of them.")
        labels = list(labels) if labels else _labels_of(counts, tag, models, url)
        if val_tag is not None and val_tag not in counts:
            have = ", ".join(sorted(counts)) or "none"
            raise StoreError(f"Store {strip_password(url)!r} has no validation tag {val_tag!r} (--val-tag; tags present: {have}).")
        if val_tag is None and val_fraction <= 0:
            raise UsageError("Training needs validation curves: pass --val-tag or a --val-fraction above 0.")
        n_total = sum(counts[tag].get(m, 0) for m in labels)
        sample = store.read_slice(tag, 0, min(200, store.size(tag)), with_params=False)
        points = float(sample.lengths.mean()) if len(sample) else 128.0
        provenance = store.provenance(tag)
        input_size = (qgrid.nq if qgrid else 128) * len(preprocess_spec.channels)
        need = estimate_bytes(n_total, points, input_size, len(labels))
        if stream is None:
            stream = need > (memory_limit if memory_limit is not None else _default_memory_limit())
        mode = "streaming" if stream else "in-memory"
        notify("data", message=f"reading {n_total} curves of {len(labels)} scattering models ({mode})", mode=mode,
               curves=n_total, labels=len(labels), bytes=need)

        if not stream:
            train = store.read(tag, models=labels, with_params=False)
            if qgrid is None:
                qgrid = QGrid.covering(train.q, train.offsets)
            y_all = _encode(train.models, labels)
            if val_tag is None:
                rng = _rng(seed, 0)
                val_mask = np.zeros(len(train), bool)
                for code in range(len(labels)):
                    members = np.flatnonzero(y_all == code)
                    n_val = int(round(val_fraction * len(members)))
                    if len(members) >= 2:
                        n_val = min(max(n_val, 1), len(members) - 1)
                    else:
                        n_val = 0
                    val_mask[rng.choice(members, n_val, replace=False)] = True
                val = train.take(val_mask)
                train = train.take(~val_mask)
                val_source = f"{val_fraction:g} of tag {tag!r}, stratified, seed {seed}"
            else:
                val = store.read(val_tag, models=labels, with_params=False)
                val_source = f"tag {val_tag!r}"
            train_labels = _encode(train.models, labels)
        else:
            train = None
            train_labels = None
            if qgrid is None:
                qgrid = QGrid.covering(sample.q, sample.offsets)
            parts, n_train = [], 0
            if val_tag is None:
                # one pass: count the training curves and keep the validation ones
                for part in store.iter_batches(tag, 4096, shuffle=False, models=labels):
                    is_val = _hash_fraction(part, seed) < val_fraction
                    n_train += int((~is_val).sum())
                    if is_val.any():
                        parts.append(part.take(is_val))
                val = CurveBatch.concat(parts)
                val_source = f"{val_fraction:g} of tag {tag!r} by curve hash, seed {seed}"
            else:
                n_train = n_total
                val = store.read(val_tag, models=labels, with_params=False)
                val_source = f"tag {val_tag!r}"
        if not len(val):
            raise DataError(f"No validation curves of the {len(labels)} scattering models were found ({val_source}); "
                            "use more curves, a larger --val-fraction or another --val-tag.")
        if len(val) > MAX_VAL:
            val = val.take(np.sort(_rng(seed, 5).choice(len(val), MAX_VAL, replace=False)))
        y_val_codes = _encode(val.models, labels)
        n_train_final = len(train) if train is not None else n_train
        if n_train_final == 0:
            raise DataError(f"No training curves are left in tag {tag!r} after the validation split; generate more curves.")
        data = TrainingData(
            store_url=url, tag=tag, labels=labels, qgrid=qgrid, preprocess_spec=preprocess_spec,
            augment_spec=augment_spec, batch_size=max(1, min(int(batch_size), int(n_train_final))), seed=int(seed),
            streaming=bool(stream),
            n_train=int(n_train_final), x_val=np.zeros(0), y_val=np.zeros(0),
            counts={m: int(counts[tag].get(m, 0)) for m in labels},
            val_counts={m: int(c) for m, c in zip(labels, np.bincount(y_val_codes, minlength=len(labels)))},
            val_source=val_source, provenance=provenance,
            _train=train, _train_labels=train_labels,
            _val_fraction=float(val_fraction) if (stream and val_tag is None) else 0.0, _models=labels,
        )
        data.x_val = np.concatenate([preprocess(val.take(np.arange(len(val))[s]), qgrid, preprocess_spec)
                                     for s in iter_chunks(len(val), CHUNK)])
        data.y_val = data.one_hot(y_val_codes)
        return data


def _encode(models: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    lookup = {m: i for i, m in enumerate(labels)}
    return np.array([lookup.get(m, -1) for m in models.astype(str)], dtype=np.int64)


def _default_memory_limit() -> int:
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        avail = 8 << 30
    return int(min(avail // 2, 16 << 30))

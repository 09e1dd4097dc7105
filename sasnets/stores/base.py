"""The store interface and URL resolution.

A *store* holds a dataset: curves grouped by ``tag`` (``train``, ``eval``,
``test``, any name), each curve labelled with its scattering model, plus the
provenance of every generation run.  Stores are named by URLs
(``runs/data.h5``, ``sqlite:///sasnets.db``, ``postgresql://user@host/db``,
``json:path/``, ``aggr:path/``) and registered through the
``sasnets_register_stores`` hook, so a third-party plugin adds a scheme the
same way the built-ins do.

Subclasses implement :meth:`Store.write`, :meth:`Store.tags`,
:meth:`Store.counts` and :meth:`Store.read_slice`; the base class derives full
reads and bounded-memory shuffled streaming (:meth:`Store.iter_batches`) from
those, and stores with a faster native route override them.
"""
from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from typing import Iterator, Sequence

import numpy as np

from ..data.curves import CurveBatch
from ..errors import StoreError, UsageError

__all__ = ["Store", "open_store", "resolve_store", "check_tag", "DEFAULT_STORE"]

DEFAULT_STORE = "hdf5"
_TAG_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.S)


def check_tag(tag: str) -> str:
    """Validate a tag name (it becomes an HDF5 group or SQL table name)."""
    if not isinstance(tag, str) or not _TAG_RE.match(tag):
        raise UsageError(
            f"Tag {tag!r} is not allowed (--tag): use a letter followed by up to 62 letters, digits or underscores."
        )
    return tag


class Store(ABC):
    """A dataset location.  Open with :func:`open_store`; use as a context manager.

    ``location`` is the URL without its scheme prefix (a path for file stores,
    the full URL for server stores); ``mode`` is ``"r"`` (must exist) or ``"a"``
    (create if missing, append).
    """

    #: registry name, set by the registry on open
    name: str = "?"

    def __init__(self, location: str, mode: str = "r"):
        if mode not in ("r", "a"):
            raise ValueError("mode must be 'r' or 'a'")
        self.location = location
        self.mode = mode

    # -- to implement ---------------------------------------------------
    @abstractmethod
    def write(self, tag: str, batch: CurveBatch) -> None:
        """Append ``batch`` to ``tag`` atomically: all of it or none of it."""

    @abstractmethod
    def tags(self) -> list[str]:
        """Tags present in the store."""

    @abstractmethod
    def counts(self) -> dict[str, dict[str, int]]:
        """``{tag: {model: number of curves}}``."""

    @abstractmethod
    def read_slice(self, tag: str, start: int, stop: int, with_params: bool = True) -> CurveBatch:
        """Curves at positions ``start:stop`` of ``tag`` in storage order."""

    # -- provenance -----------------------------------------------------
    def add_provenance(self, tag: str, record: dict) -> None:
        """Record one generation/conversion run for ``tag`` (options, versions, time)."""

    def provenance(self, tag: str) -> list[dict]:
        """Run records for ``tag``, oldest first."""
        return []

    # -- derived --------------------------------------------------------
    def size(self, tag: str) -> int:
        """Number of curves in ``tag``."""
        return sum(self.counts().get(tag, {}).values())

    def read(self, tag: str, models: Sequence[str] | None = None, with_params: bool = True) -> CurveBatch:
        """All curves of ``tag`` (optionally only those of ``models``)."""
        self._require_tag(tag)
        batch = self.read_slice(tag, 0, self.size(tag), with_params=with_params)
        if models is not None:
            batch = batch.take(np.isin(batch.models.astype(str), list(models)))
        return batch

    def existing_indices(self, tag: str, model: str) -> np.ndarray:
        """Generation indices already stored for (tag, model); used to resume."""
        if tag not in self.tags():
            return np.zeros(0, np.int64)
        return self.read(tag, models=[model], with_params=False).indices

    def iter_batches(self, tag: str, batch_size: int, shuffle: bool = True, seed: int | None = None,
                     models: Sequence[str] | None = None, block_size: int | None = None,
                     buffer_blocks: int = 16, with_params: bool = False) -> Iterator[CurveBatch]:
        """Stream ``tag`` in batches of ``batch_size`` curves with bounded memory.

        With ``shuffle``, contiguous blocks are visited in random order and
        ``buffer_blocks`` of them are mixed in a buffer before batches are cut,
        so memory stays at about ``buffer_blocks * block_size`` curves while
        consecutive batches mix curves from all over the store.  The same seed
        gives the same order.
        """
        if batch_size <= 0:
            raise UsageError(f"Batch size must be positive, not {batch_size}.")
        self._require_tag(tag)
        n = self.size(tag)
        block = block_size or max(batch_size, 256)
        starts = np.arange(0, n, block)
        rng = np.random.default_rng(seed)
        if shuffle:
            rng.shuffle(starts)
        wanted = None if models is None else list(models)
        spans = [(int(a), int(min(a + block, n))) for a in starts]
        pending: list[CurveBatch] = []
        held = 0

        def flush(final: bool):
            merged = CurveBatch.concat(pending)
            order = rng.permutation(len(merged)) if shuffle else np.arange(len(merged))
            cut = len(merged) if final else (len(merged) // batch_size) * batch_size
            batches = [merged.take(order[i:i + batch_size]) for i in range(0, cut, batch_size)]
            rest = [merged.take(order[cut:])] if cut < len(merged) else []
            return batches, rest

        for part in self._read_spans(tag, spans, with_params):
            if wanted is not None:
                part = part.take(np.isin(part.models.astype(str), wanted))
            pending.append(part)
            held += len(part)
            if held >= buffer_blocks * block:
                batches, pending = flush(final=False)
                held = len(pending[0]) if pending else 0
                yield from batches
        if pending:
            batches, pending = flush(final=True)
            yield from batches

    def _read_spans(self, tag: str, spans, with_params: bool) -> Iterator[CurveBatch]:
        """The curves of the ``(start, stop)`` position spans, in the order given.

        :meth:`iter_batches` streams through this; the default reads each span
        with :meth:`read_slice`, server stores override it to stream all spans
        through one query.  Parts may be cut differently from the spans; only
        the order of the curves matters.
        """
        for start, stop in spans:
            yield self.read_slice(tag, start, stop, with_params=with_params)

    def _require_tag(self, tag: str) -> None:
        if tag not in self.tags():
            have = ", ".join(self.tags()) or "none"
            raise StoreError(f"Store {self.url!r} has no tag {tag!r} (tags present: {have}); pass --tag with one of them.")

    @property
    def url(self) -> str:
        return self.location

    def close(self) -> None:
        """Release connections or file handles."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def resolve_store(url: str):
    """Return ``(registry entry, location)`` for a store URL."""
    from ..plugins import get_registry

    registry = get_registry("stores")
    url = os.fspath(url)
    match = _SCHEME_RE.match(url)
    if match and len(match.group(1)) > 1:  # "C:\\path" is a Windows drive, not a scheme
        scheme = match.group(1).lower()
        for entry in registry:
            if scheme == entry.name or scheme in entry.meta.get("schemes", ()):
                location = url if entry.meta.get("keep_scheme") else match.group(2)
                if location.startswith("//") and not entry.meta.get("keep_scheme"):
                    location = location[2:]
                return entry, location
        known = sorted({s for e in registry for s in (e.name, *e.meta.get("schemes", ()))})
        raise UsageError(f"Unknown store scheme {scheme!r} in {url!r}; known schemes: {', '.join(known)}.")
    suffix = os.path.splitext(url)[1].lower()
    for entry in registry:
        if suffix and suffix in entry.meta.get("suffixes", ()):
            return entry, url
    return registry.entry(DEFAULT_STORE), url


def open_store(url: str, mode: str = "r") -> Store:
    """Open the store named by ``url`` (see the module docstring for URL forms)."""
    entry, location = resolve_store(url)
    store = entry.load()(location, mode)
    store.name = entry.name
    return store

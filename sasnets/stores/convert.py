"""Copy a dataset from one store to another (``sasnets convert``).

:func:`convert` reads the source tag by tag in storage order, a chunk at a
time (memory stays at one chunk), and writes each chunk to the destination
as one batch.  It is resumable: curves whose (tag, model, index) the
destination already holds are skipped, so rerunning an interrupted or
repeated conversion tops up and never duplicates.  Legacy curves without a
generation index (index -1: 2017 files and tables) get one on the way: their
position among the source's curves of the same tag and model, which is
stable between runs.  Values are copied as float32, so counts and curves are
preserved exactly.  Source provenance records are carried over and one
record of the conversion is added.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..data.curves import CurveBatch
from ..errors import UsageError
from ..progress import ProgressCallback, notifier
from .base import open_store

__all__ = ["convert", "ConvertResult"]


@dataclass
class ConvertResult:
    """Per tag: curves read from the source, written, and skipped as already present."""

    read: dict[str, int] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    #: the destination as the store names itself (passwords masked)
    destination: str = ""

    @property
    def total_written(self) -> int:
        return sum(self.written.values())


def _assign_indices(batch: CurveBatch, seen: dict[str, int]) -> CurveBatch:
    """Give curves with index -1 their position within their model in source order."""
    models = batch.models.astype(str)
    indices = batch.indices.copy()
    for i, m in enumerate(models):
        pos = seen.get(m, 0)
        seen[m] = pos + 1
        if indices[i] < 0:
            indices[i] = pos
    batch.indices = indices
    return batch


def convert(src: str, dst: str, tags: Sequence[str] | None = None, models: Sequence[str] | None = None,
            chunk_size: int = 2048, progress: ProgressCallback | None = None) -> ConvertResult:
    """Copy curves of ``tags`` (all by default) and ``models`` (all) from store ``src`` to ``dst``.

    ``progress`` receives :class:`~sasnets.progress.Progress` events of stage
    ``"convert"``: source curves covered of the tag's size, the tag as the
    message, ``info={"tag": tag}``; one event before each tag and one after
    each chunk.
    """
    if chunk_size <= 0:
        raise UsageError(f"Chunk size must be positive, not {chunk_size}.")
    if str(src) == str(dst):
        raise UsageError(f"Source and destination are the same store ({src}); give a different destination.")
    result = ConvertResult()
    notify = notifier(progress)
    with open_store(src, "r") as source:
        present = source.tags()
        chosen = list(present) if not tags else list(dict.fromkeys(tags))
        for tag in chosen:
            if tag not in present:
                source._require_tag(tag)
        counts = source.counts()
        if models is not None:
            have = {m for per in counts.values() for m in per}
            missing = [m for m in models if m not in have]
            if missing:
                raise UsageError(f"Scattering model(s) {', '.join(missing)} (--models) not in {src}; "
                                 f"it holds {', '.join(sorted(have)) or 'none'}.")
        wanted = None if models is None else list(models)
        with open_store(dst, "a") as target:
            result.destination = target.url
            for tag in chosen:
                n = source.size(tag)
                notify("convert", 0, n, tag, tag=tag)
                existing: dict[str, set] = {}
                seen: dict[str, int] = {}
                read = written = skipped = 0
                for start in range(0, n, chunk_size):
                    batch = source.read_slice(tag, start, min(start + chunk_size, n), with_params=True)
                    batch = _assign_indices(batch, seen)
                    if wanted is not None:
                        batch = batch.take(np.isin(batch.models.astype(str), wanted))
                    keep = np.ones(len(batch), bool)
                    for i, (m, idx) in enumerate(zip(batch.models.astype(str), batch.indices)):
                        if m not in existing:
                            existing[m] = set(target.existing_indices(tag, m).tolist()) if tag in target.tags() else set()
                        if idx in existing[m]:
                            keep[i] = False
                        else:
                            existing[m].add(int(idx))
                    read += len(batch)
                    if keep.any():
                        target.write(tag, batch.take(keep) if not keep.all() else batch)
                    written += int(keep.sum())
                    skipped += int((~keep).sum())
                    notify("convert", min(start + chunk_size, n), n, tag, tag=tag)
                result.read[tag], result.written[tag], result.skipped[tag] = read, written, skipped
                if written and tag in target.tags():
                    have = target.provenance(tag)
                    for record in source.provenance(tag):
                        if record not in have:
                            target.add_provenance(tag, record)
                    target.add_provenance(tag, {
                        "run": "convert", "source": source.url, "curves": written,
                        "models": wanted, "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    })
    return result

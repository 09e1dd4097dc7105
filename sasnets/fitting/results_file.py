"""A results file that a rerun completes instead of redoing (``sasnets fit --results FILE``).

One JSON line per curve fitted: its source (``file`` or ``file[entry]``), the
fingerprint of the options it was fitted with, and its candidates
(:meth:`FitResult.to_dict` with the fitted curve, so plots and reports can be
redrawn).  A line is appended, and flushed, as soon as all of a curve's
candidates are fitted, so an interrupted batch keeps every finished curve; a
rerun with the same options skips the curves the file holds, and one with other
options refits them (their old lines stay, the newest wins).  A damaged last
line (a write cut short) is ignored.
"""
from __future__ import annotations

import hashlib
import json
import os

from ..errors import UsageError
from .result import FitResult, result_from_dict

__all__ = ["ResultsFile", "options_key"]


def options_key(options: dict) -> str:
    """A short fingerprint of the options a curve was fitted with (JSON-sorted, SHA-1)."""
    text = json.dumps(options, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class ResultsFile:
    """The fits already in ``path`` for the options fingerprint ``key``; :meth:`add` appends one curve's."""

    def __init__(self, path: str, key: str):
        self.path = os.fspath(path)
        self.key = key
        self.done: dict[str, list[FitResult]] = {}
        if os.path.isdir(self.path):
            raise UsageError(f"--results {self.path} is a directory; give a file (e.g. fits.jsonl).")
        if os.path.exists(self.path):
            self._read()

    def _read(self) -> None:
        try:
            with open(self.path) as fh:
                lines = fh.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"Cannot read the results file {self.path} ({exc}); give another --results file.") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                source, key, candidates = record["file"], record["key"], record["candidates"]
            except (ValueError, KeyError, TypeError):
                if number == len(lines):  # cut short by an interrupt: refit that curve
                    continue
                raise UsageError(f"{self.path} line {number} is not a sasnets fit results line; give another "
                                 "--results file.") from None
            if key == self.key:
                self.done[source] = [result_from_dict(c) for c in candidates]

    def add(self, source: str, results: list) -> None:
        """Append the fitted candidates of ``source`` (a line, flushed to disk)."""
        line = json.dumps({"file": source, "key": self.key, "candidates": [r.to_dict(curve=True) for r in results]})
        with open(self.path, "a+") as fh:
            if fh.tell() > 0:  # a line cut short by an interrupt ends without a newline: close it first
                fh.seek(fh.tell() - 1)
                if fh.read(1) != "\n":
                    fh.write("\n")
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done[source] = list(results)

"""Analyzer checks: every check runs the analyzer on :func:`synthetic_result` in a new directory."""
from __future__ import annotations

import os
import tempfile

from ._core import expect, run_all, run_check
from ._data import synthetic_result

__all__ = ["check_analyzer", "ANALYZER_CHECKS", "check_analyzer_writes_files", "check_analyzer_without_embeddings"]


def _entry(name):
    from ..plugins import get_registry

    return get_registry("analyzers").entry(name)


def _subject(name: str) -> str:
    try:
        return f"analyzer {name!r} from {_entry(name).origin}"
    except Exception:
        return f"analyzer {name!r}"


def _written(name, result, outdir):
    """The analyzer's return value, checked: paths of non-empty files inside ``outdir``."""
    paths = _entry(name).load()(result, outdir)
    expect(paths is not None and not isinstance(paths, (str, bytes, os.PathLike)),
           f"it returned {paths!r}; an analyzer returns the list of paths of the files it wrote")
    paths = list(paths)
    root = os.path.realpath(outdir)
    for p in paths:
        expect(isinstance(p, (str, os.PathLike)), f"it returned {p!r} among its paths, not a path")
        full = os.path.realpath(os.path.join(outdir, os.fspath(p)))
        expect(os.path.commonpath([root, full]) == root, f"it wrote (or returned) {os.fspath(p)!r}, outside outdir")
        expect(os.path.isfile(full), f"it returned {os.fspath(p)!r}, which is not a file it wrote")
        expect(os.path.getsize(full) > 0, f"it wrote the empty file {os.fspath(p)!r}")
    return paths


def _writes_files(name):
    with tempfile.TemporaryDirectory(prefix="sasnets-check-") as tmp:
        outdir = os.path.join(tmp, "analysis")
        os.makedirs(outdir)
        paths = _written(name, synthetic_result(), outdir)
        expect(paths, "it returned no files for an evaluation with embeddings; an analyzer writes at least one file")


def check_analyzer_writes_files(name: str) -> None:
    """Guarantees that ``analyzer(results, outdir)`` on an evaluation of 12 scattering models
    (with embeddings) returns a list of at least one path, each a non-empty file inside
    ``outdir`` (what ``sasnets analyze`` links from its ``index.html``)."""
    run_check(_subject(name), check_analyzer_writes_files, lambda: _writes_files(name))


def _without_embeddings(name):
    needs = bool(_entry(name).meta.get("needs_embeddings"))
    with tempfile.TemporaryDirectory(prefix="sasnets-check-") as tmp:
        outdir = os.path.join(tmp, "analysis")
        os.makedirs(outdir)
        paths = _written(name, synthetic_result(embeddings=False), outdir)
        expect(paths or needs, "it returned no files for an evaluation without embeddings; an analyzer that needs "
                               "them is registered with needs_embeddings=True (then it may skip)")


def check_analyzer_without_embeddings(name: str) -> None:
    """Guarantees that the analyzer copes with an evaluation without embeddings (``sasnets
    analyze`` computes them only when an analyzer registered with ``needs_embeddings=True``
    runs): it writes files as above, or, registered with ``needs_embeddings=True``, may return
    an empty list, but never fails."""
    run_check(_subject(name), check_analyzer_without_embeddings, lambda: _without_embeddings(name))


#: every analyzer check, in the order :func:`check_analyzer` runs them
ANALYZER_CHECKS = [check_analyzer_writes_files, check_analyzer_without_embeddings]


def check_analyzer(name: str) -> None:
    """Run every analyzer check on the registered analyzer ``name``.

    Raises AssertionError listing each failing check with the analyzer's name,
    the check and what was wrong.
    """
    run_all("analyzer", ANALYZER_CHECKS, name)

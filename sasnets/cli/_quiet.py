"""Keep TensorFlow's native log lines (oneDNN, cpu_feature_guard, absl) out of the CLI's output.

TensorFlow's C++ runtime writes to file descriptor 2 while it is imported,
before ``TF_CPP_MIN_LOG_LEVEL`` is honoured, so the CLI silences that
descriptor for the duration of the ``import tensorflow`` alone (an import hook:
commands that never load TensorFlow, such as ``predict`` on the numpy
runtime, pay nothing).  ``sasnets --verbose`` or ``SASNETS_VERBOSE=1`` shows
everything.  Only the CLI does this; the library never touches the process's
stderr.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import logging
import os
import sys

__all__ = ["quiet_tensorflow", "VERBOSE_ENV"]

#: environment variable that keeps TensorFlow's log lines (any non-empty value but "0")
VERBOSE_ENV = "SASNETS_VERBOSE"


@contextlib.contextmanager
def _native_stderr_to_devnull():
    """File descriptor 2 points at /dev/null inside the block (Python's sys.stderr too)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (embedded, closed): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with _native_stderr_to_devnull():
            self._loader.exec_module(module)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Wraps the loader of the top-level ``tensorflow`` package."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def quiet_tensorflow(verbose: bool = False) -> None:
    """Silence TensorFlow's native log lines for the rest of this process, unless
    ``verbose`` (``--verbose``) or ``$SASNETS_VERBOSE`` asks for them."""
    if verbose or os.environ.get(VERBOSE_ENV, "").strip() not in ("", "0"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # what TensorFlow logs after its import
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietTensorFlowFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())

"""One progress protocol for every long library call.

Long calls (:func:`sasnets.generate`, :func:`sasnets.convert_store`,
:func:`sasnets.train`, :func:`sasnets.tune`, :func:`sasnets.evaluate`, the
report, fit-verified metrics, the demo) take ``progress``: a callable that
receives :class:`Progress` events and returns nothing.  Library code never
prints; the CLI turns the events into tqdm bars (:mod:`sasnets.cli._progress`).

An event says which ``stage`` of the work it belongs to, how many of that
stage's units are ``done`` out of ``total`` (``None`` when unknown), one line
of ``message`` for people, and stage-specific details in ``info`` (a training
epoch's history record, a tuning trial's number).  Each function's docstring
lists its stages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

__all__ = ["Progress", "ProgressCallback", "notifier"]


@dataclass(frozen=True)
class Progress:
    """One progress report: ``done`` of ``total`` units of ``stage``."""

    stage: str
    done: int = 0
    total: int | None = None
    message: str = ""
    info: dict = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """True when the stage has a total and reached it."""
        return self.total is not None and self.done >= self.total


#: what a ``progress=`` argument takes
ProgressCallback = Callable[[Progress], None]


def notifier(progress: Optional[ProgressCallback]) -> Callable[..., None]:
    """``notify(stage, done=0, total=None, message="", **info)`` calling
    ``progress`` with a :class:`Progress` (a no-op without ``progress``)."""
    if progress is None:
        return lambda *args, **kwargs: None

    def notify(stage: str, done: int = 0, total: int | None = None, message: str = "", **info) -> None:
        progress(Progress(stage, int(done), None if total is None else int(total), message, info))

    return notify

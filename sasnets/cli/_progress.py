"""tqdm bars on stderr from the library's :class:`~sasnets.progress.Progress` events."""
from __future__ import annotations

import sys

from ..progress import Progress

__all__ = ["ProgressBars"]


class ProgressBars:
    """A ``progress`` callable drawing one tqdm bar per stage on stderr.

    A bar starts at a stage's first event (so its rate counts from when the
    work started), shows ``message`` (else the stage) as its label and
    ``units[stage]`` as its unit, and ends when the stage reaches its total;
    an event that goes back (the next tag of a conversion) starts a new bar.
    ``leave`` keeps finished bars on screen; bars are drawn only when stderr
    is a terminal (``tty_only=False`` draws them anyway).  Use as a context
    manager, or call :meth:`close`, so an interrupted command leaves a clean line.
    """

    def __init__(self, quiet: bool = False, units: dict | None = None, leave: bool = False, tty_only: bool = True):
        self.quiet = quiet
        self.units = dict(units or {})
        self.leave = leave
        self.disable = None if tty_only else False  # tqdm's None: off when not a terminal
        self._bars: dict = {}

    def __call__(self, event: Progress) -> None:
        if self.quiet:
            return
        bar = self._bars.get(event.stage)
        if bar is not None and event.done < bar.n:
            self._end(event.stage)
            bar = None
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=event.total, desc=event.message or event.stage, unit=self.units.get(event.stage, "it"),
                       file=sys.stderr, dynamic_ncols=True, leave=self.leave,
                       disable=self.disable)
            self._bars[event.stage] = bar
        if event.total is not None and bar.total != event.total:
            bar.total = event.total
        bar.update(event.done - bar.n)
        if event.finished:
            self._end(event.stage)

    def _end(self, stage: str) -> None:
        bar = self._bars.pop(stage, None)
        if bar is not None:
            bar.close()

    def close(self) -> None:
        for stage in list(self._bars):
            self._end(stage)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

"""One way to suggest the name a user meant: every command that takes a name uses it."""
from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, names: Iterable[str], n: int = 3, cutoff: float = 0.6) -> str:
    """``"did you mean sphere?"`` (up to ``n`` close names of ``names``), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(word), sorted(set(names)), n=n, cutoff=cutoff)
    return f"did you mean {', '.join(close)}?" if close else ""

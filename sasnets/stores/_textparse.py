"""The numeric text parsers the stores use: the compiled ones from
:mod:`sasnets._ext.textparse` when built, else the pure-Python reference
:mod:`sasnets.stores._textparse_py` (same functions, same results).

Set ``SASNETS_NO_EXT=1`` to force the reference implementation.
``USING_EXTENSION`` tells which one is active.
"""
from __future__ import annotations

import os

__all__ = ["parse_rows", "parse_nested_lists", "USING_EXTENSION", "extension_disabled"]


def extension_disabled() -> bool:
    """Whether ``SASNETS_NO_EXT`` asks for the pure-Python parsers."""
    return os.environ.get("SASNETS_NO_EXT", "").strip().lower() not in ("", "0", "false", "no")


USING_EXTENSION = False
if not extension_disabled():
    try:
        from .._ext.textparse import parse_nested_lists, parse_rows

        USING_EXTENSION = True
    except ImportError:  # not compiled (source checkout without a build)
        pass
if not USING_EXTENSION:
    from ._textparse_py import parse_nested_lists, parse_rows  # noqa: F811

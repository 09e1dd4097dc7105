"""Pure-Python reference implementation of the numeric text parsers.

This module defines the behaviour; :mod:`sasnets._ext.textparse` is the
compiled twin that must give identical results (the same tests run against
both).  :mod:`sasnets.stores._textparse` picks one.

``parse_rows(data, n_int=0, dtype=numpy.float64) -> (ints, values, counts)``
    One row per non-blank line; tokens are separated by whitespace or commas;
    ``#`` starts a comment running to the end of the line (a line holding only
    a comment is not a row).  The first ``n_int`` tokens of a row are exact
    int64 integers; the remaining tokens are floats.  ``ints`` has shape
    ``(nrows, n_int)``, ``values`` holds all rows' floats concatenated and
    ``counts[i]`` is the number of floats in row ``i``.

``parse_nested_lists(data, dtype=numpy.float64) -> (values, lengths)``
    One list literal as Python's ``str(list)``, JSON or PostgreSQL's array
    output write it: ``[1.0, 2.5]``, ``[[1, 2], [3]]``, ``{1,2}`` (round
    brackets are accepted too).  ``values`` holds the numbers of every
    innermost list concatenated, ``lengths`` each innermost list's length
    (``[[1, 2], []]`` gives lengths ``[2, 0]``).  A list may hold numbers or
    lists, not both.

Both raise ``ValueError`` naming the line for malformed input.  Floats are
correctly rounded to float64 (``float()``), so float32 values written with 9
significant digits come back exactly.
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["parse_rows", "parse_nested_lists"]

_SEP = re.compile(r"[\s,]+")
_INT = re.compile(r"[+-]?[0-9]{1,19}\Z")
_LIST_TOKEN = re.compile(r"\s*([\[\]{}(),]|[^\s\[\]{}(),]+)")


def _text(data) -> str:
    if isinstance(data, str):
        return data
    return bytes(data).decode("ascii", "replace")


def _float(token: str, line: int) -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(f"line {line}: {token!r} is not a number") from None


def parse_rows(data, n_int: int = 0, dtype=np.float64):
    """Rows of numbers; returns ``(ints, values, counts)`` (see the module docstring)."""
    if n_int < 0:
        raise ValueError("n_int must be >= 0")
    ints: list[int] = []
    values: list[float] = []
    counts: list[int] = []
    for lineno, line in enumerate(_text(data).split("\n"), start=1):
        tokens = [t for t in _SEP.split(line.partition("#")[0]) if t]
        if not tokens:
            continue
        for token in tokens[:n_int]:
            if not _INT.match(token) or not -2**63 <= int(token) < 2**63:
                raise ValueError(f"line {lineno}: expected {n_int} integers at the start of the row")
            ints.append(int(token))
        if len(tokens) < n_int:
            raise ValueError(f"line {lineno}: expected {n_int} integers at the start of the row")
        floats = tokens[n_int:]
        values.extend(_float(t, lineno) for t in floats)
        counts.append(len(floats))
    return (np.array(ints, dtype=np.int64).reshape(len(counts), n_int),
            np.array(values, dtype=np.float64).astype(dtype, copy=False),
            np.array(counts, dtype=np.int64))


def parse_nested_lists(data, dtype=np.float64):
    """One nested list literal; returns ``(values, lengths)`` (see the module docstring)."""
    text = _text(data)
    values: list[float] = []
    lengths: list[int] = []
    stack: list[list] = []  # per open list: [numbers seen, has sublists]
    seen = False
    pos = 0
    while True:
        match = _LIST_TOKEN.match(text, pos)
        if match is None:
            break
        pos = match.end()
        token = match.group(1)
        line = text.count("\n", 0, match.start(1)) + 1
        if token == ",":
            continue
        if token in "[{(":
            if seen and not stack:
                raise ValueError(f"line {line}: text after the end of the list")
            if stack and stack[-1][0]:
                raise ValueError(f"line {line}: a list mixes numbers and lists")
            if len(stack) == 64:
                raise ValueError("lists nested too deeply")
            if stack:
                stack[-1][1] = True
            stack.append([0, False])
            seen = True
        elif token in "]})":
            if not stack:
                raise ValueError(f"line {line}: unbalanced closing bracket")
            count, has_sub = stack.pop()
            if not has_sub:
                lengths.append(count)
        else:
            if not stack:
                raise ValueError(f"line {line}: expected a list, found {token!r}")
            if stack[-1][1]:
                raise ValueError(f"line {line}: a list mixes numbers and lists")
            values.append(_float(token, line))
            stack[-1][0] += 1
    if stack:
        raise ValueError("unterminated list")
    if not seen:
        raise ValueError("no list found")
    return np.array(values, dtype=np.float64).astype(dtype, copy=False), np.array(lengths, dtype=np.int64)

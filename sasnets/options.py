"""One options protocol for every options object of the public API.

:class:`~sasnets.networks.Recipe`, :class:`~sasnets.data.QGrid`,
:class:`~sasnets.data.preprocess.PreprocessSpec`,
:class:`~sasnets.data.augment.AugmentSpec` and
:class:`~sasnets.simulate.GenerationOptions` are frozen dataclasses that
share three methods: ``obj.replace(**changes)`` (a validated copy; an unknown
name is a :class:`~sasnets.errors.UsageError` naming the known ones),
``obj.to_dict()`` (plain JSON values, as saved in ``classifier.json``, a
checkpoint's ``plan.json`` or a store's provenance) and
``type(obj).from_dict(d)`` (its inverse; keys it does not know are ignored, so
files written by newer versions still read).
"""
from __future__ import annotations

import dataclasses

from .errors import UsageError

__all__ = ["Options"]


class Options:
    """Mixin of the options protocol for a frozen dataclass (see the module docstring)."""

    def replace(self, **changes):
        """A copy with ``changes`` applied and validated."""
        known = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise UsageError(f"{type(self).__name__} has no option {', '.join(unknown)}; known: {', '.join(known)}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (tuples become lists)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict):
        """Inverse of :meth:`to_dict`: lists become tuples where the field holds one; unknown keys are ignored."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in d.items():
            if key in fields:
                holds_tuple = isinstance(fields[key].default, tuple) or "tuple" in str(fields[key].type)
                values[key] = tuple(value) if isinstance(value, list) and holds_tuple else value
        return cls(**values)


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value

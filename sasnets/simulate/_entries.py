"""What a scattering model of the catalog is (:class:`ModelEntry`) and its sasmodels ``ModelInfo``.

Shared by the catalog (:mod:`sasnets.simulate.catalog`) and the products of
form and structure factors (:mod:`sasnets.simulate.products`), which both
need them and otherwise import nothing of each other's.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["ModelEntry", "load_model_info"]


@dataclass(frozen=True)
class ModelEntry:
    """One scattering model: its name, sasmodels category, and where it comes from.

    ``path`` is ``None`` for models built into sasmodels and the model file
    for user models; :attr:`ref` is what :func:`load_model_info` takes.
    """

    name: str
    category: str
    path: str | None = None

    @property
    def ref(self) -> str:
        return self.path or self.name

    @property
    def builtin(self) -> bool:
        return self.path is None


@functools.lru_cache(maxsize=None)
def load_model_info(ref: str):
    """The sasmodels ``ModelInfo`` of a built-in name or a model file path (cached)."""
    from sasmodels import core

    return core.load_model_info(ref)

"""Scattering-model families (superclasses) derived from sasmodels categories.

Accuracy per family says whether a network at least gets the *kind* of
scatterer right (a cylinder confused with another cylinder is a smaller
mistake than a cylinder called a fractal).  The family comes from the model's
sasmodels ``category`` (``shape:sphere`` → ``sphere``); the large
``shape-independent`` category (29 models in sasmodels 1.1) is split by the
model's name into fractal, polymer, power-law/Guinier and peak/correlation
families, which is how the 2017 analysis grouped them.  Models sasmodels does
not know (custom or plugin models without a category) fall in ``other``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

__all__ = ["model_family", "families_of", "FAMILY_ORDER", "OTHER"]

OTHER = "other"

#: display order of families (unknown families sort after these, alphabetically)
FAMILY_ORDER = (
    "sphere", "cylinder", "ellipsoid", "parallelepiped", "polyhedron", "lamellae",
    "paracrystal", "fractal", "polymer", "power law/Guinier", "peak/correlation",
    "shape-independent", "structure factor", OTHER,
)

_SHAPE_INDEPENDENT_BY_NAME = (
    # (substring of the model name, family); first match wins
    ("fractal", "fractal"),
    ("polymer", "polymer"),
    ("polyelectrolyte", "polymer"),
    ("coil", "polymer"),
    ("rpa", "polymer"),
    ("gel", "polymer"),
    ("power", "power law/Guinier"),
    ("porod", "power law/Guinier"),
    ("guinier", "power law/Guinier"),
    ("unified", "power law/Guinier"),
    ("line", "power law/Guinier"),
    ("peak", "peak/correlation"),
    ("lorentz", "peak/correlation"),
    ("correlation", "peak/correlation"),
    ("dab", "peak/correlation"),
    ("teubner", "peak/correlation"),
    ("spinodal", "peak/correlation"),
)


def family_from_category(name: str, category: str | None) -> str:
    """Family of model ``name`` given its sasmodels ``category`` string."""
    if not category:
        return OTHER
    category = category.strip().lower()
    if category.startswith("shape:"):
        return category.split(":", 1)[1] or OTHER
    if category == "structure-factor":
        return "structure factor"
    if category == "shape-independent":
        lowered = name.lower()
        for fragment, family in _SHAPE_INDEPENDENT_BY_NAME:
            if fragment in lowered:
                return family
        return "shape-independent"
    return category.replace("-", " ")


@lru_cache(maxsize=None)
def model_family(name: str) -> str:
    """Family of the scattering model ``name`` (``"other"`` when sasmodels does not know it).

    Product models (``sphere@hardsphere``) take the family of their form factor.
    """
    base = str(name).split("@", 1)[0].split("*", 1)[0].strip()
    try:
        from sasmodels.core import load_model_info

        info = load_model_info(base)
    except Exception:  # unknown or broken custom model: not a reason to fail an evaluation
        return OTHER
    return family_from_category(base, getattr(info, "category", None))


def families_of(labels: Iterable[str]) -> list[str]:
    """Family of each label, in order."""
    return [model_family(str(label)) for label in labels]


def family_sort_key(family: str):
    """Sort key placing families in :data:`FAMILY_ORDER`, unknown ones after."""
    try:
        return (FAMILY_ORDER.index(family), family)
    except ValueError:
        return (len(FAMILY_ORDER), family)


def group_by_family(labels: Sequence[str], families: Sequence[str] | None = None) -> dict[str, list[int]]:
    """``{family: [label indices]}`` in display order."""
    families = list(families) if families is not None else families_of(labels)
    groups: dict[str, list[int]] = {}
    for i, family in enumerate(families):
        groups.setdefault(family, []).append(i)
    return {f: groups[f] for f in sorted(groups, key=family_sort_key)}

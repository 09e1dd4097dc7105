"""Products of a form factor and a structure factor, ``sphere@hayter_msa``.

sasmodels names a product ``P@S`` and accepts it only where the form factor
P has effective-radius modes (``ModelInfo.radius_effective_modes``: the
radius S(q) takes from the particle, 30 form factors in sasmodels 1.1) and S
is a structure factor (``ModelInfo.structure_factor``).  This module says
which form factors can take one, checks a product name in one clear
sentence, expands ``--structure-factor`` into product names, and draws the
structure factor's parameters from ranges real samples have (see
:data:`SF_RANGES` and docs/simulation.md):

* volume fraction 0.01-0.4 (squarewell: 0.01-0.08, the validity limit
  sasmodels gives it);
* ``radius_effective_mode``: one of the form factor's own modes (never 0,
  "unconstrained"), so the effective radius follows the particle;
* ``hayter_msa``: charge 5-50 e, 1:1 salt 0-0.2 M, temperature 280-340 K and
  the dielectric constant of water at that temperature (Malmberg & Maryott
  1956), the conditions of charged micelles and colloids in water;
* ``squarewell``: well depth 0.5-1.5 kT and width 1.05-1.3 diameters (a well
  0.05-0.3 of the diameter wide);
* ``stickyhardsphere``: perturbation tau 0.01-0.1 (the range its sasmodels
  documentation prescribes) and stickiness 0.1-1;
* ``two_yukawa``: a short-range attraction (k1 2-8, z1 8-12) with a
  long-range repulsion (k2 -3 to -0.5, z2 1.5-3), volume fraction 0.01-0.2:
  the cluster-forming (SALR) proteins and colloids it was written for.

The product's ``structure_factor_mode``, where it has one, is 0 (P·S, the
decoupling approximation, exact for monodisperse spheres) but on a share
``beta_share`` of the curves, where it is 1: sasmodels' beta approximation,
SasView's usual choice for polydisperse or anisotropic particles (the
realistic preset draws it on half, as sasmodels' own sampler does).

On a share ``broad_share`` of the products the structure factor's
parameters are instead those sasmodels' own sampler (``compare -random``)
draws: the structure factor's ``random()`` (hardsphere: volume fraction
log-uniform 0.01-1, capped at its limit 0.74; hayter_msa: charge 0.01-200 e,
salt 0.001-100 M, any dielectric constant) and ``radius_effective_mode``
chosen among all the product's choices, "unconstrained" included, where
the effective radius is the random one (1 Å to 5 µm) and not the
particle's.  Samples are seldom that far from the physical ranges above,
but a classifier that has only seen those names few of sasmodels' own
products right (the realistic preset draws this on 30 %).
"""
from __future__ import annotations

import functools
import math
from typing import Iterable, Sequence

import numpy as np

from .._suggest import did_you_mean
from ..errors import UsageError
from ._entries import ModelEntry, load_model_info
from ._legacy_seed import legacy_numpy_seed

__all__ = ["STRUCTURE_FACTORS", "SF_RANGES", "is_product", "split_product",
           "check_product", "structure_factor_names", "parse_structure_factors", "sample_structure_factor",
           "form_factor_info"]

#: the structure factors ``--structure-factor all`` applies (every one sasmodels 1.1 has)
STRUCTURE_FACTORS = ("hardsphere", "hayter_msa", "squarewell", "stickyhardsphere", "two_yukawa")

#: structure factor -> {parameter: (low, high, "uniform" | "log")}; volfraction for all
SF_RANGES: dict[str, dict[str, tuple]] = {
    "hardsphere": {"volfraction": (0.01, 0.4, "uniform")},
    "hayter_msa": {"volfraction": (0.01, 0.4, "uniform"), "charge": (5.0, 50.0, "uniform"),
                   "concentration_salt": (0.0, 0.2, "uniform"), "temperature": (280.0, 340.0, "uniform")},
    "squarewell": {"volfraction": (0.01, 0.08, "uniform"), "welldepth": (0.5, 1.5, "uniform"),
                   "wellwidth": (1.05, 1.3, "uniform")},
    "stickyhardsphere": {"volfraction": (0.01, 0.4, "uniform"), "perturb": (0.01, 0.1, "log"),
                         "stickiness": (0.1, 1.0, "uniform")},
    "two_yukawa": {"volfraction": (0.01, 0.2, "uniform"), "k1": (2.0, 8.0, "uniform"), "z1": (8.0, 12.0, "uniform"),
                   "k2": (-3.0, -0.5, "uniform"), "z2": (1.5, 3.0, "uniform")},
}


def water_dielectric_constant(temperature_k: float) -> float:
    """Relative permittivity of water at ``temperature_k`` (Malmberg & Maryott 1956, 0-100 °C)."""
    t = float(temperature_k) - 273.15
    return 87.740 - 0.40008 * t + 9.398e-4 * t * t - 1.410e-6 * t ** 3


def is_product(name: str) -> bool:
    return "@" in str(name)


def split_product(name: str) -> tuple[str, str]:
    """``("sphere", "hayter_msa")`` from ``"sphere@hayter_msa"``."""
    form, _, structure = str(name).partition("@")
    return form, structure


def _info(ref: str):
    return load_model_info(ref)


@functools.lru_cache(maxsize=1)
def structure_factor_names() -> tuple[str, ...]:
    """Every sasmodels structure factor (``ModelInfo.structure_factor``), sorted."""
    from sasmodels import core

    return tuple(sorted(n for n in core.list_models() if _info(n).structure_factor))


def can_take_structure_factor(info) -> bool:
    """True when sasmodels allows a structure factor on the form factor ``info``."""
    return bool(getattr(info, "radius_effective_modes", None)) and not info.structure_factor


def _unknown_structure_factor(word: str, option: str) -> UsageError:
    names = structure_factor_names()
    hint = did_you_mean(word, names, n=1, cutoff=0.5) or f"choose from {', '.join(names)}."
    return UsageError(f"Unknown structure factor {word!r} ({option}); {hint}")


def check_structure_factor(word: str, option: str = "--structure-factor") -> str:
    """``word`` if it names a structure factor, else one clear :class:`UsageError`."""
    names = structure_factor_names()
    if word in names:
        return word
    from sasmodels import core

    if word in core.list_models():
        raise UsageError(f"{word} is a form factor, not a structure factor ({option}); "
                         f"a structure factor is one of {', '.join(names)}.")
    raise _unknown_structure_factor(word, option)


def check_product(form_name: str, form_info, structure: str, option: str = "MODELS") -> None:
    """Raise one clear :class:`UsageError` when ``form_name@structure`` is not a valid product."""
    if not structure:
        raise UsageError(f"{form_name + '@'!r} ({option}) names no structure factor; write e.g. {form_name}@hardsphere.")
    if form_info.structure_factor:
        raise UsageError(f"{form_name} is a structure factor, so {form_name}@{structure} ({option}) multiplies two "
                         "structure factors; the part before '@' "
                         f"must be a form factor such as sphere ('sasnets models --structure-factor {structure}' lists them).")
    check_structure_factor(structure, option)
    if not can_take_structure_factor(form_info):
        raise UsageError(f"{form_name} has no effective radius, so sasmodels cannot multiply it by a structure factor "
                         f"({form_name}@{structure}, {option}); 'sasnets models --structure-factor {structure}' lists "
                         "the form factors that can take one.")


def parse_structure_factors(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"all"``, ``"none"``, ``"hardsphere,hayter_msa"`` or a list -> structure factor names."""
    if spec is None:
        return ()
    words = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for word in words:
        for part in str(word).split(","):
            part = part.strip()
            if not part or part == "none":
                continue
            names = STRUCTURE_FACTORS if part == "all" else (check_structure_factor(part),)
            out.extend(n for n in names if n not in out)
    return tuple(out)


def expand_with_structure_factors(entries: Iterable, structure_factors: Sequence[str]) -> tuple[list, list[str]]:
    """The product entries ``F@S`` for each capable form factor F of ``entries`` and S of ``structure_factors``.

    Returns (product entries, names of the entries that cannot take one).
    """
    products, incapable = [], []
    for e in entries:
        if is_product(e.name):
            continue
        try:
            info = _info(e.ref)
        except Exception:
            incapable.append(e.name)
            continue
        if info.structure_factor:
            continue  # a structure factor alone stays what it is
        if not can_take_structure_factor(info):
            incapable.append(e.name)
            continue
        for s in structure_factors:
            products.append(ModelEntry(f"{e.name}@{s}", e.category, None if e.path is None else f"{e.path}@{s}"))
    return products, incapable


def form_factor_info(info):
    """The form factor's ``ModelInfo`` of a product (``info`` itself otherwise)."""
    composition = getattr(info, "composition", None)
    if composition and composition[0] == "product":
        return composition[1][0]
    return info


def _structure_info(info):
    composition = getattr(info, "composition", None)
    if composition and composition[0] == "product":
        return composition[1][1]
    return None


def sample_structure_factor(info, pars: dict, rng: np.random.Generator, beta_share: float = 0.0,
                            broad_share: float = 0.0) -> None:
    """Draw the structure factor parameters of product ``info`` into ``pars`` (see the module docstring);
    ``beta_share``: the chance of the beta approximation where the product has it; ``broad_share``:
    the chance of sasmodels' own draw instead of the physical ranges.

    Draws a fixed number of values per structure factor (the same whatever
    their results), so the rest of a curve's draws do not depend on them.
    """
    s_info = _structure_info(info)
    if s_info is None:
        return
    p_info = form_factor_info(info)
    names = {p.id for p in info.parameters.kernel_parameters}

    def slot(par: str) -> str:  # sasmodels renames an S parameter the form factor also has
        return f"{par}_S" if f"{par}_S" in names else par

    for par, (low, high, kind) in SF_RANGES.get(s_info.id, {"volfraction": (0.01, 0.4, "uniform")}).items():
        u = float(rng.uniform())
        if kind == "log":
            value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        else:
            value = low + u * (high - low)
        pars[slot(par)] = float(value)
    if s_info.id == "hayter_msa":
        pars[slot("dielectconst")] = float(water_dielectric_constant(pars[slot("temperature")]))
    modes = list(p_info.radius_effective_modes or [])
    mode = 1 + int(rng.integers(len(modes))) if modes else 0
    pars["radius_effective_mode"] = mode
    beta = beta_share > 0 and rng.uniform() < beta_share
    if "structure_factor_mode" in names:  # products of form factors without a beta approximation lack it
        pars["structure_factor_mode"] = int(beta)
    if broad_share > 0:
        broad = rng.uniform() < broad_share
        with legacy_numpy_seed(rng):  # seeded from rng whether or not it is used: a fixed number of draws
            if broad:
                _draw_as_sasmodels(s_info, len(modes), pars, slot)


def _draw_as_sasmodels(s_info, n_modes: int, pars: dict, slot) -> None:
    """Overwrite the structure factor parameters with sasmodels' own draw (module docstring), from
    ``np.random``'s global generator, which sasmodels' ``random()`` reads."""
    if s_info.random is None:
        return
    drawn = s_info.random()
    mode = int(np.random.randint(n_modes + 1))
    own = {p.id: p for p in s_info.parameters.kernel_parameters}
    for par, value in drawn.items():
        if par in own:
            low, high = own[par].limits
            pars[slot(par)] = float(min(max(float(value), low), high))
    pars["radius_effective_mode"] = mode

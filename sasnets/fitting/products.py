"""Form factor times structure factor: which products a fit takes, and how
their S(q) parameters are fitted.

A product is named as sasmodels names it, ``sphere@hayter_msa``: a form
factor P(q) that has effective-radius modes, times a structure factor S(q)
(``hardsphere``, ``hayter_msa``, ``squarewell``, ``stickyhardsphere``).
:func:`check_product` turns a name sasmodels would reject with a traceback,
or accept although the product makes no sense (``lamellar@hardsphere``: a
lamella has no effective radius), into one UsageError sentence.

How a product is fitted
    The effective radius of S(q) is *tied to the form factor*:
    ``radius_effective_mode`` is held at sasmodels' first form-factor mode
    (``radius`` for a sphere, ``outer radius`` for a core-shell sphere,
    ``average curvature`` for an ellipsoid) unless ``fix`` holds another mode
    (``radius_effective_mode=0`` frees ``radius_effective`` and fits it).
    When the tied fit is poor and no mode is held, the product is fitted once
    more with ``radius_effective`` free (:func:`search_effective_radius`) and
    the fit with the lower BIC is kept: the radius of the interaction is not
    always the particle's (a charged micelle's Debye layer, a corona, an
    aggregate), and SasView users fit it on its own.
    The structure factor multiplies the form factor in sasmodels' default
    ``structure_factor_mode`` (0, the decoupling approximation).  When the fit
    is still poor and no ``structure_factor_mode`` is held, it is fitted once
    more in the beta approximation (mode 1, Kotlarchyk and Chen; SasView's
    choice for polydisperse or anisotropic particles) from the fit so far
    (:func:`search_beta_approximation`), and the lower BIC is kept.
    The volume fraction and the interaction parameters of S(q) (charge of
    hayter_msa, well depth and width of squarewell, perturbation and
    stickiness of stickyhardsphere) are fitted; the volume fraction within
    0 .. :data:`MAX_VOLFRACTION` (the closest random packing of spheres is
    0.64, and the closures behind these S(q) are not trusted near it).  The
    sample *conditions* in :data:`CONDITIONS` (temperature, dielectric
    constant, added salt) are known from the experiment and held at
    sasmodels' defaults (318.16 K, 71.08 for D2O at that temperature, no
    salt) unless ``fix`` gives their values, or ``fit_params`` names them.

Only sasmodels is imported here (inside the functions), never TensorFlow.
"""
from __future__ import annotations

from ..errors import UsageError
from .dispersity import main_size_parameter

__all__ = ["CONDITIONS", "MAX_VOLFRACTION", "check_product", "is_product", "structure_factors",
           "search_effective_radius", "search_beta_approximation"]

#: S(q) parameters that describe the sample's conditions: held unless fit_params names them
CONDITIONS = ("temperature", "dielectconst", "concentration_salt")
#: upper bound of a product's volume fraction
MAX_VOLFRACTION = 0.6
_MODE = "radius_effective_mode"
_SF_MODE = "structure_factor_mode"
#: sasmodels' structure_factor_mode of the beta approximation
BETA_APPROXIMATION = 1


def structure_factors() -> list:
    """The structure factors sasmodels ships (models whose info says ``structure_factor``)."""
    from ..simulate.products import structure_factor_names

    return list(structure_factor_names())


def check_product(name: str) -> None:
    """UsageError unless ``name`` is ``FORM@STRUCTURE`` with a form factor
    that has effective-radius modes and a known structure factor (the same
    rules, and sentences, as ``sasnets generate``)."""
    from sasmodels import core

    from .._suggest import did_you_mean
    from ..simulate.catalog import load_model_info
    from ..simulate.products import check_product as check_named_product

    form, _, structure = name.partition("@")
    if not form.strip() or not structure.strip() or "@" in structure:
        raise UsageError(f"{name!r} is not a product: write FORM_FACTOR@STRUCTURE_FACTOR, e.g. sphere@hayter_msa.")
    try:
        info = load_model_info(form)
    except Exception:
        hint = did_you_mean(form, core.list_models()) or "`sasnets models` lists them."
        raise UsageError(f"Unknown form factor {form!r} in {name} (--model); {hint}") from None
    check_named_product(form, info, structure, "--model")


def is_product(info) -> bool:
    """True for a sasmodels ``P@S`` product model."""
    return bool(info.composition) and info.composition[0] == "product"


def excluded(info, held: dict) -> set:
    """Parameters of a product the automatic choice does not fit: the
    conditions (held at defaults) and ``radius_effective`` while its mode ties
    it to the form factor."""
    if not is_product(info):
        return set()
    names = {p.name for p in info.parameters.kernel_parameters}
    out = {n for n in CONDITIONS if n in names}
    if tie_mode(info, held) > 0:
        out.add("radius_effective")
    return out


def tie_mode(info, held: dict) -> int:
    """The ``radius_effective_mode`` a fit of the product uses: held, else
    the first form-factor mode (1)."""
    if _MODE in held:
        return int(held[_MODE])
    return 1


def fixed_modes(info, held: dict) -> dict:
    """{mode parameter: value} a product fit passes to the kernel explicitly."""
    if not is_product(info):
        return {}
    out = {_MODE: float(tie_mode(info, held))}
    names = {p.name for p in info.parameters.call_parameters}
    if "structure_factor_mode" in names:  # products of form factors without a beta approximation lack it
        out["structure_factor_mode"] = float(held.get("structure_factor_mode", info.parameters.defaults.get(
            "structure_factor_mode", 0)))
    return out


def adjust_bounds(info, param) -> None:
    """A product's volume fraction spans 0 .. MAX_VOLFRACTION."""
    if is_product(info) and param.name == "volfraction":
        param.lo, param.hi = max(param.lo, 0.0), min(param.hi, MAX_VOLFRACTION)
        param.default = min(max(param.default, param.lo), param.hi)


def search_effective_radius(fit, first, info, held: dict, time_left=lambda: True):
    """``first`` (a product fitted with its effective radius tied to the form
    factor) or, when it is not acceptable and ``held`` sets no mode, a fit
    with ``radius_effective`` free (mode 0) starting from ``first``,
    whichever has the lower BIC.  ``fit(held, guess=...)`` runs one fit; none
    unless ``time_left()``."""
    if not is_product(info) or _MODE in held or not first.success or first.acceptable or not time_left():
        return first
    guess = first.values
    size = main_size_parameter(info)
    if size in guess:  # the particle's own size is where the interaction radius starts
        guess["radius_effective"] = guess[size]
    free = fit({**held, _MODE: 0}, guess=guess)
    return _lower_bic(first, free)


def search_beta_approximation(fit, first, info, held: dict, time_left=lambda: True):
    """``first`` (a product fitted in the decoupling approximation) or, when
    it is not acceptable, ``held`` sets no ``structure_factor_mode`` and the
    form factor has a beta approximation, a fit in it starting from
    ``first`` (with ``first``'s effective-radius mode), whichever has the
    lower BIC.  ``fit(held, guess=...)`` runs one fit; none unless ``time_left()``."""
    if not is_product(info) or _SF_MODE in held or not first.success or first.acceptable or not time_left() \
            or _SF_MODE not in {p.name for p in info.parameters.call_parameters}:
        return first
    beta = fit({**held, _MODE: first.fixed.get(_MODE, tie_mode(info, held)), _SF_MODE: BETA_APPROXIMATION},
               guess=first.values)
    return _lower_bic(first, beta)


def _lower_bic(first, other):
    """``other`` (a refit of ``first`` with one more choice searched), carrying what
    ``first``'s searches tried and held, if it has the lower BIC; else ``first``."""
    other.counts_tried = dict(first.counts_tried)
    other.held, other.dispersity_tried = dict(first.held), first.dispersity_tried
    return other if other.success and other.bic < first.bic else first

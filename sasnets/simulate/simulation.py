"""One simulated curve from (scattering model, seed, options).

:func:`simulate_curve` is the single place a curve is made; generation, tests
and other parts of sasnets (fitting, evaluation) call it.  Everything random
about a curve - its q window and number of points, resolution, noise level,
scale, background, model parameters and noise realisation - is drawn, in a
fixed order, from ``numpy.random.default_rng(seed)``.  So a stored curve's
seed plus the options recorded with its dataset reproduce it exactly.

The seed of curve ``index`` of (``tag``, ``model``) in a run with ``--seed S``
is :func:`curve_seed` ``(S, tag, model, index, attempt)``: a
``numpy.random.SeedSequence`` with that spawn key.  ``attempt`` counts redraws
of curves that came out invalid (NaN, inf or I <= 0 after conversion to
float32); the stored seed is that of the attempt kept.

Physics of the instrument: q points are log-spaced from qmin to qmax (or taken
from a template file); ``dq = resolution% * q`` is the 1-sigma Gaussian
pinhole resolution sasmodels smears with; ``I = scale * model + background``
is computed by sasmodels, then ``dI = noise% * I`` and the stored intensity is
``I + dI * N(0, 1)``.  q and dq are rounded to float32 before the computation:
the stores keep float32, so a stored curve's own q and dq recompute its
theory exactly.  With ``options.resolvable`` (the ``instrument``
preset) a particle larger than the q window resolves is shrunk to fit it
(:func:`sasnets.simulate.sampling.fit_to_window`); this consumes no random
numbers, so every other draw of the curve stays the same.

Slit smearing (``options.slit`` > 0, USANS/USAXS): after the background, each
curve draws whether it is slit-smeared, a slit length and width and a slit q
window (five draws, whatever the outcome; none when ``options.slit`` is 0, so
the ``2017`` and ``instrument`` presets draw exactly as before).  A
slit-smeared curve has log-spaced q in its slit window (same number of
points), ``dq`` zeros, and is smeared by sasmodels' ``Slit1D`` (a Data1D with
``dxl``/``dxw`` and no ``dx``); its slit length and width are recorded in
``curve.params`` (``slit_length``, ``slit_width``, 1/Å).
"""
from __future__ import annotations

import warnings
import zlib

import numpy as np

from ..data.curves import Curve
from .options import GenerationOptions

__all__ = ["curve_seed", "simulate_curve", "simulate_valid_curve", "curve_is_valid", "draw_q", "draw_slit",
           "resolution_data", "SimulationFailure"]

_CALCULATORS: dict = {}


class SimulationFailure(Exception):
    """A scattering model produced no valid curve within the allowed redraws."""


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def curve_seed(seed: int, tag: str, model: str, index: int, attempt: int = 0) -> int:
    """The seed (a non-negative int64) of one curve; see the module docstring."""
    seq = np.random.SeedSequence(entropy=int(seed), spawn_key=(_key(tag), _key(model), int(index), int(attempt)))
    return int(seq.generate_state(1, np.uint64)[0] >> np.uint64(1))


def draw_q(options: GenerationOptions, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The q points and their 1-sigma resolution dq (1/Å) of one curve."""
    qmin = options.qmin.draw_log(rng)
    qmax = options.qmax.draw_log(rng)
    nq = options.nq.draw_int(rng)
    resolution = options.resolution.draw_uniform(rng) / 100.0
    if options.template_q is not None:
        q = np.asarray(options.template_q, float)
        dq = np.asarray(options.template_dq, float) if options.template_dq is not None else np.zeros_like(q)
        dq = np.where(dq > 0, dq, resolution * q)
    else:
        q = np.logspace(np.log10(qmin), np.log10(qmax), nq)
        dq = resolution * q
    return q, dq


def resolution_data(q: np.ndarray, dq: np.ndarray | None = None, slit_length: float = 0.0,
                    slit_width: float = 0.0):
    """A sasmodels ``Data1D`` at ``q`` carrying pinhole (``dq``) or slit (length/width, 1/Å) resolution.

    ``DirectModel`` smears with ``Pinhole1D`` for the first and ``Slit1D``
    for the second; tests recompute stored curves with it.
    """
    from sasmodels.data import empty_data1D

    q = np.asarray(q, float)
    data = empty_data1D(q)
    if slit_length > 0:
        data.dx = None
        data.dxl = np.full(len(q), float(slit_length))
        data.dxw = np.full(len(q), float(slit_width))
    else:
        data.dx = np.zeros(len(q)) if dq is None else np.asarray(dq, float)
    return data


def _calculator(model_ref: str, q: np.ndarray, dq: np.ndarray, options: GenerationOptions, engine: str,
                slit: tuple[float, float] = (0.0, 0.0)):
    """A sasmodels ``DirectModel`` for these q points and resolution, reused while they do not change."""
    from sasmodels.direct_model import DirectModel

    from .engine import get_kernel

    key = (model_ref, options.precision, engine, options.cutoff)
    cached = _CALCULATORS.get(key)
    if (cached is not None and np.array_equal(cached[0], q) and np.array_equal(cached[1], dq)
            and cached[3] == tuple(slit)):
        return cached[2]
    kernel = get_kernel(model_ref, options.precision, engine)
    data = resolution_data(q, dq, *slit)
    calculator = DirectModel(data, kernel, cutoff=options.cutoff)
    _CALCULATORS[key] = (q.copy(), np.asarray(dq, float).copy(), calculator, tuple(slit))
    return calculator


def draw_slit(options: GenerationOptions, rng: np.random.Generator, nq: int) -> tuple[np.ndarray, float, float] | None:
    """``(q, slit_length, slit_width)`` of a slit-smeared curve, or ``None`` for a pinhole one.

    Draws nothing when ``options.slit`` is 0, five values otherwise.
    """
    if options.slit <= 0:
        return None
    smeared = rng.uniform() < options.slit
    length = options.slit_length.draw_log(rng)
    width = options.slit_width.draw_log(rng)
    qmin = (options.slit_qmin or options.qmin).draw_log(rng)
    qmax = (options.slit_qmax or options.qmax).draw_log(rng)
    if not smeared or options.template_q is not None:
        return None
    return np.logspace(np.log10(qmin), np.log10(qmax), int(nq)), float(length), float(width)


def _model_ref(model) -> tuple[str, str]:
    """(name, reference for load_model_info) of a model name, entry or file path."""
    ref = getattr(model, "ref", None) or str(model)
    name = getattr(model, "name", None)
    if name is None:
        import os

        name = os.path.splitext(os.path.basename(ref))[0] if ref.endswith(".py") else ref
    return name, ref


def simulate_curve(model, seed: int, options: GenerationOptions | None = None) -> Curve:
    """Simulate one curve of ``model`` (name, file path or catalog entry) from ``seed``.

    The curve may be invalid (NaN, inf, I <= 0); :func:`curve_is_valid`
    tells, :func:`simulate_valid_curve` redraws.  ``Curve.params`` holds every
    sampled model parameter, with the final ``scale`` and ``background``.
    """
    from .catalog import load_model_info
    from .engine import resolve_engine
    from .sampling import fit_to_window, sample_parameters

    options = options or GenerationOptions()
    name, ref = _model_ref(model)
    engine = resolve_engine(options.engine)
    rng = np.random.default_rng(int(seed))
    q, dq = draw_q(options, rng)
    noise = options.noise.draw_uniform(rng) / 100.0
    scale = options.scale.draw_log(rng)
    background = options.background.draw_log(rng)
    slit = draw_slit(options, rng, len(q))
    slit_pars = (0.0, 0.0)
    if slit is not None:
        q, slit_pars = slit[0], (slit[1], slit[2])
        dq = np.zeros_like(q)
    # computed at the float32 q and dq the stores keep, so a stored curve is recomputed exactly
    q = np.asarray(q, np.float32).astype(float)
    dq = np.asarray(dq, np.float32).astype(float)
    info = load_model_info(ref)
    pars = sample_parameters(info, rng, options=options)
    if options.resolvable:
        fit_to_window(info, pars, float(np.min(q)))
    pars["scale"] = float(pars.get("scale", 1.0)) * scale
    pars["background"] = background
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theory = np.asarray(_calculator(ref, q, dq, options, engine, slit_pars)(**pars), float)
        diq = noise * np.abs(theory)
        iq = theory + diq * rng.standard_normal(len(q))
    if slit is not None:
        pars["slit_length"], pars["slit_width"] = slit_pars
    return Curve(q=q, iq=iq, diq=diq, dq=dq, model=name, params=pars, seed=int(seed))


def curve_is_valid(curve: Curve) -> bool:
    """True when the curve's intensities and errors are finite and I > 0 in float32."""
    with np.errstate(all="ignore"):
        iq = np.asarray(curve.iq, np.float32)
        diq = np.asarray(curve.diq, np.float32)
    return bool(len(iq) and np.all(np.isfinite(iq)) and np.all(iq > 0) and np.all(np.isfinite(diq)))


def simulate_valid_curve(model, seed: int, tag: str, index: int, options: GenerationOptions,
                         max_attempts: int = 50) -> tuple[Curve, int]:
    """Curve ``index`` of (``tag``, ``model``) for run seed ``seed``, redrawn until valid.

    Returns the curve (its ``seed`` and ``index`` set) and the number of
    redraws it needed.  Raises :class:`SimulationFailure` after
    ``max_attempts`` invalid draws.
    """
    from ..errors import SasnetsError
    from .engine import get_kernel, resolve_engine

    name, ref = _model_ref(model)
    try:  # build once up front: a model that does not compile is not redrawn
        get_kernel(ref, options.precision, resolve_engine(options.engine))
    except SasnetsError:
        raise
    except Exception as exc:
        raise SimulationFailure(f"{name}: sasmodels cannot build the model ({type(exc).__name__}: {exc})") from None
    last_error = "invalid intensities (NaN, inf or I <= 0)"
    for attempt in range(max_attempts):
        s = curve_seed(seed, tag, name, index, attempt)
        try:
            curve = simulate_curve(model, s, options)
        except SasnetsError:
            raise
        except Exception as exc:  # sasmodels raises for some parameter combinations
            last_error = f"{type(exc).__name__}: {exc}"
            continue
        if curve_is_valid(curve):
            curve.index = int(index)
            return curve, attempt
    raise SimulationFailure(f"{name}: no valid curve in {max_attempts} draws for index {index} (last problem: {last_error})")

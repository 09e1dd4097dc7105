"""Generation options: the instrument a simulated curve pretends to come from.

Every option that varies between real measurements (q window, number of
points, dQ/Q resolution, dI/I noise, scale, flat background) is a
:class:`Range`.  A range with ``low == high`` is a fixed value; otherwise each
curve draws its own value from its seed, so one dataset can mimic many
instruments.  ``--nq 60:250`` on the command line becomes ``Range(60, 250)``.

How each range is drawn (documented in docs/simulation.md):

* ``qmin``, ``qmax``, ``scale``, ``background``: log-uniform (uniform when the
  low end is 0, which only ``background`` allows);
* ``nq``: uniform integer, both ends included;
* ``noise`` (dI/I, %) and ``resolution`` (dQ/Q, %): uniform.

Two presets fill in the defaults: ``"2017"`` (the fixed 100-point grid and the
scale 1, background 1e-5 of the 2017 SASNets data) and ``"instrument"``
(instrument-like diversity for classifiers meant for real data: each curve gets
its own q window within 1e-3..0.6 1/Å, 60-250 points, 1-5 % noise, 2-10 %
resolution, random scale and background; particles no larger than each
curve's q window resolves, see ``resolvable``).  ``"realistic"``, the default
of ``sasnets generate``, is ``instrument`` plus what real samples and
instruments add: size dispersity on every curve that has a size parameter
(gaussian, lognormal or schulz, relative width 0-0.3, at most two dispersed
parameters), and 15 % of the curves slit-smeared as USANS/USAXS data are
(slit length 0.01-0.12 1/Å on a q window of 3e-5..3e-4 to 0.003..0.05 1/Å).
Products with a structure factor (``sphere@hayter_msa``) draw physical S(q)
parameters in every preset (:mod:`sasnets.simulate.products`).

Dispersity (``polydisperse``): per curve, 1 to ``pd_max`` size parameters
(``p.polydisperse`` in the model's table) get a distribution drawn from
``pd_types`` and a relative width drawn uniformly from ``pd_width``; the
product of their ``_pd_n`` points is at most ``pd_points`` (so a curve costs
at most about ``pd_points`` monodisperse ones), each over ``pd_nsigma``
widths.  ``_pd``, ``_pd_n``, ``_pd_nsigma`` and ``_pd_type`` are always all
set (sasmodels uses 1 point when only ``_pd`` is given, sasmodels issue 746).

Slit smearing: a share ``slit`` of the curves (drawn per curve) is
slit-smeared with a constant slit length ``slit_length`` and width
``slit_width`` (1/Å, sasmodels' ``Slit1D``) on their own q window
``slit_qmin``..``slit_qmax`` (the pinhole window where those are unset).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._suggest import did_you_mean
from ..errors import UsageError
from ..options import Options

__all__ = ["Range", "GenerationOptions", "PRESETS", "PRECISIONS", "ENGINES", "DEFAULT_PRESET", "PD_TYPES"]

#: the preset ``sasnets generate`` uses unless told otherwise
DEFAULT_PRESET = "realistic"
#: dispersity distributions sasmodels offers (``sasmodels.weights``)
PD_TYPES = ("gaussian", "lognormal", "schulz", "rectangle", "uniform", "boltzmann", "triangle")

#: accepted ``precision`` values (see :mod:`sasnets.simulate.engine`)
PRECISIONS = ("auto", "single", "double", "fast", "long")
#: accepted ``engine`` values
ENGINES = ("auto", "opencl", "cuda", "dll")


@dataclass(frozen=True)
class Range:
    """A closed interval ``[low, high]`` an option is drawn from per curve."""

    low: float
    high: float

    @classmethod
    def parse(cls, value: Any, option: str, integer: bool = False) -> "Range":
        """A range from ``3``, ``"3"``, ``"1:5"``, ``(1, 5)`` or a :class:`Range`.

        ``option`` names the option in the error message.
        """
        if isinstance(value, Range):
            low, high = value.low, value.high
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            low, high = value
        elif isinstance(value, (int, float, np.integer, np.floating)):
            low = high = value
        elif isinstance(value, str):
            parts = value.split(":")
            if len(parts) not in (1, 2):
                raise UsageError(f"{option} {value!r} is not a number or a LOW:HIGH range.")
            try:
                numbers = [float(p) for p in parts]
            except ValueError:
                raise UsageError(f"{option} {value!r} is not a number or a LOW:HIGH range such as 1:5.") from None
            low, high = numbers[0], numbers[-1]
        else:
            raise UsageError(f"{option} {value!r} is not a number or a LOW:HIGH range.")
        try:
            low, high = float(low), float(high)
        except (TypeError, ValueError):
            raise UsageError(f"{option} {value!r} is not a number or a LOW:HIGH range.") from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise UsageError(f"{option} must be finite, got {value!r}.")
        if low > high:
            raise UsageError(f"{option} range {value!r} has its low end above its high end; write LOW:HIGH.")
        if integer:
            if low != int(low) or high != int(high):
                raise UsageError(f"{option} must be a whole number or a range of whole numbers, got {value!r}.")
            low, high = int(low), int(high)
        return cls(low, high)

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    # Each draw consumes the generator the same way whether or not the range
    # is fixed, so fixing one option does not change the other draws.
    def draw_uniform(self, rng: np.random.Generator) -> float:
        u = rng.uniform()
        return float(self.low) if self.fixed else float(self.low + u * (self.high - self.low))

    def draw_log(self, rng: np.random.Generator) -> float:
        """Log-uniform draw (uniform when the low end is 0)."""
        u = rng.uniform()
        if self.fixed:
            return float(self.low)
        if self.low <= 0:
            return float(self.low + u * (self.high - self.low))
        return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))

    def draw_int(self, rng: np.random.Generator) -> int:
        u = rng.uniform()
        return int(self.low) + min(int(u * (int(self.high) - int(self.low) + 1)), int(self.high) - int(self.low))

    def __str__(self) -> str:
        return f"{self.low:g}" if self.fixed else f"{self.low:g}:{self.high:g}"

    def to_json(self):
        return self.low if self.fixed else [self.low, self.high]


#: preset name -> default values of the ranged options
PRESETS: dict[str, dict[str, Any]] = {
    "2017": dict(qmin="0.001", qmax="0.5", nq="100", noise="2", resolution="5",
                 scale="1", background="1e-5"),
    "instrument": dict(qmin="0.001:0.02", qmax="0.1:0.6", nq="60:250", noise="1:5", resolution="2:10",
                       scale="0.001:0.3", background="0.001:1", resolvable=True),
    "realistic": dict(qmin="0.001:0.02", qmax="0.1:0.6", nq="60:250", noise="1:5", resolution="2:10",
                      scale="0.001:0.3", background="0.001:1", resolvable=True,
                      polydisperse=True, pd_types=("gaussian", "lognormal", "schulz"), pd_width="0:0.3",
                      pd_max=2, pd_points=40, mono_share=0.2, beta_share=0.5, sf_broad_share=0.3,
                      slit=0.15, slit_length="0.01:0.12", slit_width="0", slit_qmin="3e-5:3e-4",
                      slit_qmax="0.003:0.05"),
}

_RANGED = {  # option -> (integer?, option name in messages)
    "qmin": (False, "--qmin"), "qmax": (False, "--qmax"), "nq": (True, "--nq"),
    "noise": (False, "--noise"), "resolution": (False, "--resolution"),
    "scale": (False, "--scale"), "background": (False, "--background"),
    "pd_width": (False, "--pd-width"), "slit_length": (False, "--slit-length"), "slit_width": (False, "--slit-width"),
}
_OPTIONAL_RANGED = {"slit_qmin": "--slit-qmin", "slit_qmax": "--slit-qmax"}


@dataclass(frozen=True)
class GenerationOptions(Options):
    """How curves are simulated; everything except the scattering model and seed.

    Ranged options accept what :meth:`Range.parse` accepts.  ``template_q`` /
    ``template_dq`` (1/Å), when given, replace the q grid (``qmin``, ``qmax``,
    ``nq`` are then unused) and, where ``template_dq`` is positive, the
    ``resolution`` option; :meth:`from_template` fills them from a measured file.

    ``polydisperse`` adds size dispersity as ``pd_types``, ``pd_width``,
    ``pd_max``, ``pd_points`` and ``pd_nsigma`` say (module docstring;
    ``cutoff`` is sasmodels' dispersion weight cutoff), to all curves but a
    share ``mono_share``; ``beta_share`` of the products are simulated in the
    beta approximation instead of the decoupling one, and ``sf_broad_share`` with
    the structure factor parameters sasmodels' own sampler draws
    (:mod:`sasnets.simulate.products`); ``slit`` is the share
    of slit-smeared curves, with ``slit_length``, ``slit_width``,
    ``slit_qmin`` and ``slit_qmax``; ``magnetic`` and ``dimension="2D"`` are refused: magnetic
    scattering does not change a 1D I(q) in sasmodels, and 2D curves are not
    supported yet.  ``precision`` and ``engine`` choose the sasmodels kernel
    (see :mod:`sasnets.simulate.engine`).  ``resolvable`` shrinks particles
    whose largest dimension exceeds ``pi / qmin`` of their curve
    (:func:`sasnets.simulate.sampling.fit_to_window`).
    """

    qmin: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["qmin"], "--qmin"))
    qmax: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["qmax"], "--qmax"))
    nq: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["nq"], "--nq", True))
    noise: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["noise"], "--noise"))
    resolution: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["resolution"], "--resolution"))
    scale: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["scale"], "--scale"))
    background: Range = field(default_factory=lambda: Range.parse(PRESETS["2017"]["background"], "--background"))
    polydisperse: bool = False
    pd_types: tuple = ("gaussian", "lognormal", "schulz")
    pd_width: Range = field(default_factory=lambda: Range(0.0, 0.3))
    pd_max: int = 2
    pd_points: int = 40
    pd_nsigma: float = 3.0
    #: share of curves left monodisperse under ``polydisperse`` (proteins, viruses, simulated test data)
    mono_share: float = 0.0
    #: share of products simulated in sasmodels' beta approximation (``structure_factor_mode`` 1)
    beta_share: float = 0.0
    #: share of products with sasmodels' own structure factor draw (any volume fraction, untied radius)
    sf_broad_share: float = 0.0
    slit: float = 0.0
    slit_length: Range = field(default_factory=lambda: Range(0.01, 0.12))
    slit_width: Range = field(default_factory=lambda: Range(0.0, 0.0))
    slit_qmin: Range | None = None
    slit_qmax: Range | None = None
    cutoff: float = 1e-5
    #: "sasnets" (each model's random() within our ranges, module docstring) or "sasmodels"
    #: (sasmodels.compare.randomize_pars; :func:`sasnets.simulate.sampling.sasmodels_parameters`)
    sampler: str = "sasnets"
    resolvable: bool = False
    magnetic: bool = False
    precision: str = "auto"
    engine: str = "auto"
    dimension: str = "1D"
    template: str | None = None
    template_q: tuple | None = None
    template_dq: tuple | None = None

    def __post_init__(self):
        for name, (integer, option) in _RANGED.items():
            object.__setattr__(self, name, Range.parse(getattr(self, name), option, integer))
        for name, option in _OPTIONAL_RANGED.items():
            if getattr(self, name) is not None:
                object.__setattr__(self, name, Range.parse(getattr(self, name), option))
        types = self.pd_types
        if isinstance(types, str):
            types = [t.strip() for t in types.split(",") if t.strip()]
        object.__setattr__(self, "pd_types", tuple(str(t) for t in types))
        for name in ("template_q", "template_dq"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(float(v) for v in np.asarray(value, float).ravel()))
        self.validate()

    # -- construction -----------------------------------------------------
    @classmethod
    def preset(cls, name: str = "2017", **overrides) -> "GenerationOptions":
        """Options of preset ``name`` with ``overrides`` applied (``None`` values ignored)."""
        if name not in PRESETS:
            raise UsageError(f"Unknown preset {name!r} (--preset); choose one of {', '.join(PRESETS)}.")
        values = dict(PRESETS[name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def from_template(cls, path: str, **kwargs) -> "GenerationOptions":
        """Options whose q (and dq, where the file has it) come from measured file ``path``."""
        try:
            from ..stores.measured import load_curve
        except ImportError:  # pragma: no cover - the module ships with sasnets
            raise UsageError("Reading --template files needs sasnets.stores.measured, which is missing.") from None
        curve = load_curve(path)
        dq = curve.dq if curve.dq is not None else np.zeros(len(curve.q))
        return cls(template=str(path), template_q=tuple(np.asarray(curve.q, float)),
                   template_dq=tuple(np.asarray(dq, float)), **kwargs)

    # -- checks -----------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`UsageError` for options that cannot produce curves."""
        if self.dimension.upper() not in ("1D", "2D"):
            raise UsageError(f"--dimension must be 1D or 2D, not {self.dimension!r}.")
        if self.dimension.upper() == "2D":
            raise UsageError("--dimension 2D is not supported yet: sasnets stores and classifies 1D curves I(q); use --dimension 1D.")
        if self.sampler not in ("sasnets", "sasmodels"):
            raise UsageError(f"--sampler must be sasnets or sasmodels, not {self.sampler!r}.")
        if self.magnetic:
            raise UsageError("--magnetic is not supported yet: sasmodels ignores magnetism for 1D curves, "
                             "and 2D curves (--dimension 2D) are not supported yet; drop --magnetic.")
        if self.precision not in PRECISIONS:
            raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}.")
        if self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {self.engine!r}.")
        if not (math.isfinite(self.cutoff) and 0 <= self.cutoff < 1):
            raise UsageError(f"--cutoff must be in [0, 1), got {self.cutoff!r}.")
        if self.template_q is None:
            if self.qmin.low <= 0:
                raise UsageError(f"--qmin must be positive (1/Å), got {self.qmin}.")
            if self.qmin.high >= self.qmax.low:
                raise UsageError(f"--qmin ({self.qmin}) must be below --qmax ({self.qmax}) for every curve; "
                                 "make qmin smaller than qmax.")
            if self.nq.low < 2:
                raise UsageError(f"--nq must be at least 2 points, got {self.nq}.")
        else:
            q = np.asarray(self.template_q)
            if len(q) < 2 or not np.all(np.isfinite(q)) or np.any(q <= 0):
                raise UsageError(f"--template {self.template!r} needs at least 2 positive, finite q values.")
            if self.template_dq is not None and len(self.template_dq) != len(q):
                raise UsageError(f"--template {self.template!r}: q and dq have different lengths.")
        for name in ("noise", "resolution"):
            r = getattr(self, name)
            if r.low < 0 or r.high >= 100:
                raise UsageError(f"--{name} is a percentage in [0, 100), got {r}.")
        if self.scale.low <= 0:
            raise UsageError(f"--scale must be positive, got {self.scale}.")
        if self.background.low < 0:
            raise UsageError(f"--background must be zero or positive, got {self.background}.")
        self._validate_dispersity()
        self._validate_slit()

    def _validate_dispersity(self) -> None:
        if not self.pd_types:
            raise UsageError(f"--pd-type needs at least one distribution: {', '.join(PD_TYPES[:3])}.")
        for t in self.pd_types:
            if t not in PD_TYPES:
                hint = did_you_mean(t, PD_TYPES, n=1) or f"choose from {', '.join(PD_TYPES)}."
                raise UsageError(f"Unknown dispersity distribution {t!r} (--pd-type); {hint}")
        if self.pd_width.low < 0 or self.pd_width.high >= 1:
            raise UsageError(f"--pd-width is a relative width (0.1 = 10 %) in [0, 1), got {self.pd_width}; "
                             "a dispersity width of 1 or more is not a physical size distribution.")
        if isinstance(self.pd_max, bool) or int(self.pd_max) != self.pd_max or self.pd_max < 1:
            raise UsageError(f"--pd-max must be a whole number of dispersed parameters, at least 1, got {self.pd_max!r}.")
        if isinstance(self.pd_points, bool) or int(self.pd_points) != self.pd_points or self.pd_points < 3:
            raise UsageError(f"--pd-points must be a whole number of at least 3, got {self.pd_points!r}.")
        if not (math.isfinite(self.pd_nsigma) and self.pd_nsigma > 0):
            raise UsageError(f"--pd-nsigma must be a positive number of widths, got {self.pd_nsigma!r}.")
        for name in ("mono_share", "beta_share", "sf_broad_share"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= 1):
                raise UsageError(f"--{name.replace('_', '-')} is a share of the curves, in [0, 1], got {value!r}.")

    def _validate_slit(self) -> None:
        if not (math.isfinite(self.slit) and 0 <= self.slit <= 1):
            raise UsageError(f"--slit is the share of slit-smeared curves, in [0, 1], got {self.slit!r}.")
        if self.slit_length.low < 0:
            raise UsageError(f"--slit-length must be positive (1/Å), got {self.slit_length}.")
        if self.slit_width.low < 0:
            raise UsageError(f"--slit-width must be zero or positive (1/Å), got {self.slit_width}.")
        if self.slit > 0 and self.slit_length.low <= 0:
            raise UsageError(f"--slit-length must be positive (1/Å) for slit-smeared curves, got {self.slit_length}.")
        if self.slit > 0 and self.template_q is not None:
            raise UsageError("--slit cannot be combined with --template: the template's own resolution is used; "
                             "use --slit 0.")
        qmin = self.slit_qmin or self.qmin
        qmax = self.slit_qmax or self.qmax
        if self.slit > 0 and self.template_q is None:
            if qmin.low <= 0:
                raise UsageError(f"--slit-qmin must be positive (1/Å), got {qmin}.")
            if qmin.high >= qmax.low:
                raise UsageError(f"--slit-qmin ({qmin}) must be below --slit-qmax ({qmax}) for every curve.")

    # -- recording --------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-ready values, as recorded in the store's provenance."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Range):
                value = value.to_json()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, values: dict) -> "GenerationOptions":
        """Inverse of :meth:`to_dict` (reads a provenance record back)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def ragged(self) -> bool:
        """True when curves can differ in their q points."""
        if self.template_q is not None:
            return False
        if self.slit > 0:
            return True
        return not (self.qmin.fixed and self.qmax.fixed and self.nq.fixed)

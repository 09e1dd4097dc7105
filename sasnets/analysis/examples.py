"""SasView's measured example files, labelled: how a classifier does on real data.

``sasdata`` installs the example files SasView's tutorials use
(``sasdata/example_data/1d_data``).  :data:`LABELLED` names, for those whose
scattering model is known, the form factors a scientist would accept and the
structure factor, with where the label comes from: SasView's tutorials (the
SDS micelles of the structure-factor tutorial, the AOT microemulsion contrasts
of the simultaneous-fit tutorial, Ludox silica and the latex spheres of the
fitting tutorials) or the file's own name in SasView's test data (``cyl_400_20``
is a cylinder, ``sphere_80`` a sphere).  :func:`classify_examples` classifies
every labelled entry and says whether an accepted form factor is among the top
3 and whether the structure factor is named right.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = ["Example", "LABELLED", "examples_dir", "classify_examples"]


@dataclass(frozen=True)
class Example:
    """A labelled example file: ``entry`` is the index of the curve in a multi-entry file."""

    file: str
    form_factors: tuple      # accepted form factors, the tutorial's first
    structure_factors: tuple  # accepted structure factors ("none": dilute)
    source: str
    entry: int = 0


_SDS = ("sphere", "ellipsoid", "core_shell_sphere", "core_shell_ellipsoid")
_SDS_SOURCE = "SasView tutorial: SDS micelles, sphere or ellipsoid @ hayter_msa"
_AOT_SOURCE = "SasView simultaneous-fit tutorial: polydisperse core_shell_sphere"
LABELLED = (
    Example("hSDS_D2O_0p5_percent.xml", _SDS, ("hayter_msa",), _SDS_SOURCE),
    Example("hSDS_D2O_2p0_percent.xml", _SDS, ("hayter_msa",), _SDS_SOURCE),
    Example("hSDS_D2O_2p0_percent_0p2M_NaCl.xml", _SDS, ("hayter_msa",), _SDS_SOURCE),
    Example("Ludox_silica.xml", ("sphere", "fuzzy_sphere", "core_shell_sphere"), ("none", "hardsphere", "hayter_msa"),
            "SasView fitting tutorial: polydisperse (Schulz) sphere, silica sol"),
    Example("AOT_Microemulsion-Core_Contrast.xml", ("core_shell_sphere", "sphere"), ("none",), _AOT_SOURCE),
    Example("AOT_Microemulsion-Drop_Contrast.xml", ("core_shell_sphere", "sphere"), ("none",), _AOT_SOURCE),
    Example("AOT_Microemulsion-Shell_Contrast.xml", ("core_shell_sphere", "vesicle"), ("none",), _AOT_SOURCE),
    Example("latex_smeared.xml", ("sphere",), ("none",), "SasView docs: latex spheres, pinhole SANS entry"),
    Example("latex_smeared.xml", ("sphere",), ("none",), "SasView docs: latex spheres, slit-smeared USANS entry", 1),
    Example("100nmPinholeSphere.txt", ("sphere",), ("none",), "SasView test data: 100 nm spheres, pinhole"),
    Example("100nmSpheresNodQ.txt", ("sphere",), ("none",), "SasView test data: 100 nm spheres"),
    Example("PolySpheres.txt", ("sphere",), ("none",), "SasView test data: polydisperse spheres"),
    Example("sphere_80.txt", ("sphere",), ("none",), "SasView test data: sphere"),
    Example("sphere_60_q0_2.txt", ("sphere",), ("none",), "SasView test data: sphere"),
    Example("cyl_400_20.txt", ("cylinder",), ("none",), "SasView test data: cylinder, length 400 Å, radius 20 Å"),
    Example("cyl_400_40.txt", ("cylinder",), ("none",), "SasView test data: cylinder, length 400 Å, radius 40 Å"),
)


def examples_dir() -> str | None:
    """The ``1d_data`` folder of sasdata's example files, or ``None`` when sasdata is not installed."""
    try:
        import sasdata
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(sasdata.__file__), "example_data", "1d_data")
    return path if os.path.isdir(path) else None


def classify_examples(clf, examples=LABELLED, top: int = 3) -> list[dict]:
    """One record per example: ``{"file", "entry", "source", "accepted", "structure_factors",
    "top" [(label, probability)], "structure_factor" (most probable, with its probability),
    "form_factor_in_top3", "structure_factor_right"}``, or ``{"file", "error"}``."""
    import warnings

    from ..classifier.factors import factor_probabilities, split_label
    from ..stores.measured import load_curves

    folder = examples_dir()
    out = []
    for ex in examples:
        record = {"file": ex.file, "entry": ex.entry, "source": ex.source, "accepted": list(ex.form_factors),
                  "structure_factors": list(ex.structure_factors)}
        try:
            if folder is None:
                raise FileNotFoundError("sasdata is not installed")
            with warnings.catch_warnings():  # dropped points and merged rows: reading notes, not results
                warnings.simplefilter("ignore")
                curve = load_curves(os.path.join(folder, ex.file))[ex.entry]
            proba = clf.predict_proba([curve])
        except Exception as exc:  # a file this sasdata lacks: say so in the table
            record["error"] = f"{type(exc).__name__}: {exc}"
            out.append(record)
            continue
        order = np.argsort(-proba[0], kind="stable")[:top]
        record["top"] = [(clf.labels[j], float(proba[0, j])) for j in order]
        forms, p_form, structures, p_structure = factor_probabilities(proba, clf.labels)
        form_order = np.argsort(-p_form[0], kind="stable")[:top]
        record["form_factors_top"] = [(forms[j], float(p_form[0, j])) for j in form_order]
        s = int(np.argmax(p_structure[0]))
        record["structure_factor"] = (structures[s], float(p_structure[0, s]))
        record["form_factor_in_top3"] = any(split_label(label)[0] in ex.form_factors for label, _ in record["top"])
        record["structure_factor_right"] = structures[s] in ex.structure_factors
        out.append(record)
    return out


def fit_examples(clf, examples=LABELLED, top: int = 3, budget_s: float | None = None,
                 workers: int | None = None, extend: int | None = None) -> list[dict]:
    """``sasnets fit``'s default (its budget and ``--extend`` unless ``budget_s`` or ``extend`` is
    given) on each labelled example: ``{"file", "entry", "first", "reduced_chi2",
    "accepted_first", "best_accepted" (the best-fitting accepted candidate, its reduced chi2 and
    free parameters, if one was fitted), "as_good_first" (the first answer is accepted, or fits as
    well as the best accepted candidate with no more free parameters,
    :func:`~sasnets.analysis.fit_verified.as_good_as`), "first_by"
    ({ranking: [first model, accepted]}: the same fits in each order ``sasnets fit --rank-by``
    offers), "seconds"}``, or ``{"file", "entry", "error"}``."""
    import time
    import warnings

    from ..classifier.factors import split_label
    from ..fitting import DEFAULT_BUDGET_S, DEFAULT_EXTEND, RANKINGS, fit_candidates, rank_fits
    from .fit_verified import as_good_as
    from ..stores.measured import load_curves

    folder = examples_dir()
    out = []
    for ex in examples:
        record = {"file": ex.file, "entry": ex.entry}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                curve = load_curves(os.path.join(folder, ex.file))[ex.entry]
                t0 = time.perf_counter()
                ranked = fit_candidates(curve, clf, top=top, budget_s=budget_s or DEFAULT_BUDGET_S,
                                        extend=DEFAULT_EXTEND if extend is None else extend, workers=workers)
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            out.append(record)
            continue
        first = ranked[0]
        accepted = [r for r in ranked if r.success and split_label(r.model)[0] in ex.form_factors]
        best = min(accepted, key=lambda r: r.reduced_chi2) if accepted else None
        accepted_first = split_label(first.model)[0] in ex.form_factors
        as_good = accepted_first or (best is not None and as_good_as(first, best))
        record.update(first=first.model, reduced_chi2=float(first.reduced_chi2), accepted_first=accepted_first,
                      best_accepted=(best.model, float(best.reduced_chi2), best.nparams) if best else None,
                      as_good_first=bool(as_good),
                      first_by={by: [f.model, split_label(f.model)[0] in ex.form_factors]
                                for by, f in ((by, rank_fits(list(ranked), by=by)[0]) for by in RANKINGS)},
                      seconds=time.perf_counter() - t0)
        out.append(record)
    return out

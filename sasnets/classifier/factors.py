"""Form factor and structure factor of a classifier's labels.

A classifier's labels are scattering models as sasmodels names them: a form
factor alone (``sphere``: a dilute sample, no structure factor) or a product
``form_factor@structure_factor`` (``sphere@hayter_msa``).  The network gives
one probability per label, the joint probability of the pair; summing over
the other factor gives each factor's own probability, which is what
:func:`factor_probabilities` returns (a structure factor ``None`` for labels
without one).  Labels that are a structure factor model alone (``hardsphere``
as a model of its own) count as their own form factor with no structure factor.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["split_label", "factor_probabilities", "NO_STRUCTURE_FACTOR"]

#: the structure factor of a label that has none, as JSON and tables write it
NO_STRUCTURE_FACTOR = "none"


def split_label(label: str) -> tuple[str, str]:
    """``(form factor, structure factor)`` of a label; the structure factor is ``"none"`` without one."""
    form, _, structure = str(label).partition("@")
    return form, structure or NO_STRUCTURE_FACTOR


def factor_probabilities(proba: np.ndarray, labels: Sequence[str]) -> tuple[list, np.ndarray, list, np.ndarray]:
    """``(form factors, their probabilities (n, F), structure factors, theirs (n, S))`` from
    label probabilities ``proba`` (n, len(labels)); names sorted, ``"none"`` first among
    the structure factors."""
    proba = np.atleast_2d(np.asarray(proba, dtype=np.float64))
    pairs = [split_label(label) for label in labels]
    forms = sorted({f for f, _ in pairs})
    structures = sorted({s for _, s in pairs}, key=lambda s: (s != NO_STRUCTURE_FACTOR, s))
    f_index = {f: i for i, f in enumerate(forms)}
    s_index = {s: i for i, s in enumerate(structures)}
    to_form = np.zeros((len(labels), len(forms)))
    to_structure = np.zeros((len(labels), len(structures)))
    for j, (f, s) in enumerate(pairs):
        to_form[j, f_index[f]] = 1.0
        to_structure[j, s_index[s]] = 1.0
    return forms, proba @ to_form, structures, proba @ to_structure

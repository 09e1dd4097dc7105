"""Fit scattering models to a curve with sasmodels + bumps, and rank the candidates.

A network says which scattering models a curve probably comes from; a
scientist needs the model *and* its fitted parameters, checked against the
data.  This package fits each candidate on the curve's own q points (with its
resolution) and ranks the candidates by fit quality and network probability.

One concept per module:

- :mod:`~sasnets.fitting.experiment`: the data, their errors and resolution;
  which parameters are fitted, their bounds, the values the scientist holds.
- :mod:`~sasnets.fitting.search`: one fit within a time budget
  (:func:`fit_model`): global search over the shape parameters with scale and
  background solved exactly, then a bumps Levenberg-Marquardt polish.
- :mod:`~sasnets.fitting.products`: form factor @ structure factor
  products (``sphere@hayter_msa``): which are valid, how S(q) is fitted.
- :mod:`~sasnets.fitting.dispersity`: size distributions (widths, types,
  integration points) and when a width is fitted without being asked.
- :mod:`~sasnets.fitting.counts`: the shell/level count search of
  multi-shell and multi-level models.
- :mod:`~sasnets.fitting.result`: :class:`FitResult` and goodness of fit.
- :mod:`~sasnets.fitting.ranking`: the ranking rule (:func:`rank_fits`).
- :mod:`~sasnets.fitting.batch`: classify, then fit (:func:`fit_candidates`),
  the candidates of many curves with harder searches only where they can
  change the first answer (:func:`fit_job_sets`), and many fits over worker
  processes (:func:`map_fits`).

Fit workers import sasmodels and bumps only, never TensorFlow.
Fit-verified metrics of a classifier live in :mod:`sasnets.analysis.fit_verified`.
"""
from .batch import (DEFAULT_EXTEND, MAX_REFINED, QUICK_BUDGET_SHARE, FitJob, candidate_jobs, classifier_probabilities,
                    fit_candidates, fit_job_sets, held_for, map_fits, polydisperse_for, reference_candidate, size_guesses)
from .counts import COUNT_SEARCH_MAX
from .dispersity import DEFAULT_PD_TYPE, PD_TYPES, size_parameters
from .products import structure_factors
from .experiment import DEFAULT_RELATIVE_ERROR, Fixable, check_models, count_parameters, fixable_parameters
from .ranking import DEFAULT_RANKING, MIN_PROBABILITY, RANKINGS, rank_fits
from .result import ACCEPTABLE_REDUCED_CHI2, FitResult
from .search import DEFAULT_BUDGET_S, fit_model

__all__ = [
    "FitResult", "FitJob", "fit_model", "fit_candidates", "candidate_jobs", "classifier_probabilities",
    "held_for", "map_fits", "fit_job_sets", "size_guesses", "reference_candidate", "check_models", "fixable_parameters", "count_parameters", "Fixable",
    "rank_fits", "RANKINGS", "DEFAULT_RANKING", "ACCEPTABLE_REDUCED_CHI2", "MIN_PROBABILITY",
    "COUNT_SEARCH_MAX", "DEFAULT_RELATIVE_ERROR", "polydisperse_for", "size_parameters", "PD_TYPES",
    "DEFAULT_PD_TYPE", "structure_factors", "DEFAULT_BUDGET_S", "MAX_REFINED", "QUICK_BUDGET_SHARE", "DEFAULT_EXTEND",
]

"""sasnets: which scattering model is this small-angle scattering curve?

The public API is imported lazily, so ``import sasnets`` stays fast and never
imports TensorFlow; each name below is loaded on first access.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> "module:attribute"
_API = {
    # data and stores
    "SasnetsError": "sasnets.errors:SasnetsError",
    "Curve": "sasnets.data.curves:Curve",
    "CurveBatch": "sasnets.data.curves:CurveBatch",
    "QGrid": "sasnets.data.qgrid:QGrid",
    "Store": "sasnets.stores.base:Store",
    "open_store": "sasnets.stores.base:open_store",
    "convert_store": "sasnets.stores.convert:convert",
    "load_curve": "sasnets.stores.measured:load_curve",
    "load_curves": "sasnets.stores.measured:load_curves",
    "get_registry": "sasnets.plugins:get_registry",
    # simulation
    "generate": "sasnets.simulate.generation:generate",
    "GenerationOptions": "sasnets.simulate.options:GenerationOptions",
    "simulate_curve": "sasnets.simulate.simulation:simulate_curve",
    "resolve_models": "sasnets.simulate.catalog:resolve_models",
    # training and classifiers
    "train": "sasnets.training.train:train",
    "tune": "sasnets.training.tune:tune",
    "Classifier": "sasnets.classifier:Classifier",
    "load_classifier": "sasnets.classifier:load_classifier",
    "load_default_classifier": "sasnets.classifier:load_default_classifier",
    "resolve_classifier": "sasnets.classifier:resolve_classifier",
    # evaluation and fitting
    "evaluate": "sasnets.analysis.evaluate:evaluate",
    "calibrate": "sasnets.analysis.evaluate:calibrate",
    "EvaluationResult": "sasnets.analysis.evaluate:EvaluationResult",
    "fit_candidates": "sasnets.fitting:fit_candidates",
    "fit_model": "sasnets.fitting:fit_model",
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name):
    try:
        target = _API[name]
    except KeyError:
        raise AttributeError(f"module 'sasnets' has no attribute {name!r}") from None
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__():
    return __all__

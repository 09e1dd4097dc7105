"""Trained classifiers: the saved format, loading, and the default (shipped) classifier.

Training writes a classifier directory (:mod:`sasnets.training`); inference
(``predict``, ``evaluate``, ``fit``) reads one through this package and never
needs the training code.  :func:`load_classifier` reads a saved classifier;
:func:`resolve_classifier` is the one place that turns what a user passed
(``None`` for the default, a path, or a loaded classifier) into a classifier.
"""
from __future__ import annotations

import os

from .default import (ENV_VAR, PRETRAINED_DIR, UntrainedModelsWarning, default_classifier_path,
                      load_default_classifier, untrained_models)
from .meta import FORMAT, VERSION, ClassifierMeta
from .saved import ARTIFACTS, META_FILE, NETWORK_FILE, Classifier, load_classifier, softmax

__all__ = ["Classifier", "ClassifierMeta", "load_classifier", "load_default_classifier", "resolve_classifier",
           "default_classifier_path", "untrained_models", "UntrainedModelsWarning", "softmax",
           "FORMAT", "VERSION", "META_FILE", "NETWORK_FILE", "ARTIFACTS", "ENV_VAR", "PRETRAINED_DIR"]


def resolve_classifier(classifier=None):
    """The classifier meant by ``classifier``: the default one for ``None``,
    the one saved there for a path, else ``classifier`` itself (anything with
    ``labels`` and ``predict_proba``)."""
    if classifier is None:
        return load_default_classifier()
    if isinstance(classifier, (str, os.PathLike)):
        return load_classifier(classifier)
    return classifier

"""The default classifier: the one shipped inside the package.

``sasnets.load_default_classifier()``, ``resolve_classifier(None)``, ``sasnets predict FILE`` and
``sasnets fit FILE`` use it, so a scientist can classify a curve right after
installing sasnets.  It lives in ``sasnets/pretrained/<name>/`` (a classifier
directory without its checkpoint and logs, see ``MODEL_CARD.md`` there and
``scripts/pretrain.sh`` for the recipe).  The environment variable
``SASNETS_DEFAULT_CLASSIFIER`` points the default at another classifier
directory or archive, e.g. one a facility trained for its own instrument.

When the installed sasmodels (plus ``SAS_MODELPATH`` user models) has
scattering models the default classifier was not trained on, a
:class:`UntrainedModelsWarning` says so once per process: the classifier can
never propose those models, which is worth knowing but not an error.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import UsageError
from .saved import load_classifier

__all__ = ["PRETRAINED_DIR", "ENV_VAR", "UntrainedModelsWarning", "default_classifier_path",
           "load_default_classifier", "untrained_models"]

#: where the shipped classifier directories live
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
#: environment variable that replaces the shipped classifier
ENV_VAR = "SASNETS_DEFAULT_CLASSIFIER"

_warned: set[str] = set()


class UntrainedModelsWarning(UserWarning):
    """The installed sasmodels has scattering models the default classifier cannot propose."""


def default_classifier_path() -> str:
    """Path of the default classifier: ``$SASNETS_DEFAULT_CLASSIFIER``, else the shipped one.

    The shipped one is the first directory (by name) under
    :data:`PRETRAINED_DIR` holding a ``classifier.json``.  Raises
    :class:`~sasnets.errors.UsageError` when there is none.
    """
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return os.path.expanduser(override)
    if PRETRAINED_DIR.is_dir():
        for sub in sorted(PRETRAINED_DIR.iterdir()):
            if (sub / "classifier.json").is_file():
                return str(sub)
    raise UsageError("No default classifier is installed with this sasnets; pass one with --classifier DIR "
                     f"(train it with sasnets train DATA -o DIR) or set {ENV_VAR}.")


def untrained_models(labels) -> list[str]:
    """Scattering models the installed sasmodels (and user models) knows but ``labels`` lacks, sorted."""
    from ..simulate.catalog import model_names

    known = set(labels)
    return [name for name in model_names() if name not in known]


def load_default_classifier():
    """The default :class:`~sasnets.classifier.Classifier` (see :func:`default_classifier_path`).

    Warns once per process (:class:`UntrainedModelsWarning`) when the
    installed sasmodels has models the classifier was not trained on.
    """
    path = default_classifier_path()
    classifier = load_classifier(path)
    key = os.path.abspath(path)
    if key not in _warned:
        _warned.add(key)
        missing = untrained_models(classifier.labels)
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            warnings.warn(f"The default classifier was not trained on {len(missing)} scattering model(s) of the "
                          f"installed sasmodels and never proposes them: {shown}.",
                          UntrainedModelsWarning, stacklevel=3)
    return classifier

"""Which scattering models exist, and which ones a user's words select.

The catalog is every model of the installed sasmodels plus *user models*:
the ``*.py`` model files in the directories of ``SAS_MODELPATH`` (one
directory, as sasmodels reads it, or several separated by ``os.pathsep``) and
any model file named by its path.  A user model whose name is also a built-in
name is shadowed by the built-in (a warning says so).

Selecting models (``resolve_models``) understands, per word:

``all``
    every model in the catalog;
a model name (``sphere``, ``cylinder``)
    that model; **a model name always means the model**, even where sasmodels
    also has a category of that name;
a category (``shape:sphere``, ``shape:cylinder``, ``shape``,
``shape-independent``, ``structure-factor``, ``custom``)
    every model of it; the leaf of a ``shape:*`` category works alone where it
    is not also a model name (``paracrystal``, ``lamellae``, ``polyhedron``),
    so write ``shape:sphere`` for all sphere-like models and ``sphere`` for the
    sphere model;
a sasmodels kind (``1d``, ``2d``, ``magnetic``, ``nonmagnetic``, ``single``,
``double``, ``py``, ``c``, ``opencl``, ``dll``), as in ``sasmodels.core.list_models``
    models of that kind;
a glob (``*sphere``, ``core_shell_*``)
    matching model names (and, if it contains ``:``, categories);
a path to a ``.py`` model file
    that user model;
a product ``FORM@STRUCTURE`` (``sphere@hayter_msa``, ``'*cylinder@hardsphere'``)
    sasmodels' product of a form factor and a structure factor; the part
    before ``@`` is any of the words above and selects the form factors
    that can take a structure factor (see :mod:`sasnets.simulate.products`).

``structure_factors`` (``--structure-factor``) adds, for every selected
form factor that can take one, its product with each structure factor.

An unknown word fails with one line naming the closest names.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import warnings
from typing import Iterable, Sequence

from .._suggest import did_you_mean
from ..errors import UsageError
from ._entries import ModelEntry, load_model_info

__all__ = ["ModelEntry", "list_models", "model_names", "resolve_models", "resolve_model_entries", "load_model_info", "KINDS", "USER_CATEGORY"]

#: category given to user models that declare none
USER_CATEGORY = "custom"
#: sasmodels "kinds" (see sasmodels.core.list_models)
KINDS = ("py", "c", "single", "double", "opencl", "dll", "1d", "2d", "magnetic", "nonmagnetic")
_GLOB_CHARS = set("*?[")


@functools.lru_cache(maxsize=4)
def _builtin_entries() -> tuple[ModelEntry, ...]:
    from sasmodels import core

    return tuple(ModelEntry(name, load_model_info(name).category or "uncategorized")
                 for name in core.list_models())


def _user_entry(path: str) -> ModelEntry | None:
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        info = load_model_info(path)
    except Exception as exc:  # a broken user model must not hide the others
        warnings.warn(f"User model {path!r} cannot be loaded and is skipped ({type(exc).__name__}: {exc}).",
                      stacklevel=3)
        return None
    return ModelEntry(name, info.category or USER_CATEGORY, path)


def model_path_dirs() -> list[str]:
    """Directories named by ``SAS_MODELPATH`` (``os.pathsep``-separated)."""
    value = os.environ.get("SAS_MODELPATH", "")
    return [os.path.abspath(os.path.expanduser(d)) for d in value.split(os.pathsep) if d.strip()]


@functools.lru_cache(maxsize=8)
def _user_entries(dirs: tuple[str, ...]) -> tuple[ModelEntry, ...]:
    builtin = {e.name for e in _builtin_entries()}
    seen: dict[str, ModelEntry] = {}
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for fname in sorted(os.listdir(d)):
            if not fname.endswith(".py") or fname.startswith(("_", ".")):
                continue
            entry = _user_entry(os.path.join(d, fname))
            if entry is None:
                continue
            if entry.name in builtin:
                warnings.warn(f"User model {entry.path!r} is shadowed by the built-in sasmodels model {entry.name!r}; rename the file to use it.",
                              stacklevel=3)
                continue
            seen.setdefault(entry.name, entry)
    return tuple(seen.values())


def list_models(include_user: bool = True) -> list[ModelEntry]:
    """Every scattering model sasmodels knows (plus user models), sorted by name."""
    entries = list(_builtin_entries())
    if include_user:
        entries += list(_user_entries(tuple(model_path_dirs())))
    return sorted(entries, key=lambda e: e.name)


def model_names(include_user: bool = True) -> list[str]:
    """The names :func:`list_models` lists, sorted, without loading any model (fast: for a
    quick check such as which models a classifier lacks; a broken user model is listed)."""
    from sasmodels import core

    names = set(core.list_models())
    if include_user:
        for d in model_path_dirs():
            if os.path.isdir(d):
                names.update(os.path.splitext(f)[0] for f in os.listdir(d)
                             if f.endswith(".py") and not f.startswith(("_", ".")))
    return sorted(names)


def _category_matches(category: str, word: str) -> bool:
    return category == word or category.startswith(word + ":") or category.split(":")[-1] == word


def _kind_matches(entry: ModelEntry, kind: str) -> bool:
    info = load_model_info(entry.ref)
    pars = info.parameters.kernel_parameters
    compiled = bool(info.compiled)
    return {
        "py": not compiled,
        "c": compiled,
        "single": compiled and bool(info.single),
        "double": compiled and not info.single,
        "opencl": bool(info.opencl),
        "dll": compiled and not info.opencl,
        "2d": any(p.type == "orientation" for p in pars),
        "1d": all(p.type != "orientation" for p in pars),
        "magnetic": any(p.type == "sld" for p in pars),
        "nonmagnetic": not any(p.type == "sld" for p in pars),
    }[kind]


def _select_product(word: str, catalog: Sequence[ModelEntry], option: str) -> list[ModelEntry]:
    from .products import can_take_structure_factor, check_product, check_structure_factor

    form_word, _, structure = word.partition("@")
    if "@" in structure:
        raise UsageError(f"{word!r} ({option}) has more than one '@'; a product is FORM@STRUCTURE, e.g. sphere@hardsphere.")
    by_name = {e.name: e for e in catalog}
    if form_word in by_name:
        entry = by_name[form_word]
        check_product(form_word, load_model_info(entry.ref), structure, option)
        forms = [entry]
    else:
        if not structure:
            raise UsageError(f"{word!r} ({option}) names no structure factor; write e.g. {form_word}@hardsphere.")
        check_structure_factor(structure, option)
        forms = [e for e in _select(form_word, catalog, option) if can_take_structure_factor(load_model_info(e.ref))]
        if not forms:
            raise UsageError(f"No scattering model selected by {form_word!r} ({option}) can take a structure factor; "
                             f"'sasnets models --structure-factor {structure}' lists the products there are.")
    return [ModelEntry(f"{e.name}@{structure}", e.category, None if e.path is None else f"{e.path}@{structure}")
            for e in forms]


def _select(word: str, catalog: Sequence[ModelEntry], option: str) -> list[ModelEntry]:
    if "@" in word:
        return _select_product(word, catalog, option)
    by_name = {e.name: e for e in catalog}
    if word == "all":
        return list(catalog)
    if word in by_name:
        return [by_name[word]]
    if word.endswith(".py"):
        if not os.path.isfile(word):
            raise UsageError(f"Model file {word!r} ({option}) does not exist.")
        entry = _user_entry(os.path.abspath(word))
        if entry is None:
            raise UsageError(f"Model file {word!r} ({option}) is not a loadable sasmodels model.")
        return [entry]
    if any(c in _GLOB_CHARS for c in word):
        return [e for e in catalog if fnmatch.fnmatchcase(e.name, word)
                or (":" in word and fnmatch.fnmatchcase(e.category, word))]
    in_category = [e for e in catalog if _category_matches(e.category, word)]
    if in_category:
        return in_category
    if word in KINDS:
        return [e for e in catalog if _kind_matches(e, word)]
    categories = {c for e in catalog for c in (e.category, e.category.split(":")[0], e.category.split(":")[-1])}
    vocabulary = sorted(set(by_name) | categories | {"all"})
    hint = "; " + (did_you_mean(word, vocabulary) or "run 'sasnets models' to list them.")
    raise UsageError(f"Unknown scattering model or category {word!r} ({option}){hint}")


def resolve_models(patterns: Iterable[str], exclude: Iterable[str] = (), structure_factors=()) -> list[str]:
    """Names of the models selected by ``patterns`` minus those selected by ``exclude``.

    See the module docstring for the words understood; ``structure_factors``
    (``"all"``, ``"hardsphere,hayter_msa"`` or a list) adds the products of
    the selected form factors that can take one.  The result is sorted and
    has no duplicates; selecting nothing is a :class:`UsageError`.
    """
    return [e.name for e in resolve_model_entries(patterns, exclude, structure_factors=structure_factors)]


def resolve_model_entries(patterns: Iterable[str], exclude: Iterable[str] = (), *,
                          catalog: Sequence[ModelEntry] | None = None, structure_factors=()) -> list[ModelEntry]:
    """Like :func:`resolve_models`, but the :class:`ModelEntry` of each model
    (user models carry their file path, products ``path@structure``)."""
    from .products import expand_with_structure_factors, parse_structure_factors

    structures = parse_structure_factors(structure_factors)
    patterns = [p for p in patterns]
    if not patterns:
        raise UsageError("Name at least one scattering model, category or pattern (or 'all').")
    catalog = list_models() if catalog is None else list(catalog)
    chosen: dict[str, ModelEntry] = {}
    for word in patterns:
        selected = _select(word, catalog, "MODELS")
        if not selected:
            raise UsageError(f"Pattern {word!r} matches no scattering model; run 'sasnets models' to list them.")
        for entry in selected:
            chosen.setdefault(entry.name, entry)
    if structures:
        products, incapable = expand_with_structure_factors(list(chosen.values()), structures)
        if not products and incapable:
            raise UsageError(f"None of the selected scattering models ({', '.join(sorted(incapable)[:5])}"
                             f"{', …' if len(incapable) > 5 else ''}) can take a structure factor (--structure-factor); "
                             "'sasnets models --structure-factor all' lists the products there are.")
        for entry in products:
            chosen.setdefault(entry.name, entry)
    for word in exclude:
        for entry in _select(word, catalog, "--exclude"):
            chosen.pop(entry.name, None)
    if not chosen:
        raise UsageError("Every selected scattering model is excluded (--exclude); nothing to generate.")
    return sorted(chosen.values(), key=lambda e: e.name)

"""The plugin manager: built-in plugins plus ``sasnets`` entry points.

Registries are filled on first use (``get_registry("stores")``), so importing
sasnets or running ``sasnets --help`` does not import any plugin's heavy
dependencies.  Built-in plugins are ordinary modules implementing the hooks of
:mod:`sasnets.hookspecs`, registered exactly like third-party ones.

Environment switches:

``SASNETS_DISABLE_PLUGINS=1``
    load no third-party plugins (built-ins only).
``SASNETS_PLUGINS=name[,name…]``
    load only the named third-party plugins.
``SASNETS_TRACE_PLUGINS=1``
    write pluggy's trace to stderr: each plugin loaded or blocked, each hook
    call with its arguments and results.

The first two block the other names with pluggy's ``set_blocked`` before
anything is imported, so a blocked plugin's code never runs.  Hooks are called
through pluggy, once per plugin (``pm.subset_hook_caller``) with keyword
arguments, so each registration knows its origin and a third-party plugin that
fails to import or register is reported by name (``sasnets plugins`` lists it,
a warning is issued) while the rest keep working.  Tests and programs add a
plugin object with :func:`register_plugin`.
"""
from __future__ import annotations

import importlib
import os
import sys
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterator

import pluggy

from . import hookspecs
from ._suggest import did_you_mean
from .errors import PluginError, UsageError

__all__ = [
    "ENTRY_POINT_GROUP",
    "BUILTIN_PLUGINS",
    "Registry",
    "Entry",
    "get_plugin_manager",
    "get_registry",
    "failed_plugins",
    "register_plugin",
    "register_commands",
    "reset",
    "DISABLE_ENV",
    "ONLY_ENV",
    "TRACE_ENV",
]

ENTRY_POINT_GROUP = "sasnets"

#: environment switches (see the module docstring)
DISABLE_ENV = "SASNETS_DISABLE_PLUGINS"
ONLY_ENV = "SASNETS_PLUGINS"
TRACE_ENV = "SASNETS_TRACE_PLUGINS"

#: Modules of sasnets itself that implement hooks.
BUILTIN_PLUGINS = (
    "sasnets.stores._plugin",
    "sasnets.networks._plugin",
    "sasnets.analysis._plugin",
    "sasnets.cli._plugin",
)

#: registry kind -> the hook that fills it
_HOOKS = {
    "stores": "sasnets_register_stores",
    "architectures": "sasnets_register_architectures",
    "analyzers": "sasnets_register_analyzers",
}


@dataclass
class Entry:
    """One registered thing: its name, the object (or a lazy ``"module:attr"``
    path), the plugin it came from, and free-form metadata."""

    name: str
    target: Any
    origin: str
    meta: dict = field(default_factory=dict)

    def load(self):
        """The registered object, importing it on first use."""
        if isinstance(self.target, str):
            module, _, attr = self.target.partition(":")
            obj = importlib.import_module(module)
            for part in attr.split(".") if attr else ():
                obj = getattr(obj, part)
            self.target = obj
        return self.target

    @property
    def description(self) -> str:
        if "description" in self.meta:
            return self.meta["description"]
        doc = getattr(self.load(), "__doc__", None) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


class Registry:
    """Named things of one kind (stores, architectures, analyzers).

    ``register(name, target, **meta)`` rejects a name already taken, naming
    both plugins; ``get(name)`` suggests close names for a misspelling.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, target: Any, *, origin: str = "?", **meta) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"Plugin {origin!r} registered a {self.kind[:-1]} with an empty or non-string name.")
        if name in self._entries:
            first = self._entries[name].origin
            raise PluginError(
                f"The {self.kind[:-1]} name {name!r} is registered by both {first!r} and {origin!r}; "
                "uninstall or rename one of them."
            )
        self._entries[name] = Entry(name, target, origin, dict(meta))

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entry(self, name: str, option: str | None = None) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            hint = "; " + (did_you_mean(name, self._entries) or f"known: {', '.join(self.names())}.")
            where = f" ({option})" if option else ""
            raise UsageError(f"Unknown {self.kind[:-1]} {name!r}{where}{hint}") from None

    def get(self, name: str, option: str | None = None) -> Any:
        """The object registered as ``name``, loaded."""
        return self.entry(name, option).load()


class _State:
    pm: pluggy.PluginManager | None = None
    registries: dict[str, Registry] = {}
    failed: dict[str, str] = {}


def _switch_on(name: str) -> bool:
    return os.environ.get(name, "").strip() not in ("", "0")


def _blocked_by_environment(name: str) -> bool:
    """True when ``SASNETS_DISABLE_PLUGINS`` or ``SASNETS_PLUGINS`` rules out the third-party plugin ``name``."""
    if _switch_on(DISABLE_ENV):
        return True
    only = {n.strip() for n in os.environ.get(ONLY_ENV, "").split(",") if n.strip()}
    return bool(only) and name not in only


def _entry_points():
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def _trace(pm: pluggy.PluginManager, *message) -> None:
    pm.trace.root.get("sasnets")(*message)


def _add(pm: pluggy.PluginManager, name: str, load, strict: bool) -> bool:
    """Register the plugin object ``load()`` returns as ``name``, unless the environment blocks it.

    A plugin that fails to load or implements a hook that does not exist
    (``check_pending``) is unregistered and raises :class:`PluginError`
    (``strict``) or is recorded in :func:`failed_plugins` with a warning.
    """
    if name in BUILTIN_PLUGINS:
        return _refuse(pm, name, "that name is taken by sasnets itself; choose another", strict)
    if _blocked_by_environment(name) and not pm.is_blocked(name):
        pm.set_blocked(name)
        _trace(pm, "blocked", name, f"({DISABLE_ENV} or {ONLY_ENV})")
    if pm.is_blocked(name):
        return False
    if pm.get_plugin(name) is not None:
        if strict:
            raise PluginError(f"A sasnets plugin named {name!r} is already registered; choose another name.")
        return False
    try:
        plugin = load()
        try:
            hash(plugin)
        except TypeError:
            raise PluginError(f"plugin object {plugin!r} is not hashable; register a module, class or "
                              "instance") from None
        pm.register(plugin, name=name)
        pm.check_pending()
    except Exception as exc:  # a broken plugin must not take sasnets down
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
        if strict:
            raise PluginError(f"sasnets plugin {name!r} cannot be registered: {exc}") from exc
        return _refuse(pm, name, f"{type(exc).__name__}: {exc}", strict)
    _trace(pm, "registered", name)
    return True


def _refuse(pm: pluggy.PluginManager, name: str, reason: str, strict: bool) -> bool:
    """Raise :class:`PluginError` (``strict``) or record and warn that plugin ``name`` was skipped."""
    if strict:
        raise PluginError(f"sasnets plugin {name!r} cannot be registered: {reason}")
    _State.failed[name] = reason
    _trace(pm, "failed", name, reason)
    warnings.warn(f"sasnets plugin {name!r} failed to load and was skipped ({reason}).", stacklevel=4)
    return False


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager with built-ins and entry points loaded."""
    if _State.pm is None:
        pm = pluggy.PluginManager("sasnets")
        if _switch_on(TRACE_ENV):
            pm.trace.root.setwriter(lambda text: sys.stderr.write(text))  # sys.stderr as it is when written
            pm.enable_tracing()
        pm.add_hookspecs(hookspecs)
        for modname in BUILTIN_PLUGINS:
            pm.register(importlib.import_module(modname), name=modname)
        for ep in _entry_points():
            _add(pm, ep.name, ep.load, strict=False)
        pm.check_pending()
        _State.pm = pm
    return _State.pm


def register_plugin(plugin: Any, name: str) -> bool:
    """Register ``plugin`` (a module, class or object with ``@hookimpl`` functions) as ``name``.

    It then counts as a third-party plugin installed through an entry point:
    its registrations show ``name`` as their origin, the environment switches
    apply (``False`` is returned when they block ``name``), and the registries
    are filled again on next use.  A plugin that implements an unknown hook,
    or a name already registered, raises :class:`~sasnets.errors.PluginError`.
    :func:`reset` forgets it.
    """
    pm = get_plugin_manager()
    added = _add(pm, name, lambda: plugin, strict=True)
    _State.registries = {}
    return added


def _origin(plugin_name: str) -> str:
    return "sasnets (built-in)" if plugin_name in BUILTIN_PLUGINS else plugin_name


def _each_plugin(hookname: str):
    """``(plugin name, hook caller of that plugin alone)`` for each plugin implementing
    ``hookname``, in registration order (built-ins first).  Calling a plugin on its own is
    what lets a registration know its origin and a failing plugin be skipped."""
    pm = get_plugin_manager()
    plugins = list(dict.fromkeys(impl.plugin for impl in getattr(pm.hook, hookname).get_hookimpls()))
    for plugin in plugins:
        name = pm.get_name(plugin)
        _trace(pm, "calling", hookname, "of", name)
        yield name, pm.subset_hook_caller(hookname, [p for p in plugins if p is not plugin])


def _isolated(name: str, doing: str, call) -> bool:
    """``call()``; an exception of a third-party plugin is recorded and warned about, not raised
    (then ``False`` is returned).  :class:`PluginError` (a name taken twice) always propagates."""
    try:
        call()
        return True
    except PluginError:
        raise
    except Exception as exc:
        if name in BUILTIN_PLUGINS:
            raise
        _State.failed[name] = f"{type(exc).__name__}: {exc}"
        _trace(get_plugin_manager(), "failed", name, doing, f"{type(exc).__name__}: {exc}")
        warnings.warn(f"sasnets plugin {name!r} failed while {doing} ({exc}).", stacklevel=4)
        return False


class _Register:
    """The ``register`` callback one plugin's registration hook gets: it registers into
    ``registry`` with that plugin as the origin."""

    def __init__(self, registry: Registry, origin: str):
        self.registry, self.origin = registry, origin

    def __call__(self, name, target, **meta):
        self.registry.register(name, target, origin=self.origin, **meta)

    def __repr__(self):
        return f"<register {self.registry.kind} from {self.origin}>"


def _fill(kind: str, hookname: str) -> Registry:
    registry = Registry(kind)
    for name, caller in _each_plugin(hookname):
        register = _Register(registry, _origin(name))
        before = dict(registry._entries)
        if not _isolated(name, f"registering {kind}", lambda: caller(register=register)):
            registry._entries = before  # none of a failing plugin's registrations, not half of them
    return registry


def get_registry(kind: str) -> Registry:
    """The filled registry of ``kind``: ``stores``, ``architectures`` or ``analyzers``."""
    if kind not in _HOOKS:
        raise ValueError(f"unknown registry kind {kind!r}")
    if kind not in _State.registries:
        _State.registries[kind] = _fill(kind, _HOOKS[kind])
    return _State.registries[kind]


def failed_plugins() -> dict[str, str]:
    """Third-party plugins that failed to load or to register: name -> reason."""
    get_plugin_manager()
    return dict(_State.failed)


def register_commands(cli) -> None:
    """Let every plugin add its Click commands to ``cli``."""
    for name, caller in _each_plugin("sasnets_register_commands"):
        _isolated(name, "adding commands", lambda: caller(cli=cli))


def reset() -> None:
    """Forget the plugin manager, registries and failures: the next use loads the plugins again
    (with the environment switches as they are then); plugins added with :func:`register_plugin`
    are gone."""
    _State.pm = None
    _State.registries = {}
    _State.failed = {}


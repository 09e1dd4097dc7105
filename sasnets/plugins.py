"""The plugin manager: built-in plugins plus ``sasnets`` entry points.

Registries are filled on first use (``get_registry("stores")``), so importing
sasnets or running ``sasnets --help`` does not import any plugin's heavy
dependencies.  Built-in plugins are ordinary modules implementing the hooks of
:mod:`sasnets.hookspecs`, registered exactly like third-party ones.

Environment switches:

``SASNETS_DISABLE_PLUGINS=1``
    load no third-party entry points (built-ins only).
``SASNETS_PLUGINS=name[,name…]``
    load only the named entry points.

A third-party plugin that fails to import or register is reported by name
(``sasnets plugins`` lists it, a warning is issued) and the rest keep working.
"""
from __future__ import annotations

import difflib
import importlib
import os
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterator

import pluggy

from . import hookspecs
from .errors import PluginError, UsageError

__all__ = [
    "ENTRY_POINT_GROUP",
    "BUILTIN_PLUGINS",
    "Registry",
    "Entry",
    "get_plugin_manager",
    "get_registry",
    "failed_plugins",
    "reset",
]

ENTRY_POINT_GROUP = "sasnets"

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
            close = difflib.get_close_matches(name, self._entries, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(self.names())}."
            where = f" ({option})" if option else ""
            raise UsageError(f"Unknown {self.kind[:-1]} {name!r}{where}{hint}") from None

    def get(self, name: str, option: str | None = None) -> Any:
        """The object registered as ``name``, loaded."""
        return self.entry(name, option).load()


class _State:
    pm: pluggy.PluginManager | None = None
    registries: dict[str, Registry] = {}
    failed: dict[str, str] = {}


def _selected_entry_points():
    if os.environ.get("SASNETS_DISABLE_PLUGINS", "").strip() not in ("", "0"):
        return []
    only = {n.strip() for n in os.environ.get("SASNETS_PLUGINS", "").split(",") if n.strip()}
    eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
    return [ep for ep in eps if not only or ep.name in only]


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager with built-ins and entry points loaded."""
    if _State.pm is None:
        pm = pluggy.PluginManager("sasnets")
        pm.add_hookspecs(hookspecs)
        for modname in BUILTIN_PLUGINS:
            pm.register(importlib.import_module(modname), name=modname)
        for ep in _selected_entry_points():
            if pm.get_plugin(ep.name) is not None:
                continue
            try:
                pm.register(ep.load(), name=ep.name)
                pm.check_pending()
            except Exception as exc:  # a broken plugin must not take sasnets down
                plugin = pm.get_plugin(ep.name)
                if plugin is not None:
                    pm.unregister(plugin)
                _State.failed[ep.name] = f"{type(exc).__name__}: {exc}"
                warnings.warn(f"sasnets plugin {ep.name!r} failed to load and was skipped ({exc}).", stacklevel=2)
        pm.check_pending()
        _State.pm = pm
    return _State.pm


def _fill(kind: str, hookname: str) -> Registry:
    pm = get_plugin_manager()
    registry = Registry(kind)
    for impl in getattr(pm.hook, hookname).get_hookimpls():
        origin = "sasnets (built-in)" if impl.plugin_name in BUILTIN_PLUGINS else impl.plugin_name

        def register(name, target, _origin=origin, **meta):
            registry.register(name, target, origin=_origin, **meta)

        try:
            impl.function(register)
        except PluginError:
            raise
        except Exception as exc:
            if impl.plugin_name in BUILTIN_PLUGINS:
                raise
            _State.failed[impl.plugin_name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"sasnets plugin {impl.plugin_name!r} failed while registering {kind} ({exc}).", stacklevel=2)
    return registry


def get_registry(kind: str) -> Registry:
    """The filled registry of ``kind``: ``stores``, ``architectures`` or ``analyzers``."""
    if kind not in _HOOKS:
        raise ValueError(f"unknown registry kind {kind!r}")
    if kind not in _State.registries:
        _State.registries[kind] = _fill(kind, _HOOKS[kind])
    return _State.registries[kind]


def failed_plugins() -> dict[str, str]:
    """Third-party plugins that failed to load: name -> reason."""
    get_plugin_manager()
    return dict(_State.failed)


def register_commands(cli) -> None:
    """Let every plugin add its Click commands to ``cli``."""
    pm = get_plugin_manager()
    for impl in pm.hook.sasnets_register_commands.get_hookimpls():
        try:
            impl.function(cli)
        except Exception as exc:
            if impl.plugin_name in BUILTIN_PLUGINS:
                raise
            _State.failed[impl.plugin_name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"sasnets plugin {impl.plugin_name!r} failed to add commands ({exc}).", stacklevel=2)


def reset() -> None:
    """Forget the plugin manager and registries (tests use this after installing plugins)."""
    _State.pm = None
    _State.registries = {}
    _State.failed = {}


"""The plugin mechanism: registries, duplicates, lazy loading, plugins registered with pluggy,
broken plugins, the environment switches and tracing.

Plugin objects are registered with :func:`sasnets.plugins.register_plugin` (pluggy's
``pm.register``); the real entry-point path is exercised by the installed sasnets-extras
distribution in ``tests/plugins_dist``.
"""
from dataclasses import dataclass

import click
import pytest

from sasnets import hookspecs, plugins
from sasnets.errors import PluginError, UsageError
from sasnets.hookspecs import hookimpl


@pytest.fixture
def fresh_plugins(monkeypatch):
    """A clean plugin manager before and after the test, without the environment switches."""
    for name in (plugins.DISABLE_ENV, plugins.ONLY_ENV, plugins.TRACE_ENV):
        monkeypatch.delenv(name, raising=False)
    plugins.reset()
    yield plugins
    plugins.reset()


def stores_plugin(*names):
    """A plugin object registering an (unusable) store under each of ``names``."""
    class StoresPlugin:
        @hookimpl
        def sasnets_register_stores(self, register):
            for name in names:
                register(name, object)

    return StoresPlugin()


def test_registry_rejects_duplicate_names_naming_both_plugins():
    reg = plugins.Registry("stores")
    reg.register("x", object, origin="first")
    with pytest.raises(PluginError, match="first.*second"):
        reg.register("x", object, origin="second")


def test_registry_suggests_close_names():
    reg = plugins.Registry("architectures")
    reg.register("resnet1d", object, origin="a")
    with pytest.raises(UsageError, match="did you mean resnet1d"):
        reg.get("resnet1")


def test_lazy_target_is_imported_on_first_use():
    reg = plugins.Registry("stores")
    reg.register("hdf5", "sasnets.stores.hdf5:HDF5Store", origin="t")
    entry = reg.entry("hdf5")
    assert isinstance(entry.target, str)
    from sasnets.stores.hdf5 import HDF5Store

    assert reg.get("hdf5") is HDF5Store


def test_builtins_register_through_the_hooks(fresh_plugins):
    stores = fresh_plugins.get_registry("stores")
    assert "hdf5" in stores
    assert stores.entry("hdf5").origin == "sasnets (built-in)"


def test_third_party_plugin_registers_every_kind(fresh_plugins):
    class DummyStore:
        """A store used only by this test."""

    class ThirdParty:
        @hookimpl
        def sasnets_register_stores(self, register):
            register("dummy", DummyStore, schemes=("dummy",))

        @hookimpl
        def sasnets_register_architectures(self, register):
            register("dummy-arch", "sasnets.networks.mlp:ARCHITECTURE", description="borrowed")

        @hookimpl
        def sasnets_register_analyzers(self, register):
            register("noop", lambda results, outdir: [], description="does nothing")

    assert fresh_plugins.register_plugin(ThirdParty(), "thirdparty") is True
    stores = fresh_plugins.get_registry("stores")
    assert stores.get("dummy") is DummyStore
    assert stores.entry("dummy").origin == "thirdparty"
    assert stores.entry("hdf5").origin == "sasnets (built-in)"
    assert fresh_plugins.get_registry("architectures").entry("dummy-arch").origin == "thirdparty"
    assert fresh_plugins.get_registry("analyzers").entry("noop").description == "does nothing"


def test_a_module_registers_as_a_plugin_too(fresh_plugins):
    import types

    module = types.ModuleType("sasnets_test_module_plugin")  # never put in sys.modules
    module.sasnets_register_stores = hookimpl(lambda register: register("from-module", object))
    fresh_plugins.register_plugin(module, "module-plugin")
    assert fresh_plugins.get_registry("stores").entry("from-module").origin == "module-plugin"


def test_a_plugin_registered_later_refills_the_registries(fresh_plugins):
    assert "late" not in fresh_plugins.get_registry("stores")
    fresh_plugins.register_plugin(stores_plugin("late"), "late-plugin")
    assert "late" in fresh_plugins.get_registry("stores")


def test_hooks_are_called_by_keyword_through_pluggy(fresh_plugins):
    """pluggy passes hook arguments by name, so an implementation may take fewer of them."""
    called = []

    class NoArguments:
        @hookimpl
        def sasnets_register_stores(self):
            called.append("stores")

    fresh_plugins.register_plugin(NoArguments(), "no-arguments")
    fresh_plugins.get_registry("stores")
    assert called == ["stores"]
    assert "no-arguments" not in fresh_plugins.failed_plugins()


def test_a_plugin_name_already_taken_is_refused(fresh_plugins):
    fresh_plugins.register_plugin(stores_plugin("a"), "same")
    with pytest.raises(PluginError, match="same"):
        fresh_plugins.register_plugin(stores_plugin("b"), "same")
    with pytest.raises(PluginError, match="taken by sasnets"):
        fresh_plugins.register_plugin(stores_plugin("c"), "sasnets.stores._plugin")


def test_a_store_name_taken_by_two_plugins_names_both(fresh_plugins):
    fresh_plugins.register_plugin(stores_plugin("hdf5"), "impostor")
    with pytest.raises(PluginError, match="sasnets \\(built-in\\).*impostor"):
        fresh_plugins.get_registry("stores")


def test_broken_plugin_is_reported_not_fatal_and_registers_nothing(fresh_plugins):
    class Broken:
        @hookimpl
        def sasnets_register_stores(self, register):
            register("half-registered", object)
            raise RuntimeError("boom")

    fresh_plugins.register_plugin(Broken(), "broken")
    fresh_plugins.register_plugin(stores_plugin("healthy"), "healthy")
    with pytest.warns(UserWarning, match="broken"):
        stores = fresh_plugins.get_registry("stores")
    assert "hdf5" in stores and "healthy" in stores
    assert "half-registered" not in stores
    assert "boom" in fresh_plugins.failed_plugins()["broken"]


def test_misspelled_hookimpl_fails_loudly(fresh_plugins):
    class Typo:
        @hookimpl
        def sasnets_register_store(self, register):  # missing "s"
            pass

    with pytest.raises(PluginError, match="sasnets_register_store"):
        fresh_plugins.register_plugin(Typo(), "typo")
    assert fresh_plugins.get_plugin_manager().get_plugin("typo") is None


def test_a_broken_command_plugin_leaves_the_other_commands(fresh_plugins):
    class Commands:
        @hookimpl
        def sasnets_register_commands(self, cli):
            cli.add_command(click.Command("hello", callback=lambda: None))

    class BrokenCommands:
        @hookimpl
        def sasnets_register_commands(self, cli):
            raise RuntimeError("no commands today")

    fresh_plugins.register_plugin(Commands(), "commands")
    fresh_plugins.register_plugin(BrokenCommands(), "broken-commands")
    group = click.Group("test")
    with pytest.warns(UserWarning, match="broken-commands"):
        fresh_plugins.register_commands(group)
    assert "hello" in group.commands and "plugins" in group.commands
    assert "no commands today" in fresh_plugins.failed_plugins()["broken-commands"]


def test_environment_can_disable_plugins(fresh_plugins, monkeypatch):
    monkeypatch.setenv(plugins.DISABLE_ENV, "1")
    assert fresh_plugins.register_plugin(stores_plugin("disabled"), "disabled") is False
    assert fresh_plugins.get_plugin_manager().is_blocked("disabled")
    assert "disabled" not in fresh_plugins.get_registry("stores")
    assert "hdf5" in fresh_plugins.get_registry("stores")


def test_environment_can_narrow_plugins(fresh_plugins, monkeypatch):
    monkeypatch.setenv(plugins.ONLY_ENV, "keep, other")
    assert fresh_plugins.register_plugin(stores_plugin("keep"), "keep") is True
    assert fresh_plugins.register_plugin(stores_plugin("drop"), "drop") is False
    stores = fresh_plugins.get_registry("stores")
    assert "keep" in stores and "drop" not in stores and "hdf5" in stores


@dataclass
class FakeEntryPoint:
    """What ``importlib.metadata`` lists: a name and a ``load()`` (no module is installed)."""

    name: str
    plugin: object = None

    def load(self):
        if isinstance(self.plugin, Exception):
            raise self.plugin
        return self.plugin


def test_blocked_entry_points_are_never_imported(fresh_plugins, monkeypatch):
    class MustNotLoad(FakeEntryPoint):
        def load(self):
            raise AssertionError("a blocked plugin was imported")

    monkeypatch.setattr(plugins, "_entry_points", lambda: [MustNotLoad("blocked")])
    monkeypatch.setenv(plugins.DISABLE_ENV, "1")
    assert fresh_plugins.get_plugin_manager().is_blocked("blocked")
    assert fresh_plugins.failed_plugins() == {}


def test_entry_points_that_fail_to_load_are_reported_not_fatal(fresh_plugins, monkeypatch):
    class Typo:
        @hookimpl
        def sasnets_register_store(self, register):  # missing "s"
            pass

    monkeypatch.setattr(plugins, "_entry_points", lambda: [
        FakeEntryPoint("missing", ImportError("No module named 'sasnets_missing'")), FakeEntryPoint("typo", Typo()),
        FakeEntryPoint("fine", stores_plugin("fine"))])
    with pytest.warns(UserWarning, match="missing|typo"):
        stores = fresh_plugins.get_registry("stores")
    failed = fresh_plugins.failed_plugins()
    assert "sasnets_missing" in failed["missing"] and "sasnets_register_store" in failed["typo"]
    assert stores.entry("fine").origin == "fine" and "hdf5" in stores


def test_tracing_writes_pluggys_trace_to_stderr(fresh_plugins, monkeypatch, capsys):
    monkeypatch.setenv(plugins.TRACE_ENV, "1")
    fresh_plugins.register_plugin(stores_plugin("traced"), "traced-plugin")
    fresh_plugins.get_registry("stores")
    err = capsys.readouterr().err
    assert "registered traced-plugin [sasnets]" in err
    assert "calling sasnets_register_stores of traced-plugin" in err
    assert "sasnets_register_stores [hook]" in err and "<register stores from traced-plugin>" in err


def test_no_trace_without_the_switch(fresh_plugins, capsys):
    fresh_plugins.get_registry("stores")
    assert "[hook]" not in capsys.readouterr().err


def test_reset_forgets_registered_plugins(fresh_plugins):
    fresh_plugins.register_plugin(stores_plugin("forgotten"), "forgotten")
    fresh_plugins.reset()
    assert "forgotten" not in fresh_plugins.get_registry("stores")


def test_every_hook_is_exercised_by_this_file():
    source = open(__file__).read()
    specs = [name for name in dir(hookspecs) if name.startswith("sasnets_")]
    assert specs and all(f"def {name}(self" in source for name in specs)


def test_plugins_command_lists_registrations_with_origin(cli_runner):
    from sasnets.cli import cli

    result = cli_runner.invoke(cli, ["plugins"])
    assert result.exit_code == 0
    assert "hdf5" in result.output and "built-in" in result.output

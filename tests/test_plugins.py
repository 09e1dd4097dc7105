"""The plugin mechanism: registries, duplicates, lazy loading, entry points, broken plugins."""
import sys
import types

import pytest

from sasnets import plugins
from sasnets.errors import PluginError, UsageError
from sasnets.hookspecs import hookimpl


@pytest.fixture
def fresh_plugins(monkeypatch):
    """A clean plugin manager before and after the test."""
    plugins.reset()
    yield plugins
    plugins.reset()


def _fake_entry_points(monkeypatch, **modules):
    """Pretend the given modules are installed under the ``sasnets`` entry-point group."""
    from importlib import metadata

    eps = []
    for name, module in modules.items():
        sys.modules[module.__name__] = module
        monkeypatch.setitem(sys.modules, module.__name__, module)
        eps.append(metadata.EntryPoint(name=name, value=module.__name__, group=plugins.ENTRY_POINT_GROUP))
    real = metadata.entry_points

    def entry_points(**kw):
        if kw.get("group") == plugins.ENTRY_POINT_GROUP:
            return metadata.EntryPoints(eps)
        return real(**kw)

    monkeypatch.setattr(plugins.metadata, "entry_points", entry_points)


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


def test_third_party_plugin_registers_every_kind(fresh_plugins, monkeypatch):
    mod = types.ModuleType("sasnets_test_thirdparty")

    class DummyStore:
        """A store used only by this test."""

    @hookimpl
    def sasnets_register_stores(register):
        register("dummy", DummyStore, schemes=("dummy",))

    @hookimpl
    def sasnets_register_analyzers(register):
        register("noop", lambda results, outdir: [], description="does nothing")

    mod.sasnets_register_stores = sasnets_register_stores
    mod.sasnets_register_analyzers = sasnets_register_analyzers
    _fake_entry_points(monkeypatch, thirdparty=mod)
    stores = fresh_plugins.get_registry("stores")
    assert stores.get("dummy") is DummyStore
    assert stores.entry("dummy").origin == "thirdparty"
    assert fresh_plugins.get_registry("analyzers").entry("noop").description == "does nothing"


def test_broken_plugin_is_reported_not_fatal(fresh_plugins, monkeypatch):
    mod = types.ModuleType("sasnets_test_broken")

    @hookimpl
    def sasnets_register_stores(register):
        raise RuntimeError("boom")

    mod.sasnets_register_stores = sasnets_register_stores
    _fake_entry_points(monkeypatch, broken=mod)
    with pytest.warns(UserWarning, match="broken"):
        stores = fresh_plugins.get_registry("stores")
    assert "hdf5" in stores
    assert "boom" in fresh_plugins.failed_plugins()["broken"]


def test_misspelled_hookimpl_fails_loudly(fresh_plugins, monkeypatch):
    mod = types.ModuleType("sasnets_test_typo")

    @hookimpl
    def sasnets_register_store(register):  # missing "s"
        pass

    mod.sasnets_register_store = sasnets_register_store
    _fake_entry_points(monkeypatch, typo=mod)
    with pytest.warns(UserWarning, match="typo"):
        fresh_plugins.get_plugin_manager()
    assert "typo" in fresh_plugins.failed_plugins()


def test_environment_can_disable_entry_points(fresh_plugins, monkeypatch):
    mod = types.ModuleType("sasnets_test_disabled")

    @hookimpl
    def sasnets_register_stores(register):
        register("disabled", object)

    mod.sasnets_register_stores = sasnets_register_stores
    _fake_entry_points(monkeypatch, disabled=mod)
    monkeypatch.setenv("SASNETS_DISABLE_PLUGINS", "1")
    assert "disabled" not in fresh_plugins.get_registry("stores")


def test_environment_can_narrow_entry_points(fresh_plugins, monkeypatch):
    mods = {}
    for name in ("keep", "drop"):
        mod = types.ModuleType(f"sasnets_test_{name}")

        def make(n):
            @hookimpl
            def sasnets_register_stores(register):
                register(n, object)
            return sasnets_register_stores

        mod.sasnets_register_stores = make(name)
        mods[name] = mod
    _fake_entry_points(monkeypatch, **mods)
    monkeypatch.setenv("SASNETS_PLUGINS", "keep")
    stores = fresh_plugins.get_registry("stores")
    assert "keep" in stores and "drop" not in stores


def test_plugins_command_lists_registrations_with_origin(cli_runner):
    from sasnets.cli import cli

    result = cli_runner.invoke(cli, ["plugins"])
    assert result.exit_code == 0
    assert "hdf5" in result.output and "built-in" in result.output

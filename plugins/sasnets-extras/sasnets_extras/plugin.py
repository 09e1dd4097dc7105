"""Hook implementations of sasnets-extras (lazy: the targets import on first use)."""
from sasnets.hookspecs import hookimpl


@hookimpl
def sasnets_register_stores(register):
    register("nxcansas", "sasnets_extras.nxcansas_store:NXcanSASDirStore", schemes=("nxs",),
             description="directory of NXcanSAS HDF5 files, one curve per file (sasnets-extras)")


@hookimpl
def sasnets_register_architectures(register):
    register("transformer", "sasnets_extras.transformer:ARCHITECTURE",
             description="small 1D transformer encoder over q-grid patches (sasnets-extras)")

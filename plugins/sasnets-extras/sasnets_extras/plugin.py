"""Hook implementations of sasnets-extras (lazy: the targets import on first use)."""
from sasnets.hookspecs import hookimpl


@hookimpl
def sasnets_register_stores(register):
    register("nxcansas", "sasnets_extras.nxcansas_store:NXcanSASDirStore", schemes=("nxs",),
             description="directory of NXcanSAS HDF5 files, one curve per file (sasnets-extras)")

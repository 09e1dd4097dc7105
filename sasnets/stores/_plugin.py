"""Registers the built-in stores (lazily: nothing heavy is imported here)."""
from ..hookspecs import hookimpl


@hookimpl
def sasnets_register_stores(register):
    register("hdf5", "sasnets.stores.hdf5:HDF5Store", schemes=("h5", "file"),
             suffixes=(".h5", ".hdf5", ".hdf"),
             description="embedded HDF5 file (default): chunked, appendable, fast full reads")

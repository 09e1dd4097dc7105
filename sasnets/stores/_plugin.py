"""Registers the built-in stores (lazily: nothing heavy is imported here)."""
from ..hookspecs import hookimpl


@hookimpl
def sasnets_register_stores(register):
    register("hdf5", "sasnets.stores.hdf5:HDF5Store", schemes=("h5", "file"),
             suffixes=(".h5", ".hdf5", ".hdf"),
             description="embedded HDF5 file (default): chunked, appendable, fast full reads")
    register("sqlite", "sasnets.stores.sqlite:SQLiteStore", suffixes=(".db", ".sqlite", ".sqlite3"),
             keep_scheme=True,
             description="SQLite file, one table per tag; also reads 2017 data.db/sasnets.db")
    register("postgresql", "sasnets.stores.postgres:PostgresStore", schemes=("postgres",), keep_scheme=True,
             description="PostgreSQL database (psycopg2), one table per tag; also reads 2017 train_data/eval_data")
    register("json", "sasnets.stores.jsondir:JSONStore",
             description="directory of JSON Lines files, one per tag and model; also reads 2017 JSON files")
    register("aggr", "sasnets.stores.aggr:AggrStore",
             description="aggregated text, one file per tag and model; also reads 2017 result_<tag>_<model> files")

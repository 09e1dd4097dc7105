"""SQLite store: one database file (Python's ``sqlite3``, no server).

URLs: ``sqlite:///data.db`` (relative, as SQLAlchemy spells it),
``sqlite:////abs/path/data.db`` (absolute), ``sqlite:data.db``, or a bare
path ending in ``.db``, ``.sqlite`` or ``.sqlite3``.

Layout written (format ``sasnets-sqlite``, version 1)::

    sasnets_meta(key TEXT PRIMARY KEY, value TEXT)
        sasnets_format = 'sasnets-sqlite', format_version = '1'
    sasnets_tags(tag TEXT PRIMARY KEY, provenance TEXT)   -- JSON list of run records
    "<tag>"(                                              -- one table per tag
        id      INTEGER PRIMARY KEY,   -- storage order
        model   TEXT NOT NULL,         -- scattering model
        seed    INTEGER NOT NULL,      -- seed that reproduces the curve
        idx     INTEGER NOT NULL,      -- generation index within (tag, model); -1 unknown
        params  TEXT NOT NULL,         -- JSON object of parameter values
        npoints INTEGER NOT NULL,
        q, dq, iq, diq BLOB            -- little-endian float32 arrays
    )
    UNIQUE INDEX "<tag>_model_idx" ON "<tag>"(model, idx) WHERE idx >= 0

The per-tag table keeps the columns of 2017's ``sasnets.db`` (``model, seed,
params, q, dq, iq, diq``) and adds ``idx`` and ``npoints``.  A batch is one
transaction; curves whose (model, idx) is already stored are skipped
(``INSERT OR IGNORE``), so rerunning an interrupted generation or conversion
tops up without duplicates.

Layouts read (detected automatically, read-only):

* 2017 ``data.db``: tables such as ``train_data``/``eval_data`` with columns
  ``id, iq, diq, model`` (tags ``train``/``eval``).  These carry no q: q reads
  as NaN, dq as zeros, seeds and indices as -1.
* 2017 ``sasnets.db``: one table per tag with ``model, seed, params, q, dq,
  iq, diq``.

Array cells in those files may be list text (``[0.1, 0.2]``, Python or JSON
style, or ``{0.1,0.2}``) or blobs of float64; parameters JSON or a Python
dict literal.  Table names are quoted as identifiers (``"…"`` with doubled
quotes), never interpolated raw, and tag names are validated.
"""
from __future__ import annotations

import json
import os
import sqlite3

import numpy as np

from ..data.curves import CurveBatch
from ..errors import StoreError, UsageError
from . import _sqlcommon as common
from .base import Store, check_tag

__all__ = ["SQLiteStore", "quote_identifier", "sqlite_path"]

FORMAT = "sasnets-sqlite"
VERSION = 1
_RESERVED_PREFIXES = ("sqlite_", "sasnets_")
_OWN_COLUMNS = ("model", "seed", "idx", "params", "q", "dq", "iq", "diq")


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQLite identifier (the equivalent of psycopg2's ``sql.Identifier``)."""
    if "\x00" in name:
        raise UsageError(f"Table name {name!r} contains a NUL character.")
    return '"' + name.replace('"', '""') + '"'


def sqlite_path(location: str) -> str:
    """The file path of a ``sqlite:`` URL (or a bare path)."""
    if location.lower().startswith("sqlite:"):
        rest = location[len("sqlite:"):]
        if rest.startswith("//"):
            rest = rest[2:]
            if rest.startswith("/"):
                rest = rest[1:]
        location = rest
    if not location:
        raise UsageError("The SQLite URL names no file; write sqlite:///data.db or sqlite:////abs/path/data.db.")
    return os.path.expanduser(location)


def _check_own_tag(tag: str) -> str:
    check_tag(tag)
    if tag.lower().startswith(_RESERVED_PREFIXES):
        raise UsageError(f"Tag {tag!r} is reserved in SQLite stores (names starting with sqlite_ or sasnets_); choose another --tag.")
    return tag


class SQLiteStore(Store):
    """Curves in an SQLite file: one table per tag; also reads the 2017 layouts."""

    def __init__(self, location: str, mode: str = "r"):
        super().__init__(location, mode)
        self.path = sqlite_path(location)
        if os.path.isdir(self.path):
            raise StoreError(f"Store path {self.path!r} is a directory; give an SQLite file name such as sqlite:///data.db.")
        if mode == "r" and not os.path.exists(self.path):
            raise StoreError(f"SQLite store {self.path!r} does not exist; check the path or write into it first.")
        if mode == "a":
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        try:
            uri = "file:" + _uri_path(self.path) + ("?mode=ro" if mode == "r" else "")
            self._conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open SQLite store {self.path!r} ({exc}).") from None
        self._ids: dict[str, np.ndarray] = {}
        self._layout = self._detect()

    # -- layout -------------------------------------------------------------
    def _detect(self) -> dict:
        """``{"own": bool, "tables": {tag: (table, columns)}}``."""
        try:
            names = [r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path!r} is not an SQLite database ({exc}).") from None
        if "sasnets_meta" in names:
            meta = dict(self._conn.execute("SELECT key, value FROM sasnets_meta"))
            if meta.get("sasnets_format") != FORMAT:
                raise StoreError(f"{self.path!r} has a sasnets_meta table but is not a {FORMAT} store.")
            tags = [r[0] for r in self._conn.execute("SELECT tag FROM sasnets_tags ORDER BY tag")]
            return {"own": True, "tables": {t: (t, _OWN_COLUMNS) for t in tags}}
        tables = {}
        for name in names:
            if name.startswith("sqlite_"):
                continue
            cols = [r[1].lower() for r in self._conn.execute(f"PRAGMA table_info({quote_identifier(name)})")]
            if "iq" in cols and "model" in cols:
                tag = name if "q" in cols else common.legacy_tag_name(name)
                tables[tag] = (name, tuple(cols))
        if tables:
            return {"own": False, "tables": tables}
        if names:
            raise StoreError(f"{self.path!r} is an SQLite database but holds no sasnets or 2017 SASNets tables.")
        if self.mode == "a":
            self._create_meta()
        return {"own": True, "tables": {}}

    def _create_meta(self):
        with self._transaction() as c:
            c.execute("CREATE TABLE IF NOT EXISTS sasnets_meta(key TEXT PRIMARY KEY, value TEXT)")
            c.execute("INSERT OR REPLACE INTO sasnets_meta VALUES ('sasnets_format', ?), ('format_version', ?)",
                      (FORMAT, str(VERSION)))
            c.execute("CREATE TABLE IF NOT EXISTS sasnets_tags(tag TEXT PRIMARY KEY, provenance TEXT NOT NULL DEFAULT '[]')")

    def _transaction(self):
        conn = self._conn

        class _Tx:
            def __enter__(self):
                conn.execute("BEGIN IMMEDIATE")
                return conn

            def __exit__(self, kind, *rest):
                conn.execute("COMMIT" if kind is None else "ROLLBACK")

        return _Tx()

    def _table(self, tag: str):
        return self._layout["tables"].get(tag)

    def _select(self, tag: str, with_params: bool) -> str:
        table, cols = self._table(tag)
        exprs = []
        for name in _OWN_COLUMNS:
            if name == "params" and not with_params:
                exprs.append("NULL")
            elif name in cols:
                exprs.append(quote_identifier(name))
            else:
                exprs.append("NULL")
        return f"SELECT {', '.join(exprs)} FROM {quote_identifier(table)}"

    def _require_writable(self):
        if self.mode != "a":
            raise StoreError(f"SQLite store {self.path!r} was opened read-only.")
        if not self._layout["own"]:
            raise StoreError(f"{self.path!r} holds 2017 SASNets tables, which sasnets reads but does not extend; "
                             "convert it into a new store (sasnets convert).")

    # -- interface ------------------------------------------------------------
    def tags(self) -> list[str]:
        if self._layout["own"]:  # another process may have added tags
            self._layout = self._detect()
        return sorted(self._layout["tables"])

    def counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for tag in self.tags():
            table, _ = self._table(tag)
            rows = self._conn.execute(f"SELECT model, count(*) FROM {quote_identifier(table)} GROUP BY model ORDER BY model")
            out[tag] = {m: int(n) for m, n in rows if n}
        return out

    def _tag_ids(self, tag: str, refresh: bool = False) -> np.ndarray:
        """Sorted rowids of ``tag`` (``id`` is the rowid in our layout; 2017 tables use their rowid)."""
        if refresh or tag not in self._ids:
            table, _ = self._table(tag)
            rows = self._conn.execute(f"SELECT rowid FROM {quote_identifier(table)} ORDER BY rowid").fetchall()
            self._ids[tag] = np.array([r[0] for r in rows], dtype=np.int64)
        return self._ids[tag]

    def size(self, tag: str) -> int:
        if tag not in self.tags():
            return 0
        return len(self._tag_ids(tag, refresh=True))

    def read_slice(self, tag: str, start: int, stop: int, with_params: bool = True) -> CurveBatch:
        if self._table(tag) is None:
            return CurveBatch.empty()
        span = common.positions_to_id_range(self._tag_ids(tag), start, stop)
        if span is None:
            return CurveBatch.empty()
        idcol = "rowid"
        rows = self._conn.execute(f"{self._select(tag, with_params)} WHERE {idcol} BETWEEN ? AND ? ORDER BY {idcol}", span)
        return common.rows_to_batch(rows, self._layout["own"], with_params, f"{self.path} table {tag}")

    def read(self, tag: str, models=None, with_params: bool = True) -> CurveBatch:
        self._require_tag(tag)
        query = self._select(tag, with_params)
        args: tuple = ()
        if models is not None:
            models = list(models)
            query += f" WHERE model IN ({', '.join('?' * len(models))})"
            args = tuple(models)
        rows = self._conn.execute(query + " ORDER BY rowid", args)
        return common.rows_to_batch(rows, self._layout["own"], with_params, f"{self.path} table {tag}")

    def iter_batches(self, tag, batch_size, shuffle=True, seed=None, models=None, block_size=None,
                     buffer_blocks=16, with_params=False):
        self._require_tag(tag)
        self._tag_ids(tag, refresh=True)  # one snapshot of the ids for the whole pass
        yield from super().iter_batches(tag, batch_size, shuffle, seed, models, block_size, buffer_blocks, with_params)

    def existing_indices(self, tag: str, model: str) -> np.ndarray:
        if tag not in self.tags():
            return np.zeros(0, np.int64)
        table, cols = self._table(tag)
        if "idx" not in cols:
            n = self._conn.execute(f"SELECT count(*) FROM {quote_identifier(table)} WHERE model = ?", (model,)).fetchone()[0]
            return np.full(n, -1, np.int64)
        rows = self._conn.execute(f"SELECT idx FROM {quote_identifier(table)} WHERE model = ?", (model,)).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def write(self, tag: str, batch: CurveBatch) -> None:
        _check_own_tag(tag)
        self._require_writable()
        if not len(batch):
            return
        table = quote_identifier(tag)
        offsets = batch.offsets
        cols = [np.ascontiguousarray(getattr(batch, c), dtype="<f4") for c in ("q", "dq", "iq", "diq")]
        params = batch.params_json()
        rows = []
        for i, model in enumerate(batch.models.astype(str)):
            a, b = offsets[i], offsets[i + 1]
            rows.append((model, int(batch.seeds[i]), int(batch.indices[i]), params[i], int(b - a),
                         *(c[a:b].tobytes() for c in cols)))
        try:
            with self._transaction() as c:
                c.execute(f"CREATE TABLE IF NOT EXISTS {table}(id INTEGER PRIMARY KEY, model TEXT NOT NULL, "
                          "seed INTEGER NOT NULL, idx INTEGER NOT NULL, params TEXT NOT NULL, npoints INTEGER NOT NULL, "
                          "q BLOB, dq BLOB, iq BLOB, diq BLOB)")
                c.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {quote_identifier(tag + '_model_idx')} "
                          f"ON {table}(model, idx) WHERE idx >= 0")
                c.execute("INSERT OR IGNORE INTO sasnets_tags(tag, provenance) VALUES (?, '[]')", (tag,))
                c.executemany(f"INSERT OR IGNORE INTO {table}(model, seed, idx, params, npoints, q, dq, iq, diq) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            raise StoreError(f"Writing to SQLite store {self.path!r} failed ({exc}); curves written before are kept.") from None
        self._layout["tables"][tag] = (tag, _OWN_COLUMNS)
        self._ids.pop(tag, None)

    def add_provenance(self, tag: str, record: dict) -> None:
        _check_own_tag(tag)
        self._require_writable()
        with self._transaction() as c:
            row = c.execute("SELECT provenance FROM sasnets_tags WHERE tag = ?", (tag,)).fetchone()
            if row is None:
                raise StoreError(f"SQLite store {self.path!r} has no tag {tag!r} to record provenance for.")
            runs = json.loads(row[0])
            runs.append(record)
            c.execute("UPDATE sasnets_tags SET provenance = ? WHERE tag = ?", (json.dumps(runs, default=str), tag))

    def provenance(self, tag: str) -> list[dict]:
        if not self._layout["own"]:
            return []
        row = self._conn.execute("SELECT provenance FROM sasnets_tags WHERE tag = ?", (tag,)).fetchone()
        return json.loads(row[0]) if row else []

    @property
    def url(self) -> str:
        return self.path

    def close(self) -> None:
        conn, self._conn = getattr(self, "_conn", None), None
        if conn is not None:
            conn.close()


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))

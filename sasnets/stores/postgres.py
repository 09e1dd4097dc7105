"""PostgreSQL store (psycopg2): a dataset a team shares through a database.

URL: ``postgresql://user[:password]@host[:port]/dbname`` (``postgres://``
too, and any libpq URI parameters such as ``?sslmode=require``).  Whatever the
URL leaves out comes from the standard ``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGPASSWORD``/``~/.pgpass``, ``PGDATABASE`` variables (libpq reads them).  The
password is never printed: messages name ``host:port/dbname`` only.

Layout written (format ``sasnets-postgresql``, version 1): the 2017 schema
(``train_data(id integer, iq numeric[], diq numeric[], model text)``) with
per-curve metadata added, one table per tag::

    sasnets_meta(key text PRIMARY KEY, value text)     -- sasnets_format, format_version
    sasnets_tags(tag text PRIMARY KEY, tbl text NOT NULL, provenance jsonb NOT NULL)
    "<tag>_data"(
        id      bigserial PRIMARY KEY,  -- storage order
        model   text NOT NULL,          -- scattering model
        seed    bigint NOT NULL,
        idx     bigint NOT NULL,        -- generation index within (tag, model); -1 unknown
        params  jsonb NOT NULL,         -- parameter values (queryable: params->>'radius')
        npoints integer NOT NULL,
        q, dq, iq, diq real[]           -- float32 values, exact
    )
    UNIQUE INDEX ON "<tag>_data"(model, idx) WHERE idx >= 0

so 2017 tools that read ``iq``, ``diq`` and ``model`` from ``train_data`` read
a sasnets tag ``train`` unchanged.  Tags are validated (a letter, then
letters, digits, underscores; at most 48 characters so every derived name fits
PostgreSQL's 63) and every table name reaches SQL through
``psycopg2.sql.Identifier``.

Writing: each batch is one transaction: a binary ``COPY`` into a temporary
table, then ``INSERT … SELECT … ON CONFLICT DO NOTHING``.  A lost connection
rolls the batch back whole, a rerun skips curves already stored, and two
writers filling the same tag never duplicate a (model, idx).

Reading: full reads and :meth:`PostgresStore.iter_batches` stream through a
server-side (named) cursor.  A shuffled pass chooses a random order of
blocks of consecutive ids on the client and fetches them all through one
query (``JOIN unnest(block bounds) WITH ORDINALITY``), then mixes a buffer
of blocks before cutting batches: memory stays bounded and no query sorts
the table by ``random()``.

Tables from 2017 (columns ``iq``, ``diq``, ``model`` and maybe more, arrays
of ``numeric``) that sasnets did not create are read too: ``train_data`` is
tag ``train``; q reads as NaN, dq as zeros, seeds and indices as -1.  They are
never written to.
"""
from __future__ import annotations

import io
import json
import os
import struct
from typing import Iterator

import numpy as np

from ..data.curves import CurveBatch
from ..errors import StoreError, UsageError
from . import _sqlcommon as common
from .base import Store, check_tag

__all__ = ["PostgresStore", "describe_dsn"]

FORMAT = "sasnets-postgresql"
VERSION = 1
MAX_TAG = 48
_ARRAYS = ("q", "dq", "iq", "diq")
_FETCH = 2000
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_FLOAT4_OID = 700


def _psycopg2():
    try:
        import psycopg2
        import psycopg2.extensions
        import psycopg2.sql
    except ImportError:
        raise StoreError("The PostgreSQL store needs psycopg2; install it with pip install 'sasnets[postgres]'.") from None
    return psycopg2


def describe_dsn(url: str) -> str:
    """``host:port/dbname`` of a libpq URL (environment defaults applied), without user or password."""
    psycopg2 = _psycopg2()
    try:
        params = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError:
        return "the given URL"
    host = params.get("host") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user") or os.environ.get("PGUSER") or "?"
    return f"{host}:{port}/{db}"


def _check_pg_tag(tag: str) -> str:
    check_tag(tag)
    if len(tag) > MAX_TAG:
        raise UsageError(f"Tag {tag!r} is too long for a PostgreSQL store (at most {MAX_TAG} characters); choose a shorter --tag.")
    if tag.lower().startswith("sasnets_"):
        raise UsageError(f"Tag {tag!r} is reserved in PostgreSQL stores (names starting with sasnets_); choose another --tag.")
    return tag


def _first_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _pg_array(values: np.ndarray) -> bytes:
    """One float32 array in PostgreSQL's binary array format (real[])."""
    n = len(values)
    head = struct.pack(">iiiii", 1, 0, _FLOAT4_OID, n, 1)
    body = np.empty(n, dtype=[("len", ">i4"), ("val", ">f4")])
    body["len"] = 4
    body["val"] = values
    return head + body.tobytes()


def _decode_real_arrays(cells) -> tuple[np.ndarray, np.ndarray]:
    """Values and lengths of one-dimensional ``real[]`` arrays in PostgreSQL's
    binary array format (``array_send``): a header (ndim, has-nulls flag,
    element type, then length and lower bound per dimension) followed by
    (int32 length, float32 value) pairs, all big-endian.  Decoded for all
    cells at once, without a Python loop over values."""
    sizes = np.fromiter((len(c) for c in cells), np.int64, len(cells))
    if np.any(sizes % 4) or np.any(sizes < 12):
        raise ValueError("not a binary array")
    raw = np.frombuffer(b"".join(cells), dtype=">i4")
    starts = np.concatenate([[0], np.cumsum(sizes // 4)[:-1]])
    ndim, nulls = raw[starts], raw[starts + 1]
    if np.any(ndim > 1) or np.any(nulls != 0):
        raise ValueError("not one-dimensional arrays of non-NULL values")
    filled = ndim == 1
    lengths = np.zeros(len(cells), np.int64)
    lengths[filled] = raw[starts[filled] + 3]
    if np.any(sizes // 4 != np.where(filled, 5 + 2 * lengths, 3)):
        raise ValueError("not arrays of float4 values")
    first = np.repeat(starts + 6 - np.concatenate([[0], np.cumsum(2 * lengths)[:-1]]), lengths)
    positions = first + 2 * np.arange(int(lengths.sum()))
    if np.any(raw[positions - 1] != 4):
        raise ValueError("not arrays of float4 values")
    return raw.view(">f4")[positions].astype(np.float32), lengths


def _field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


class PostgresStore(Store):
    """Curves in a PostgreSQL database: one table per tag; also reads 2017 tables."""

    def __init__(self, location: str, mode: str = "r"):
        super().__init__(location, mode)
        psycopg2 = _psycopg2()
        self.where = describe_dsn(location)
        try:
            self._conn = psycopg2.connect(location, connect_timeout=int(os.environ.get("PGCONNECT_TIMEOUT", "10")),
                                          application_name="sasnets")
        except psycopg2.Error as exc:
            raise StoreError(f"Cannot connect to PostgreSQL at {self.where} ({_first_line(exc)}); "
                             "check the URL or PG* variables.") from None
        self._ids: dict[str, np.ndarray] = {}
        self._cursors = 0
        if mode == "a":
            self._ensure_meta()

    # -- helpers --------------------------------------------------------------
    def _sql(self):
        return _psycopg2().sql

    def _execute(self, query, args=None, fetch=True):
        psycopg2 = _psycopg2()
        try:
            with self._conn.cursor() as cur:
                cur.execute(query, args)
                rows = cur.fetchall() if fetch and cur.description is not None else None
            self._conn.commit()
            return rows
        except psycopg2.Error as exc:
            self._rollback()
            raise self._error("reading from", exc) from None

    def _rollback(self):
        try:
            self._conn.rollback()
        except Exception:
            pass

    def _error(self, doing: str, exc) -> StoreError:
        psycopg2 = _psycopg2()
        if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            return StoreError(f"Lost the connection to PostgreSQL at {self.where} while {doing} it ({_first_line(exc)}); "
                              "curves written before are kept; rerun to resume.")
        return StoreError(f"PostgreSQL at {self.where} failed while {doing} it ({_first_line(exc)}).")

    def _ensure_meta(self):
        sql = self._sql()
        psycopg2 = _psycopg2()
        try:
            with self._conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext('sasnets_meta'))")
                cur.execute("CREATE TABLE IF NOT EXISTS sasnets_meta(key text PRIMARY KEY, value text)")
                cur.execute("INSERT INTO sasnets_meta VALUES ('sasnets_format', %s), ('format_version', %s) "
                            "ON CONFLICT (key) DO NOTHING", (FORMAT, str(VERSION)))
                cur.execute("CREATE TABLE IF NOT EXISTS sasnets_tags(tag text PRIMARY KEY, tbl text NOT NULL, "
                            "provenance jsonb NOT NULL DEFAULT '[]')")
                cur.execute("SELECT value FROM sasnets_meta WHERE key = 'sasnets_format'")
                fmt = cur.fetchone()[0]
            self._conn.commit()
        except psycopg2.Error as exc:
            self._rollback()
            raise self._error("preparing", exc) from None
        if fmt != FORMAT:
            raise StoreError(f"The database at {self.where} has a sasnets_meta table of another format ({fmt!r}).")
        del sql

    def _tables(self) -> dict[str, tuple[str, bool]]:
        """``{tag: (table, own)}`` for our tags and 2017 tables."""
        rows = self._execute(
            "SELECT table_name, array_agg(column_name::text) FROM information_schema.columns "
            "WHERE table_schema = current_schema() GROUP BY table_name")
        columns = {name: set(cols) for name, cols in rows}
        out: dict[str, tuple[str, bool]] = {}
        if "sasnets_tags" in columns:
            for tag, table in self._execute("SELECT tag, tbl FROM sasnets_tags"):
                if table in columns:
                    out[tag] = (table, True)
        own_tables = {t for t, _ in out.values()}
        for name, cols in sorted(columns.items()):
            if name in own_tables or name.startswith("sasnets_") or not {"iq", "model"} <= cols:
                continue
            tag = common.legacy_tag_name(name)
            if tag not in out:
                out[tag] = (name, False)
        self._columns = columns
        return out

    def _table(self, tag: str):
        return self._tables().get(tag)

    def _select(self, tag: str, with_params: bool, table_info=None):
        """The column list (model, seed, idx, params, q, dq, iq, diq) of ``tag``, missing ones as NULL."""
        sql = self._sql()
        table, own = table_info or self._table(tag)
        cols = self._columns.get(table, set())
        parts = [sql.SQL("t.model")]
        for name, cast in (("seed", None), ("idx", None)):
            parts.append(sql.SQL("t.{}").format(sql.Identifier(name)) if name in cols else sql.SQL("NULL"))
        parts.append(sql.SQL("t.params::text") if with_params and "params" in cols else sql.SQL("NULL"))
        for name in _ARRAYS:
            if name in cols:  # binary array format: no float-to-text conversion on the server
                parts.append(sql.SQL("array_send(CAST(t.{} AS real[]))").format(sql.Identifier(name)))
            else:
                parts.append(sql.SQL("NULL"))
        return sql.SQL(", ").join(parts), sql.Identifier(table)

    def _rows_to_batch(self, rows, with_params: bool, tag: str) -> CurveBatch:
        """Decode text arrays column-wise: one parser call per column per chunk."""
        if not rows:
            return CurveBatch.empty()
        arrays = {}
        lengths = None
        for k, name in enumerate(_ARRAYS, start=4):
            cells = [r[k] for r in rows]
            if any(c is None for c in cells):
                arrays[name] = None
                continue
            try:
                values, lens = _decode_real_arrays(cells)
            except ValueError as exc:
                raise StoreError(f"PostgreSQL table for tag {tag!r} at {self.where} holds an unreadable array ({exc}).") from None
            if lengths is None:
                lengths = lens
            elif not np.array_equal(lens, lengths):
                raise StoreError(f"PostgreSQL table for tag {tag!r} at {self.where}: {name} and iq lengths differ.")
            arrays[name] = values
        if lengths is None:
            raise StoreError(f"PostgreSQL table for tag {tag!r} at {self.where} has no iq values.")
        total = int(lengths.sum())
        for name, fill in (("q", np.nan), ("dq", 0.0), ("diq", 0.0)):
            if arrays[name] is None:
                arrays[name] = np.full(total, fill, np.float32)
        return CurveBatch(
            models=np.array([r[0] for r in rows], dtype=object),
            offsets=np.concatenate([[0], np.cumsum(lengths)]),
            **arrays,
            seeds=np.array([-1 if r[1] is None else r[1] for r in rows], np.int64),
            indices=np.array([-1 if r[2] is None else r[2] for r in rows], np.int64),
            params=[common.decode_params(r[3]) for r in rows] if with_params else None,
        )

    def _stream(self, query, args, with_params: bool, tag: str, chunk: int = _FETCH) -> Iterator[CurveBatch]:
        """Run ``query`` through a server-side cursor, yielding a batch per ``chunk`` rows."""
        psycopg2 = _psycopg2()
        self._cursors += 1
        try:
            with self._conn.cursor(name=f"sasnets_stream_{os.getpid()}_{self._cursors}") as cur:
                cur.itersize = chunk
                cur.execute(query, args)
                while True:
                    rows = cur.fetchmany(chunk)
                    if not rows:
                        break
                    yield self._rows_to_batch(rows, with_params, tag)
            self._conn.commit()
        except psycopg2.Error as exc:
            self._rollback()
            raise self._error("reading from", exc) from None
        finally:
            if self._conn.status != psycopg2.extensions.STATUS_READY:
                self._rollback()

    # -- interface ------------------------------------------------------------
    def tags(self) -> list[str]:
        return sorted(self._tables())

    def counts(self) -> dict[str, dict[str, int]]:
        sql = self._sql()
        out = {}
        for tag, (table, _) in sorted(self._tables().items()):
            rows = self._execute(sql.SQL("SELECT model, count(*) FROM {} GROUP BY model ORDER BY model")
                                 .format(sql.Identifier(table)))
            out[tag] = {m: int(c) for m, c in rows}
        return out

    def _tag_ids(self, tag: str, refresh: bool = False) -> np.ndarray:
        if refresh or tag not in self._ids:
            sql = self._sql()
            table, _ = self._table(tag)
            idcol = "id" if "id" in self._columns.get(table, ()) else "ctid"
            if idcol == "ctid":
                raise StoreError(f"PostgreSQL table {table!r} at {self.where} has no id column to read it in order.")
            rows = self._execute(sql.SQL("SELECT id FROM {} ORDER BY id").format(sql.Identifier(table)))
            self._ids[tag] = np.array([r[0] for r in rows], dtype=np.int64)
        return self._ids[tag]

    def size(self, tag: str) -> int:
        if self._table(tag) is None:
            return 0
        return len(self._tag_ids(tag, refresh=True))

    def read_slice(self, tag: str, start: int, stop: int, with_params: bool = True) -> CurveBatch:
        info = self._table(tag)
        if info is None:
            return CurveBatch.empty()
        span = common.positions_to_id_range(self._tag_ids(tag), start, stop)
        if span is None:
            return CurveBatch.empty()
        sql = self._sql()
        cols, table = self._select(tag, with_params, info)
        query = sql.SQL("SELECT {} FROM {} t WHERE t.id BETWEEN %s AND %s ORDER BY t.id").format(cols, table)
        return CurveBatch.concat(list(self._stream(query, span, with_params, tag)))

    def read(self, tag: str, models=None, with_params: bool = True) -> CurveBatch:
        self._require_tag(tag)
        sql = self._sql()
        cols, table = self._select(tag, with_params)
        where, args = sql.SQL(""), None
        if models is not None:
            where, args = sql.SQL(" WHERE t.model = ANY(%s)"), (list(models),)
        query = sql.SQL("SELECT {} FROM {} t{} ORDER BY t.id").format(cols, table, where)
        return CurveBatch.concat(list(self._stream(query, args, with_params, tag)))

    def iter_batches(self, tag, batch_size, shuffle=True, seed=None, models=None, block_size=None,
                     buffer_blocks=16, with_params=False):
        self._require_tag(tag)
        self._tag_ids(tag, refresh=True)  # one snapshot of the ids for the whole pass
        yield from super().iter_batches(tag, batch_size, shuffle, seed, models, block_size, buffer_blocks, with_params)

    def _read_spans(self, tag, spans, with_params):
        """All spans through one server-side cursor, in the given order.

        Each span is an index range scan (``LATERAL``), run in span order by a
        nested loop, so rows arrive grouped by span without sorting anything.
        """
        if not spans:
            return
        ids = self._tag_ids(tag)
        lo = [int(ids[a]) for a, b in spans]
        hi = [int(ids[b - 1]) for a, b in spans]
        sql = self._sql()
        cols, table = self._select(tag, with_params)
        query = sql.SQL(
            "SELECT b.ord, x.* FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS b(lo, hi, ord) "
            "CROSS JOIN LATERAL (SELECT {} FROM {} t WHERE t.id BETWEEN b.lo AND b.hi ORDER BY t.id) x"
        ).format(cols, table)
        psycopg2 = _psycopg2()
        self._cursors += 1
        try:
            with self._conn.cursor() as cur:  # keep the plan a plain ordered nested loop
                cur.execute("SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off")
            with self._conn.cursor(name=f"sasnets_stream_{os.getpid()}_{self._cursors}") as cur:
                cur.itersize = _FETCH
                cur.execute(query, (lo, hi))
                while True:
                    rows = cur.fetchmany(_FETCH)
                    if not rows:
                        break
                    start = 0
                    for k in range(1, len(rows) + 1):  # one part per run of rows from the same span
                        if k == len(rows) or rows[k][0] != rows[start][0]:
                            yield self._rows_to_batch([r[1:] for r in rows[start:k]], with_params, tag)
                            start = k
            self._conn.commit()
        except psycopg2.Error as exc:
            self._rollback()
            raise self._error("reading from", exc) from None

    def existing_indices(self, tag: str, model: str) -> np.ndarray:
        info = self._table(tag)
        if info is None:
            return np.zeros(0, np.int64)
        sql = self._sql()
        table, own = info
        if "idx" not in self._columns.get(table, ()):
            rows = self._execute(sql.SQL("SELECT -1 FROM {} WHERE model = %s").format(sql.Identifier(table)), (model,))
        else:
            rows = self._execute(sql.SQL("SELECT idx FROM {} WHERE model = %s").format(sql.Identifier(table)), (model,))
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _copy_data(self, batch: CurveBatch) -> bytes:
        """``batch`` in binary COPY format for the temporary table's columns."""
        out = io.BytesIO()
        out.write(_COPY_HEADER)
        params = batch.params_json()
        cols = [getattr(batch, c) for c in _ARRAYS]
        off = batch.offsets
        fields = struct.Struct(">h")
        for i, model in enumerate(batch.models.astype(str)):
            a, b = off[i], off[i + 1]
            out.write(fields.pack(9))
            out.write(_field(model.encode()))
            out.write(_field(struct.pack(">q", int(batch.seeds[i]))))
            out.write(_field(struct.pack(">q", int(batch.indices[i]))))
            out.write(_field(b"\x01" + params[i].encode()))
            out.write(_field(struct.pack(">i", int(b - a))))
            for c in cols:
                out.write(_field(_pg_array(c[a:b])))
        out.write(fields.pack(-1))
        return out.getvalue()

    def write(self, tag: str, batch: CurveBatch) -> None:
        _check_pg_tag(tag)
        if self.mode != "a":
            raise StoreError(f"PostgreSQL store at {self.where} was opened read-only.")
        if not len(batch):
            return
        info = self._tables().get(tag)
        if info is not None and not info[1]:
            raise StoreError(f"Tag {tag!r} at {self.where} is a 2017 table ({info[0]}) that sasnets reads but does not "
                             "extend; write under another --tag.")
        sql = self._sql()
        psycopg2 = _psycopg2()
        table = sql.Identifier(f"{tag}_data")
        data = self._copy_data(batch)
        try:
            with self._conn.cursor() as cur:
                if info is None:
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"sasnets_tag:{tag}",))
                    cur.execute(sql.SQL(
                        "CREATE TABLE IF NOT EXISTS {}(id bigserial PRIMARY KEY, model text NOT NULL, seed bigint NOT NULL, "
                        "idx bigint NOT NULL, params jsonb NOT NULL, npoints integer NOT NULL, "
                        "q real[], dq real[], iq real[], diq real[])").format(table))
                    cur.execute(sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {}(model, idx) WHERE idx >= 0")
                                .format(sql.Identifier(f"{tag}_data_model_idx"), table))
                    cur.execute("INSERT INTO sasnets_tags(tag, tbl, provenance) VALUES (%s, %s, '[]') "
                                "ON CONFLICT (tag) DO NOTHING", (tag, f"{tag}_data"))
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS sasnets_incoming(model text, seed bigint, idx bigint, "
                            "params jsonb, npoints integer, q real[], dq real[], iq real[], diq real[]) ON COMMIT DELETE ROWS")
                cur.copy_expert("COPY sasnets_incoming FROM STDIN WITH (FORMAT binary)", io.BytesIO(data))
                cur.execute(sql.SQL(
                    "INSERT INTO {}(model, seed, idx, params, npoints, q, dq, iq, diq) "
                    "SELECT model, seed, idx, params, npoints, q, dq, iq, diq FROM sasnets_incoming "
                    "ON CONFLICT (model, idx) WHERE idx >= 0 DO NOTHING").format(table))
            self._conn.commit()
        except psycopg2.Error as exc:
            self._rollback()
            raise self._error("writing to", exc) from None
        self._ids.pop(tag, None)

    def add_provenance(self, tag: str, record: dict) -> None:
        _check_pg_tag(tag)
        if self.mode != "a":
            raise StoreError(f"PostgreSQL store at {self.where} was opened read-only.")
        rows = self._execute("UPDATE sasnets_tags SET provenance = provenance || %s::jsonb WHERE tag = %s RETURNING tag",
                             (json.dumps([record], default=str), tag))
        if not rows:
            raise StoreError(f"PostgreSQL store at {self.where} has no tag {tag!r} to record provenance for.")

    def provenance(self, tag: str) -> list[dict]:
        if "sasnets_tags" not in getattr(self, "_columns", {}) and "sasnets_tags" not in {
                t for t, in self._execute("SELECT table_name::text FROM information_schema.tables "
                                          "WHERE table_schema = current_schema()")}:
            return []
        rows = self._execute("SELECT provenance::text FROM sasnets_tags WHERE tag = %s", (tag,))
        return json.loads(rows[0][0]) if rows else []

    @property
    def url(self) -> str:
        """The URL with any password masked."""
        psycopg2 = _psycopg2()
        try:
            params = psycopg2.extensions.parse_dsn(self.location)
        except psycopg2.ProgrammingError:
            return f"postgresql://{self.where}"
        user = params.get("user")
        return f"postgresql://{user + '@' if user else ''}{self.where}"

    def close(self) -> None:
        conn, self._conn = getattr(self, "_conn", None), None
        if conn is not None:
            conn.close()

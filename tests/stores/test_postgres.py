"""PostgreSQL specifics against a real throwaway server: 2017 tables,
transactional batches, concurrent writers, safe names and messages."""
import numpy as np
import psycopg2
import pytest

from sasnets.data import CurveBatch
from sasnets.errors import StoreError, UsageError
from sasnets.stores import open_store
from sasnets.testing import canonical

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres")]


def test_reads_2017_train_data_table(pg_url):
    conn = psycopg2.connect(pg_url)
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE train_data (id serial, iq numeric[], diq numeric[], model text)")
        cur.execute("INSERT INTO train_data (iq, diq, model) VALUES (%s, %s, 'sphere'), (%s, %s, 'cylinder')",
                    ([1.5, 2.25, 3.0], [0.1, 0.2, 0.3], [4.0, 5.0, 6.5], [0.4, 0.5, 0.6]))
    conn.close()
    with open_store(pg_url) as s:
        assert s.counts() == {"train": {"cylinder": 1, "sphere": 1}}
        back = s.read("train")
        np.testing.assert_array_equal(back.iq, np.float32([1.5, 2.25, 3.0, 4.0, 5.0, 6.5]))
        assert np.isnan(back.q).all() and back.indices.tolist() == [-1, -1]
    with open_store(pg_url, "a") as s, pytest.raises(StoreError, match="2017"):
        s.write("train", back)


def test_schema_keeps_2017_columns(pg_url, small_batch):
    with open_store(pg_url, "a") as s:
        s.write("train", small_batch)
    conn = psycopg2.connect(pg_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT iq, model, params->>'radius' FROM train_data ORDER BY id LIMIT 1")
        iq, model, radius = cur.fetchone()
    conn.close()
    assert model == "sphere" and float(radius) == 10.0
    np.testing.assert_array_equal(np.float32(iq), small_batch.curve(0).iq)


def test_failed_batch_leaves_nothing_and_rerun_tops_up(pg_url, small_batch):
    bad = CurveBatch.concat([small_batch.take([0, 1]), small_batch.take([2])])
    bad.models = bad.models.copy()
    bad.models[2] = "nul\x00model"  # PostgreSQL rejects NUL in text: the whole batch must roll back
    with open_store(pg_url, "a") as s:
        s.write("train", small_batch.take([0, 1]))
        with pytest.raises(StoreError):
            s.write("train", bad)
        assert s.size("train") == 2
        s.write("train", small_batch)  # already stored (model, idx) pairs are skipped
        assert canonical(s.read("train")).equals(canonical(small_batch))


def test_two_writers_never_duplicate(pg_url, small_batch):
    with open_store(pg_url, "a") as a, open_store(pg_url, "a") as b:
        a.write("train", small_batch.take(range(8)))
        b.write("train", small_batch)
        a.write("train", small_batch.take(range(4, 12)))
        assert a.size("train") == 12


def test_tag_names_are_validated(pg_url, small_batch):
    with open_store(pg_url, "a") as s:
        for bad in ['x"; DROP TABLE sasnets_meta; --', "sasnets_tags", "a" * 49]:
            with pytest.raises(UsageError):
                s.write(bad, small_batch)
        assert s.tags() == []


def test_connection_errors_hide_the_password(pg_server, monkeypatch):
    url = f"postgresql://sasnets:topsecret@127.0.0.1:{pg_server.port}/no_such_db"
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert "topsecret" not in str(err.value)
    assert f"127.0.0.1:{pg_server.port}/no_such_db" in str(err.value) and "PG*" in str(err.value)


def test_pg_environment_fills_the_url(pg_url, monkeypatch, small_batch):
    dbname = pg_url.rsplit("/", 1)[1]
    port = pg_url.rsplit(":", 1)[1].split("/")[0]
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", port)
    monkeypatch.setenv("PGUSER", "sasnets")
    monkeypatch.setenv("PGDATABASE", dbname)
    with open_store("postgresql://", "a") as s:
        s.write("eval", small_batch.take([0]))
        assert s.url == f"postgresql://127.0.0.1:{port}/{dbname}"
    with open_store(pg_url) as s:
        assert s.counts() == {"eval": {"sphere": 1}}

"""Reading the 2017 layouts: SQLite data.db / sasnets.db, aggregated text, JSON."""
import json
import sqlite3

import numpy as np
import pytest

from sasnets.data import CurveBatch
from sasnets.errors import DataError, StoreError
from sasnets.stores import open_store
from sasnets.stores.aggr import write_legacy_aggr
from sasnets.stores.jsondir import write_legacy_json


@pytest.fixture
def grid_batch():
    """Six curves on one shared q grid (the 2017 layouts store q once)."""
    rng = np.random.default_rng(3)
    q = np.logspace(-3, -1, 16)
    iq = rng.random((6, 16)) + 0.5
    return CurveBatch.from_matrix(["sphere", "sphere", "sphere", "cylinder", "cylinder", "cylinder"], q, iq,
                                  dq=q * 0.1, diq=iq * 0.03, seeds=np.arange(6) + 10,
                                  params=[{"radius": float(r)} for r in range(6)])


def test_sqlite_2017_data_db(tmp_path, grid_batch):
    path = tmp_path / "data.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE train_data (id integer, iq text, diq text, model text)")
    conn.execute("CREATE TABLE eval_data (id integer, iq blob, diq blob, model text)")
    for i, c in enumerate(grid_batch):
        conn.execute("INSERT INTO train_data VALUES (?, ?, ?, ?)",
                     (i, str([float(v) for v in c.iq]), json.dumps([float(v) for v in c.diq]), c.model))
    c = grid_batch.curve(0)
    conn.execute("INSERT INTO eval_data VALUES (0, ?, ?, ?)",
                 (c.iq.astype(np.float64).tobytes(), c.diq.astype(np.float64).tobytes(), c.model))
    conn.commit()
    conn.close()
    with open_store(str(path)) as s:
        assert s.counts() == {"train": {"sphere": 3, "cylinder": 3}, "eval": {"sphere": 1}}
        back = s.read("train")
        np.testing.assert_array_equal(back.iq, grid_batch.iq)
        np.testing.assert_array_equal(back.diq, grid_batch.diq)
        assert np.isnan(back.q).all() and (back.indices == -1).all()
        np.testing.assert_array_equal(s.read("eval").iq, c.iq)
    with open_store(str(path), "a") as s, pytest.raises(StoreError, match="2017"):
        s.write("train", grid_batch)


def test_sqlite_2017_sasnets_db(tmp_path, grid_batch):
    path = tmp_path / "sasnets.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE train (model text, seed integer, params text, q text, dq text, iq text, diq text)")
    for c in grid_batch:
        conn.execute("INSERT INTO train VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (c.model, c.seed, repr(c.params), *(str([float(v) for v in a]) for a in (c.q, c.dq, c.iq, c.diq))))
    conn.commit()
    conn.close()
    with open_store(f"sqlite:///{path}") as s:
        back = s.read("train")
        assert np.array_equal(back.q, grid_batch.q) and np.array_equal(back.iq, grid_batch.iq)
        assert back.seeds.tolist() == grid_batch.seeds.tolist()
        assert back.params == grid_batch.params


def test_sqlite_quotes_and_validates_names(tmp_path, small_batch):
    from sasnets.errors import UsageError
    from sasnets.stores.sqlite import quote_identifier

    assert quote_identifier('a"; DROP TABLE x; --') == '"a""; DROP TABLE x; --"'
    with open_store(f"sqlite:///{tmp_path}/x.db", "a") as s:
        for bad in ['x"; DROP TABLE sasnets_meta; --', "sasnets_meta", "1abc"]:
            with pytest.raises(UsageError):
                s.write(bad, small_batch)
        s.write("ok", small_batch)
        assert s.tags() == ["ok"]


def test_aggr_2017_files(tmp_path, grid_batch):
    sphere = grid_batch.take([0, 1, 2])
    write_legacy_aggr(str(tmp_path), "eval", "sphere", sphere)
    write_legacy_aggr(str(tmp_path), "train", "cylinder", grid_batch.take([3, 4, 5]))
    lines = (tmp_path / "result_eval_sphere").read_text().splitlines()
    assert len(lines) == 5 and lines[0] == "['sphere', 'sphere', 'sphere']"
    with open_store(f"aggr:{tmp_path}") as s:
        assert s.counts() == {"eval": {"sphere": 3}, "train": {"cylinder": 3}}
        back = s.read("eval")
        for col in ("q", "dq", "iq", "diq"):
            assert np.array_equal(getattr(back, col), getattr(sphere, col))
        assert (back.seeds == -1).all()


def test_aggr_2017_bad_file_is_one_line_error(tmp_path):
    (tmp_path / "result_train_sphere").write_text("['sphere']\n[0.1, 0.2]\n[[1.0]]\n[0.0, 0.0]\n[[1.0]]\n")
    with open_store(f"aggr:{tmp_path}") as s, pytest.raises(DataError, match="as many values as q"):
        s.counts()


@pytest.mark.parametrize("form", ["list", "object", "lines"])
def test_json_2017_files(tmp_path, grid_batch, form):
    path = tmp_path / "sphere_eval_0.json"
    write_legacy_json(str(path), grid_batch)
    objects = json.loads(path.read_text())
    assert objects[0]["param"]["Seed"] == 10 and set(objects[0]["data"]) == {"Q", "dQ", "I", "dI"}
    if form == "object":
        path.write_text(json.dumps(objects[0]))
    elif form == "lines":
        path.write_text("\n".join(json.dumps(o) for o in objects) + "\n")
    n = 1 if form == "object" else 6
    with open_store(f"json:{tmp_path}") as s:
        assert s.tags() == ["eval"]
        back = s.read("eval")
        expected = grid_batch.take(range(n))
        for col in ("q", "dq", "iq", "diq"):
            assert np.array_equal(getattr(back, col), getattr(expected, col))
        assert back.seeds.tolist() == expected.seeds.tolist() and (back.indices == -1).all()
        assert back.params == grid_batch.params[:n]


def test_directory_stores_ignore_and_repair_torn_lines(tmp_path, small_batch):
    url = f"aggr:{tmp_path}/a"
    with open_store(url, "a") as s:
        s.write("train", small_batch)
    path = tmp_path / "a" / "train" / "sphere.aggr"
    with open(path, "ab") as f:
        f.write(b"4 99 3 0.1 0.2")  # a writer killed mid-line
    with open_store(url, "a") as s:
        assert s.counts()["train"]["sphere"] == 4
        s.write("train", small_batch.take([0]))
        assert s.counts()["train"]["sphere"] == 5
        assert s.read("train", models=["sphere"]).seeds.tolist() == [1000, 1003, 1006, 1009, 1000]

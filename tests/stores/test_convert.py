"""``sasnets convert``: between stores, exact, filtered, resumable."""
import json

import numpy as np
import pytest

from sasnets.cli import cli
from sasnets.stores import open_store
from sasnets.stores.aggr import write_legacy_aggr
from sasnets.stores.convert import convert
from sasnets.testing import canonical


@pytest.fixture
def h5(tmp_path, small_batch):
    path = str(tmp_path / "src.h5")
    with open_store(path, "a") as s:
        s.write("train", small_batch)
        s.write("eval", small_batch.take([0, 1, 2]))
        s.add_provenance("train", {"run": "generate", "seed": 1})
    return path


@pytest.mark.parametrize("dst", ["sqlite:///{tmp}/x.db", "json:{tmp}/j", "aggr:{tmp}/a", "{tmp}/copy.h5"])
def test_cli_convert_preserves_everything(cli_runner, tmp_path, h5, small_batch, dst):
    dst = dst.format(tmp=tmp_path)
    result = cli_runner.invoke(cli, ["convert", h5, dst])
    assert result.exit_code == 0, result.output
    assert "12 curves written" in result.output
    with open_store(h5) as a, open_store(dst) as b:
        assert a.counts() == b.counts()
        for tag in ("train", "eval"):
            assert canonical(b.read(tag)).equals(canonical(a.read(tag)))
        assert b.provenance("train")[0] == {"run": "generate", "seed": 1}
        assert b.provenance("train")[1]["run"] == "convert"


def test_rerun_tops_up_without_duplicates(tmp_path, h5):
    dst = f"sqlite:///{tmp_path}/x.db"
    first = convert(h5, dst, tags=["train"], models=["sphere"])
    assert first.written == {"train": 4}
    again = convert(h5, dst)
    assert again.written == {"train": 8, "eval": 3} and again.skipped == {"train": 4, "eval": 0}
    with open_store(dst) as s:
        assert s.counts() == {"train": {"sphere": 4, "cylinder": 4, "lamellar": 4},
                              "eval": {"sphere": 1, "cylinder": 1, "lamellar": 1}}
        assert len(s.provenance("train")) == 3  # the source record once, two conversions


def test_legacy_curves_get_stable_indices(tmp_path, small_batch):
    grid = small_batch.take([0, 3, 6])
    from sasnets.data import CurveBatch

    same_q = CurveBatch.from_matrix(["sphere"] * 3, grid.curve(0).q[:20], np.vstack([c.iq[:20] for c in grid]))
    write_legacy_aggr(str(tmp_path / "old"), "eval", "sphere", same_q)
    src, dst = f"aggr:{tmp_path}/old", str(tmp_path / "new.h5")
    assert convert(src, dst, tags=["eval"]).written == {"eval": 3}
    assert convert(src, dst, tags=["eval"]).written == {"eval": 0}
    with open_store(dst) as s:
        assert s.read("eval").indices.tolist() == [0, 1, 2]


def test_cli_errors_are_one_line(cli_runner, tmp_path, h5):
    for args, text in [
        (["convert", h5, f"json:{tmp_path}/j", "--tag", "nope"], "no tag 'nope'"),
        (["convert", h5, f"json:{tmp_path}/j", "--models", "nope"], "nope (--models)"),
        (["convert", str(tmp_path / "missing.h5"), f"json:{tmp_path}/j"], "does not exist"),
        (["convert", h5, h5], "same store"),
    ]:
        result = cli_runner.invoke(cli, args)
        assert result.exit_code != 0
        assert text in result.output and "Traceback" not in result.output


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_convert_to_postgres_and_back(cli_runner, tmp_path, h5, pg_url):
    assert cli_runner.invoke(cli, ["convert", h5, pg_url]).exit_code == 0
    result = cli_runner.invoke(cli, ["info", pg_url, "--json"])
    assert json.loads(result.output) == {"eval": {"cylinder": 1, "lamellar": 1, "sphere": 1},
                                         "train": {"cylinder": 4, "lamellar": 4, "sphere": 4}}
    back = str(tmp_path / "back.h5")
    assert cli_runner.invoke(cli, ["convert", pg_url, back, "--tag", "train"]).exit_code == 0
    with open_store(h5) as a, open_store(back) as b:
        assert b.read("train").equals(a.read("train"))

"""The embedded default store (HDF5): round trips, appends, resume support, errors."""
import json
import os
import stat

import h5py
import numpy as np
import pytest

from sasnets.errors import StoreError, UsageError
from sasnets.stores import open_store


def test_round_trip_is_exact(tmp_path, small_batch):
    path = tmp_path / "d.h5"
    with open_store(str(path), "a") as s:
        s.write("train", small_batch)
    with open_store(str(path)) as s:
        back = s.read("train")
        assert s.name == "hdf5"
    assert back.equals(small_batch)
    assert back.params == small_batch.params


def test_appends_accumulate_and_counts_per_tag(tmp_path, small_batch):
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("train", small_batch)
        s.write("train", small_batch.take(range(3)))
        s.write("eval", small_batch.take([1]))
        assert s.counts() == {"train": {"sphere": 5, "cylinder": 5, "lamellar": 5}, "eval": {"cylinder": 1}}
        assert s.tags() == ["eval", "train"]
        np.testing.assert_array_equal(np.sort(s.existing_indices("train", "sphere")), [0, 0, 1, 2, 3])
        assert s.existing_indices("train", "nope").size == 0


def test_read_slice_from_middle_and_end(tmp_path, small_batch):
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("t", small_batch)
        for a, b in [(2, 5), (9, 12), (0, 1)]:
            assert s.read_slice("t", a, b).equals(small_batch.take(range(a, b)))


def test_model_filter(tmp_path, small_batch):
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("t", small_batch)
        assert set(s.read("t", models=["sphere"]).models) == {"sphere"}


def test_iter_batches_visits_every_curve_once_and_is_seeded(tmp_path, small_batch):
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("t", small_batch)
        runs = [[b for b in s.iter_batches("t", 5, seed=3, block_size=2, buffer_blocks=2)] for _ in range(2)]
        seeds = np.concatenate([b.seeds for b in runs[0]])
        assert sorted(seeds) == sorted(small_batch.seeds)
        assert [len(b) for b in runs[0]][:2] == [5, 5]
        assert all(x.equals(y) for x, y in zip(*runs))
        plain = np.concatenate([b.seeds for b in s.iter_batches("t", 5, shuffle=False)])
        np.testing.assert_array_equal(plain, small_batch.seeds)


def test_uncommitted_rows_beyond_count_are_ignored_and_overwritten(tmp_path, small_batch):
    """Simulate a writer killed after resizing but before committing the count."""
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("t", small_batch.take(range(4)))
    with h5py.File(path, "a") as f:
        g = f["tags/t"]
        for name in ("model", "seed", "index", "npoints"):
            g[name].resize((10,))
    with open_store(path, "a") as s:
        assert s.size("t") == 4
        s.write("t", small_batch.take(range(4, 12)))
        assert s.read("t").equals(small_batch)


def test_provenance_is_kept_per_tag(tmp_path, small_batch):
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("t", small_batch)
        s.add_provenance("t", {"seed": 1, "sasmodels": "1.1.0"})
        s.add_provenance("t", {"seed": 2})
        assert [r["seed"] for r in s.provenance("t")] == [1, 2]


def test_missing_file_and_foreign_hdf5_are_one_line_errors(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        open_store(str(tmp_path / "missing.h5"))
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2]
    with pytest.raises(StoreError, match="not a sasnets store"):
        open_store(str(foreign))
    fake = tmp_path / "fake.h5"
    fake.write_text("not hdf5 at all")
    with pytest.raises(StoreError, match="not a readable HDF5"):
        open_store(str(fake))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only directories")
def test_read_only_directory_is_a_one_line_error(tmp_path, small_batch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="Cannot write"):
            open_store(str(ro / "d.h5"), "a").write("t", small_batch)
    finally:
        ro.chmod(stat.S_IRWXU)


def test_bad_tag_names_are_refused(tmp_path, small_batch):
    with open_store(str(tmp_path / "d.h5"), "a") as s:
        for tag in ("", "1abc", "a;drop table", "x" * 80):
            with pytest.raises(UsageError, match="--tag"):
                s.write(tag, small_batch)


def test_unknown_scheme_lists_known_ones():
    with pytest.raises(UsageError, match="Unknown store scheme 'nosuch'.*hdf5"):
        open_store("nosuch://x")


def test_layout_is_documented_format(tmp_path, small_batch):
    path = str(tmp_path / "d.h5")
    with open_store(path, "a") as s:
        s.write("train", small_batch)
    with h5py.File(path) as f:
        assert f.attrs["sasnets_format"] == "sasnets-hdf5"
        g = f["tags/train"]
        assert g.attrs["count"] == 12 and json.loads(g.attrs["models"]) == ["sphere", "cylinder", "lamellar"]
        assert g["iq"].dtype == np.float32 and g["iq"].chunks


def test_output_below_a_regular_file_is_a_one_line_error(tmp_path, small_batch):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot create the directory"):
        open_store(str(blocker / "sub" / "d.h5"), "a").write("t", small_batch)


def test_new_store_opened_for_appending_answers_before_the_first_write(tmp_path):
    with open_store(str(tmp_path / "new.h5"), "a") as s:
        assert s.existing_indices("train", "sphere").size == 0
        assert s.size("train") == 0 and s.provenance("train") == [] and s.counts() == {} and s.tags() == []


def _hold_open(path, seconds):
    """A second process that keeps ``path`` open (and so locked) for ``seconds``; returns once it holds it."""
    import subprocess
    import sys

    code = ("import sys, time, h5py\nf = h5py.File(sys.argv[1], 'r')\nprint('open', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "HDF5_USE_FILE_LOCKING"})
    assert proc.stdout.readline().strip() == "open"
    return proc


def test_a_write_waits_for_a_reader_in_another_process(tmp_path, small_batch, monkeypatch):
    monkeypatch.delenv("HDF5_USE_FILE_LOCKING", raising=False)
    path = tmp_path / "d.h5"
    with open_store(str(path), "a") as s:
        s.write("train", small_batch)
    reader = _hold_open(path, 1.0)  # e.g. `sasnets info` while `sasnets generate` runs
    try:
        with open_store(str(path), "a") as s:
            s.write("train", small_batch)
        assert reader.poll() is not None, "the write did not wait for the reader"
    finally:
        reader.kill()
        reader.wait()
    with open_store(str(path)) as s:
        assert s.size("train") == 2 * len(small_batch)


def test_a_lock_held_too_long_is_a_one_line_error(tmp_path, small_batch, monkeypatch):
    monkeypatch.delenv("HDF5_USE_FILE_LOCKING", raising=False)
    monkeypatch.setattr("sasnets.stores.hdf5.LOCK_WAIT_S", 0.3)
    path = tmp_path / "d.h5"
    with open_store(str(path), "a") as s:
        s.write("train", small_batch)
    reader = _hold_open(path, 30)
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            open_store(str(path), "a").write("train", small_batch)
    finally:
        reader.kill()
        reader.wait()
    with open_store(str(path)) as s:
        assert s.size("train") == len(small_batch)

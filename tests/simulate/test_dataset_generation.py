"""Dataset generation: counts, resume, reproducibility, provenance, failures, Dask."""
import numpy as np
import pytest

from sasnets.data import CurveBatch
from sasnets.errors import UsageError
from sasnets.simulate import GenerationOptions, generate, simulate_curve, simulate_valid_curve
from sasnets.stores import open_store

MODELS = ["sphere", "cylinder", "power_law"]


def _sorted(batch):
    order = np.lexsort((batch.indices, batch.models.astype(str)))
    return batch.take(order)


def _read(path, tag="train"):
    with open_store(str(path)) as s:
        return _sorted(s.read(tag))


def test_generates_count_curves_per_model_with_provenance(tmp_path, tiny_options):
    path = tmp_path / "d.h5"
    seen = []
    report = generate(str(path), MODELS, 6, options=tiny_options, seed=1, workers=1,
                      progress=lambda event: seen.append((event.done, event.total)))
    assert report.generated == 18 and not report.failed
    assert {m.name: m.generated for m in report.models.values()} == dict.fromkeys(MODELS, 6)
    assert seen[0] == (0, 18) and seen[-1] == (18, 18)
    with open_store(str(path)) as s:
        assert s.counts() == {"train": dict.fromkeys(MODELS, 6)}
        (run,) = s.provenance("train")
    import sasmodels

    assert run["command"] == "generate" and run["seed"] == 1 and run["count"] == 6
    assert run["sasmodels_version"] == sasmodels.__version__
    assert GenerationOptions.from_dict(run["options"]) == tiny_options
    batch = _read(path)
    assert all(len(p) > 2 and "scale" in p and "background" in p for p in batch.params)


def test_same_seed_gives_identical_stores_and_stored_seed_reproduces_each_curve(tmp_path, tiny_options):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    generate(str(a), MODELS, 4, options=tiny_options, seed=9, workers=1)
    generate(str(b), MODELS, 4, options=tiny_options, seed=9, workers=1)
    first, second = _read(a), _read(b)
    assert first.equals(second) and first.params == second.params
    with open_store(str(a)) as s:
        options = GenerationOptions.from_dict(s.provenance("train")[0]["options"])
    for curve in first:
        again = simulate_curve(curve.model, curve.seed, options)
        assert np.array_equal(np.float32(again.iq), curve.iq)
        assert np.array_equal(np.float32(again.q), curve.q)
    other = tmp_path / "c.h5"
    generate(str(other), MODELS, 4, options=tiny_options, seed=10, workers=1)
    assert not np.array_equal(_read(other).iq, first.iq)


def test_rerun_tops_up_without_duplicates(tmp_path, tiny_options):
    path = str(tmp_path / "d.h5")
    generate(path, MODELS, 3, options=tiny_options, seed=2, workers=1)
    report = generate(path, MODELS, 5, options=tiny_options, seed=2, workers=1)
    assert report.generated == 6 and {m.existing for m in report.models.values()} == {3}
    again = generate(path, MODELS, 5, options=tiny_options, seed=2, workers=1)
    assert again.generated == 0
    batch = _read(path)
    assert len(batch) == 15
    pairs = set(zip(batch.models.astype(str), batch.indices))
    assert len(pairs) == 15 and len(set(batch.seeds)) == 15
    # topped up == generated in one go
    fresh = str(tmp_path / "fresh.h5")
    generate(fresh, MODELS, 5, options=tiny_options, seed=2, workers=1)
    assert _read(fresh).equals(batch)


def test_out_of_order_partial_store_is_completed_exactly(tmp_path, tiny_options):
    """Chunks that finished out of order leave gaps; the rerun fills exactly those."""
    path = str(tmp_path / "d.h5")
    done = [simulate_valid_curve("cylinder", 5, "train", i, tiny_options)[0] for i in (7, 2, 5)]
    with open_store(path, "a") as s:
        s.write("train", CurveBatch.from_curves(done))
    report = generate(path, ["cylinder"], 8, options=tiny_options, seed=5, workers=1)
    assert report.generated == 5 and report.models["cylinder"].existing == 3
    batch = _read(path)
    assert sorted(batch.indices) == list(range(8))
    fresh = str(tmp_path / "fresh.h5")
    generate(fresh, ["cylinder"], 8, options=tiny_options, seed=5, workers=1)
    assert _read(fresh).equals(batch)


def test_tags_are_separate_datasets(tmp_path, tiny_options):
    path = str(tmp_path / "d.h5")
    generate(path, ["sphere"], 3, tag="train", options=tiny_options, seed=0, workers=1)
    generate(path, ["sphere"], 2, tag="eval", options=tiny_options, seed=0, workers=1)
    with open_store(path) as s:
        assert s.counts() == {"train": {"sphere": 3}, "eval": {"sphere": 2}}
        assert not set(s.read("train").seeds) & set(s.read("eval").seeds)


def test_topping_up_with_other_options_is_refused(tmp_path, tiny_options):
    path = str(tmp_path / "d.h5")
    generate(path, ["sphere"], 2, options=tiny_options, seed=0, workers=1)
    with pytest.raises(UsageError, match="noise"):
        generate(path, ["sphere"], 4, options=tiny_options.replace(noise=3), seed=0, workers=1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(count=0), "--count"), (dict(count=-3), "--count"), (dict(seed=-1), "--seed"),
    (dict(workers=0), "--workers"), (dict(models=["sphear"]), "sphere"), (dict(tag="1bad"), "Tag"),
])
def test_bad_arguments_raise_usage_errors(tmp_path, tiny_options, kwargs, message):
    args = dict(models=["sphere"], count=2, seed=0, workers=1)
    args.update(kwargs)
    with pytest.raises(UsageError, match=message):
        generate(str(tmp_path / "d.h5"), args.pop("models"), args.pop("count"), options=tiny_options, **args)
    assert not (tmp_path / "d.h5").exists()


def test_unwritable_output_fails_before_any_work(tmp_path, tiny_options):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(UsageError, match="not a directory"):
        generate(str(blocker / "d.h5"), ["sphere"], 2, options=tiny_options, workers=1)


def test_a_model_without_valid_curves_is_reported_and_the_others_complete(tmp_path, tiny_options, broken_model_file):
    path = str(tmp_path / "d.h5")
    report = generate(path, ["sphere", str(broken_model_file)], 3, options=tiny_options, workers=1, max_attempts=3)
    assert set(report.failed) == {"test_always_nan"}
    assert report.models["sphere"].generated == 3
    with open_store(path) as s:
        assert s.counts() == {"train": {"sphere": 3}}


def test_user_models_generate(tmp_path, tiny_options, user_model_dir):
    path = str(tmp_path / "d.h5")
    report = generate(path, ["test_bump"], 3, options=tiny_options, workers=1)
    assert report.models["test_bump"].generated == 3
    assert set(_read(path).params[0]) >= {"height", "q0", "width"}


def test_dask_workers_give_the_same_curves_as_one_process(tmp_path, tiny_options):
    one, two = str(tmp_path / "one.h5"), str(tmp_path / "two.h5")
    generate(one, MODELS, 5, options=tiny_options, seed=3, workers=1)
    report = generate(two, MODELS, 5, options=tiny_options, seed=3, workers=2)
    assert report.workers == 2 and report.generated == 15
    assert _read(one).equals(_read(two))


def test_default_workers_follow_the_cores_this_process_may_use(tmp_path, tiny_options, monkeypatch):
    """Under a one-core affinity mask (a batch job's allocation) the default runs in this process, no Dask."""
    import os

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    report = generate(str(tmp_path / "d.h5"), ["sphere"], 2, options=tiny_options, seed=1)
    assert report.workers == 1 and report.generated == 2


def test_an_existing_dask_cluster_is_used_through_its_scheduler_address(tmp_path, tiny_options):
    from dask.distributed import LocalCluster

    one, remote = str(tmp_path / "one.h5"), str(tmp_path / "remote.h5")
    generate(one, ["sphere", "power_law"], 3, options=tiny_options, seed=4, workers=1)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        report = generate(remote, ["sphere", "power_law"], 3, options=tiny_options, seed=4,
                          scheduler=cluster.scheduler_address)
    assert report.workers == 1 and report.generated == 6
    assert _read(one).equals(_read(remote))


def test_planner_probes_each_model_then_sizes_chunks_by_cost_and_covers_every_index_once():
    from sasnets.simulate.catalog import ModelEntry
    from sasnets.simulate.generation import _Planner

    missing = {"cheap": list(range(500)), "dear": list(range(40))}
    planner = _Planner(missing, {m: ModelEntry(m, "x") for m in missing}, chunk_seconds=1.0, workers=2)
    first = [planner.next_chunk(), planner.next_chunk()]
    assert sorted((e.name, len(c)) for e, c in first) == [("cheap", 2), ("dear", 2)]
    planner.observe("cheap", 2, 0.002)   # 1 ms per curve
    planner.observe("dear", 2, 1.0)      # 0.5 s per curve
    seen = {m: [] for m in missing}
    for entry, chunk in first:
        seen[entry.name] += chunk
    sizes = []
    while (job := planner.next_chunk()) is not None:
        entry, chunk = job
        seen[entry.name] += chunk
        sizes.append((entry.name, len(chunk)))
    assert {m: sorted(v) for m, v in seen.items()} == {m: list(range(len(v))) for m, v in missing.items()}
    # the expensive model goes first, a second's worth (2 curves) at a time; the cheap one in big chunks
    assert sizes[0] == ("dear", 2)
    assert max(n for m, n in sizes if m == "dear") == 2
    assert max(n for m, n in sizes if m == "cheap") >= 40
    # towards the end chunks shrink (here: the cheap model's, once little work is left)
    cheap = [n for m, n in sizes if m == "cheap"]
    assert cheap == sorted(cheap, reverse=True) and cheap[-1] < cheap[0]

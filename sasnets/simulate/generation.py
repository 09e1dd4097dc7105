"""Generating a dataset: many curves per scattering model, in parallel, resumable.

:func:`generate` tops a store's tag up to ``count`` curves per model: it asks
the store which generation indices (tag, model) already holds
(``Store.existing_indices``) and simulates exactly the missing ones, so a run
that was interrupted - even one whose parallel chunks finished out of order -
ends, when repeated, with exactly ``count`` curves per model and no duplicate.

Work is cut into *chunks* of (model, indices).  The first chunk of each model
is a small probe; once a model's cost per curve is known its chunks are sized
to take about ``chunk_seconds`` (so the progress bar moves and the workers stay
balanced whether a curve takes 0.3 ms or 3 s), and the models with the most
estimated work left are dispatched first.

Parallelism uses Dask's ``distributed`` scheduler: a ``LocalCluster`` of
``workers`` single-threaded processes by default, or an existing cluster at
``scheduler`` (an address such as ``tcp://head:8786``, e.g. from
dask-jobqueue on SLURM; its workers need sasnets installed and, for user
models, the model files at the same paths).  Each worker builds each sasmodels
kernel once and keeps it.  ``workers=1`` without ``scheduler`` runs in this
process without Dask.  Results are written by this process, one atomic store
write per chunk, as they arrive.
"""
from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Sequence

import numpy as np

from .._system import usable_cores
from ..data.curves import CurveBatch
from ..errors import SasnetsError, UsageError
from ..progress import ProgressCallback, notifier
from .catalog import ModelEntry, resolve_model_entries
from .options import GenerationOptions

__all__ = ["generate", "GenerationReport", "ModelReport", "simulate_chunk", "ChunkResult"]

#: options that may differ between runs topping up the same tag
_COMPATIBLE_KEYS = {"engine"}


@dataclass
class ModelReport:
    """What one run did for one scattering model."""

    name: str
    existing: int = 0      #: curves already in the store before the run
    generated: int = 0     #: curves this run added
    redrawn: int = 0       #: invalid draws (NaN, inf, I <= 0) replaced by new ones
    failed: str | None = None  #: why the model stopped early, if it did


@dataclass
class GenerationReport:
    """The outcome of :func:`generate`: per-model counts, time and engine."""

    store: str
    tag: str
    count: int
    engine: str
    workers: int
    models: dict[str, ModelReport] = field(default_factory=dict)
    elapsed: float = 0.0
    #: CPU seconds the workers spent simulating (kernel building excluded)
    simulation_cpu_seconds: float = 0.0

    @property
    def generated(self) -> int:
        return sum(m.generated for m in self.models.values())

    @property
    def redrawn(self) -> int:
        return sum(m.redrawn for m in self.models.values())

    @property
    def failed(self) -> dict[str, str]:
        return {n: m.failed for n, m in self.models.items() if m.failed}

    @property
    def curves_per_second(self) -> float:
        return self.generated / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class ChunkResult:
    """What a worker sends back for one chunk."""

    model: str
    batch: CurveBatch
    redrawn: int
    seconds: float          #: simulation time, kernel building excluded
    requested: int = 0      #: curves the chunk asked for
    failed: str | None = None
    cpu_seconds: float = 0.0  #: CPU time of the simulation


def simulate_chunk(entry: ModelEntry, indices: Sequence[int], tag: str, seed: int,
                   options: GenerationOptions, max_attempts: int = 50) -> ChunkResult:
    """Simulate curves ``indices`` of (``tag``, ``entry``); runs on a worker.

    Stops at the first curve that stays invalid after ``max_attempts`` draws
    and returns the curves made so far with the reason in ``failed``.
    """
    from .engine import get_kernel, resolve_engine
    from .simulation import SimulationFailure, simulate_valid_curve

    curves, redrawn, failed = [], 0, None
    try:
        get_kernel(entry.ref, options.precision, resolve_engine(options.engine))
    except Exception:
        pass  # simulate_valid_curve reports it as a failure below
    start, cpu_start = time.perf_counter(), time.process_time()
    for index in indices:
        try:
            curve, redraws = simulate_valid_curve(entry, seed, tag, int(index), options, max_attempts)
        except SimulationFailure as exc:
            failed = str(exc)
            break
        curve.model = entry.name
        curves.append(curve)
        redrawn += redraws
    return ChunkResult(entry.name, CurveBatch.from_curves(curves), redrawn, time.perf_counter() - start,
                       len(indices), failed, time.process_time() - cpu_start)


@dataclass
class _Tally:
    """A generation run's count: curves written of curves expected, and whether
    the tag's provenance record is written yet."""

    total: int
    done: int = 0
    recorded: bool = False


class _Planner:
    """Cuts each model's missing indices into chunks sized by measured cost.

    Chunks aim at ``chunk_seconds`` of work, shrinking towards the end of the
    run (to a third of the estimated work left per worker) so that the workers
    finish together.
    """

    def __init__(self, missing: dict[str, list[int]], entries: dict[str, ModelEntry],
                 chunk_seconds: float, probe: int = 2, max_chunk: int = 1000, workers: int = 1):
        self.missing = {m: list(v) for m, v in missing.items() if v}
        self.entries = entries
        self.chunk_seconds = chunk_seconds
        self.workers = workers
        self.probe = probe
        self.max_chunk = max_chunk
        self.cost: dict[str, float] = {}   # seconds per curve, latest measurement
        self.probed: set[str] = set()

    def observe(self, model: str, n: int, seconds: float) -> None:
        if n:
            self.cost[model] = max(seconds / n, 1e-6)

    def drop(self, model: str) -> None:
        self.missing.pop(model, None)

    def next_chunk(self) -> tuple[ModelEntry, list[int]] | None:
        if not self.missing:
            return None
        unprobed = [m for m in self.missing if m not in self.probed]
        if unprobed:
            model, size = unprobed[0], self.probe
            self.probed.add(model)
        else:
            known = [m for m in self.missing if m in self.cost]
            if known:
                work = {m: self.cost[m] * len(self.missing[m]) for m in known}
                model = max(known, key=work.get)
                target = min(self.chunk_seconds, max(0.05, sum(work.values()) / (3 * self.workers)))
                size = int(min(self.max_chunk, max(1, round(target / self.cost[model]))))
            else:
                model, size = next(iter(self.missing)), self.probe
        todo = self.missing[model]
        chunk, self.missing[model] = todo[:size], todo[size:]
        if not self.missing[model]:
            del self.missing[model]
        return self.entries[model], chunk


def _check_writable(url: str) -> None:
    """Fail early, in one line, when a file store's location cannot be written."""
    from ..stores.base import resolve_store

    _, location = resolve_store(url)
    if "://" in location or not location:
        return  # a server URL: the store itself reports connection problems
    path = os.path.abspath(os.path.expanduser(location))
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"Cannot write to output {url!r} (-o): permission denied; choose another path.")
        return
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent) if os.path.dirname(parent) != parent else ""
    if parent and (not os.path.isdir(parent) or not os.access(parent, os.W_OK)):
        reason = "not a directory" if not os.path.isdir(parent) else "directory not writable"
        raise UsageError(f"Cannot write to output {url!r} (-o): {parent!r} is {reason}; choose another path.")


def _jsonable(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _check_compatible(store, tag: str, options: GenerationOptions, models: Sequence[str]) -> None:
    """Refuse to top up a model of a tag generated with other options (its seeds would mislead).

    Only the earlier runs that wrote one of ``models`` count: other models of
    the tag may have been simulated with other options (e.g. fewer dispersity
    points for costly models), since every curve's seed is its model's own.
    """
    if tag not in store.tags():
        return
    wanted = set(models)
    runs = [r for r in store.provenance(tag) if r.get("command") == "generate" and "options" in r
            and ("models" not in r or wanted & set(r["models"]))]
    if not runs:
        return
    recorded = runs[-1]["options"]
    try:  # options added since the tag was written take their defaults
        recorded = _jsonable(GenerationOptions.from_dict(recorded).to_dict())
    except SasnetsError:
        pass
    before = {k: v for k, v in recorded.items() if k not in _COMPATIBLE_KEYS}
    now = {k: v for k, v in _jsonable(options.to_dict()).items() if k not in _COMPATIBLE_KEYS}
    differ = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    if differ:
        raise UsageError(
            f"Tag {tag!r} in {store.url!r} was generated with other options ({', '.join(differ)} differ); "
            "repeat the original options to top it up, or use another --tag or output."
        )


def _provenance(options, seed, count, models, engine, workers, scheduler) -> dict:
    import sasmodels

    from .. import __version__

    return _jsonable({
        "command": "generate",
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": options.to_dict(),
        "seed": int(seed),
        "count": int(count),
        "models": list(models),
        "engine": engine,
        "workers": workers,
        "scheduler": scheduler,
        "sasmodels_version": sasmodels.__version__,
        "sasnets_version": __version__,
    })


class _InProcess:
    """Runs chunks one after another in this process (``workers=1``)."""

    workers = 1

    def run(self, planner: _Planner, call, handle) -> None:
        while (job := planner.next_chunk()) is not None:
            handle(call(*job))

    def close(self) -> None:
        pass


#: modules a forkserver imports once, so that forked workers start ready to simulate
_WORKER_PRELOAD = ["distributed", "numpy", "h5py", "sasmodels.core", "sasmodels.direct_model", "sasmodels.compare",
                   "sasnets.simulate.generation", "sasnets.simulate.simulation", "sasnets.simulate.sampling"]


def _start_method() -> str:
    """How LocalCluster starts worker processes.

    Dask's default, ``spawn``, imports Dask, NumPy and sasmodels afresh in
    every worker (seconds each, all at once on a busy machine).  Where the
    platform has it, a ``forkserver`` that imports them once and forks ready
    workers is as safe and starts them faster.  A method set explicitly in
    the Dask configuration other than ``spawn`` is kept.
    """
    import multiprocessing

    import dask

    method = dask.config.get("distributed.worker.multiprocessing-method", "spawn")
    if method != "spawn" or "forkserver" not in multiprocessing.get_all_start_methods():
        return method
    try:
        from distributed.utils import get_mp_context

        with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
            ctx = get_mp_context()  # lets Dask set its own preload first
        ctx.set_forkserver_preload(_WORKER_PRELOAD)
    except Exception:  # an older or newer Dask without this helper: fork server without preload
        pass
    return "forkserver"


class _Distributed:
    """Runs chunks on a Dask ``distributed`` cluster, keeping every worker busy."""

    def __init__(self, workers: int | None, scheduler: str | None):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask[distributed] is a dependency
            raise UsageError("Parallel generation needs dask[distributed]; install it or pass --workers 1.") from None
        import logging

        # Dask logs every worker start and stop at INFO; keep them quiet for this run
        self._logger = logging.getLogger("distributed")
        self._level = self._logger.level
        self._logger.setLevel(logging.WARNING)
        self.cluster = None
        try:
            if scheduler:
                try:
                    self.client = Client(scheduler, timeout="10s")
                except (OSError, TimeoutError) as exc:
                    raise UsageError(f"Cannot reach the Dask scheduler {scheduler!r} (--scheduler): {exc}.") from None
                self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
            else:
                import dask

                n = workers or usable_cores()
                method = _start_method()
                with dask.config.set({"distributed.worker.multiprocessing-method": method}):
                    # no dashboard; the scheduler's HTTP endpoint on a free port, not 8787
                    self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                                silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
                self.workers = n
        except BaseException:
            if self.cluster is not None:
                self.cluster.close()
            self._logger.setLevel(self._level)
            raise

    def run(self, planner: _Planner, call, handle) -> None:
        from dask.distributed import as_completed

        in_flight = 2 * self.workers
        pending = as_completed()
        futures = set()

        def submit() -> bool:
            job = planner.next_chunk()
            if job is None:
                return False
            future = self.client.submit(call, *job, pure=False)
            futures.add(future)
            pending.add(future)
            return True

        try:
            for _ in range(in_flight):
                if not submit():
                    break
            for future in pending:
                futures.discard(future)
                try:
                    result = future.result()
                except Exception as exc:  # a worker died (memory, killed node) or lost its connection
                    raise SasnetsError(
                        f"A Dask worker failed ({type(exc).__name__}: {exc}); the curves written so far are kept, "
                        "rerun the same command to resume."
                    ) from None
                handle(result)
                while len(futures) < in_flight and submit():
                    pass
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self._logger.setLevel(self._level)


def generate(store, models: Iterable[str] | str, count: int, tag: str = "train",
             options: GenerationOptions | None = None, seed: int = 0, *,
             exclude: Iterable[str] = (), structure_factors: str | Sequence[str] | None = None,
             workers: int | None = None, scheduler: str | None = None,
             progress: ProgressCallback | None = None, chunk_seconds: float = 1.0,
             max_attempts: int = 50) -> GenerationReport:
    """Top ``tag`` of ``store`` up to ``count`` curves for each of ``models``.

    ``store`` is a store URL or an open :class:`~sasnets.stores.Store`;
    ``models`` are names, categories or patterns (see
    :func:`sasnets.simulate.resolve_models`; products such as
    ``sphere@hayter_msa`` too), ``exclude`` removes some, and
    ``structure_factors`` (``"all"``, ``"hardsphere,hayter_msa"`` or a list)
    adds the product of every selected form factor that can take a structure
    factor with each of them.  ``options`` defaults to ``GenerationOptions()``
    (the ``2017`` preset); ``sasnets generate`` uses the ``realistic`` one.
    ``workers`` (default: all cores) and ``scheduler`` choose where the work
    runs (see the module docstring).  ``progress`` gets
    :class:`~sasnets.progress.Progress` events of stage ``"generate"``
    (curves written of curves missing; the total drops when a model fails),
    one before the work and one after each chunk is written.  Returns a :class:`GenerationReport`; models
    that could not produce valid curves are listed in ``report.failed``, the
    others are complete.

    Curves already written stay written if the run is interrupted; calling
    again with the same arguments resumes.
    """
    from ..stores.base import Store, check_tag, open_store
    from .engine import resolve_engine

    options = options or GenerationOptions()
    options.validate()
    check_tag(tag)
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count <= 0:
        raise UsageError(f"--count must be a positive number of curves per model, got {count!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {seed!r}.")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise UsageError(f"--workers must be at least 1, got {workers!r}.")
    if isinstance(models, str):
        models = [models]
    entries = resolve_model_entries(list(models), list(exclude), structure_factors=structure_factors)
    engine = resolve_engine(options.engine)
    run_options = options.replace(engine=engine)

    if isinstance(store, Store):
        handle, owned = store, False
    else:
        _check_writable(os.fspath(store))
        handle, owned = open_store(os.fspath(store), "a"), True
    started = time.perf_counter()
    executor = None
    report = GenerationReport(store=handle.url, tag=tag, count=int(count), engine=engine, workers=1)
    try:
        _check_compatible(handle, tag, options, [e.name for e in entries])
        missing: dict[str, list[int]] = {}
        tag_exists = tag in handle.tags()
        for e in entries:
            have = np.unique(handle.existing_indices(tag, e.name)) if tag_exists else np.zeros(0, np.int64)
            report.models[e.name] = ModelReport(e.name, existing=int(len(have)))
            missing[e.name] = sorted(set(range(int(count))) - set(int(i) for i in have))
        total = sum(len(v) for v in missing.values())
        notify = notifier(progress)
        notify("generate", 0, total, f"generating {tag}", tag=tag)
        if total == 0:
            return report
        planner = _Planner(missing, {e.name: e for e in entries}, chunk_seconds)
        in_process = not scheduler and (workers or usable_cores()) == 1
        executor = _InProcess() if in_process else _Distributed(workers, scheduler)
        report.workers = planner.workers = executor.workers
        tally = _Tally(total=total)
        record = _provenance(options, seed, count, [e.name for e in entries], engine, executor.workers, scheduler)

        def handle_result(result: ChunkResult) -> None:
            model = report.models[result.model]
            if len(result.batch):
                handle.write(tag, result.batch)
                if not tally.recorded:
                    handle.add_provenance(tag, record)
                    tally.recorded = True
            model.generated += len(result.batch)
            model.redrawn += result.redrawn
            report.simulation_cpu_seconds += result.cpu_seconds
            planner.observe(result.model, len(result.batch), result.seconds)
            tally.done += len(result.batch)
            if result.failed:
                tally.total -= result.requested - len(result.batch)
                if not model.failed:  # its queued curves will not come either
                    model.failed = result.failed
                    tally.total -= len(planner.missing.get(result.model, ()))
                    planner.drop(result.model)
            notify("generate", tally.done, tally.total, f"generating {tag}", tag=tag)

        executor.run(planner, functools.partial(_run_chunk, tag=tag, seed=seed, options=run_options,
                                                max_attempts=max_attempts), handle_result)
        return report
    finally:
        if executor is not None:
            executor.close()
        if owned:
            handle.close()
        report.elapsed = time.perf_counter() - started



def _run_chunk(entry, indices, *, tag, seed, options, max_attempts):
    """The chunk function sent to workers (a module-level function pickles by name)."""
    return simulate_chunk(entry, indices, tag, seed, options, max_attempts)

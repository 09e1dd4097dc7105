"""Classify, then fit: the candidates of a curve, and many fits in parallel processes.

:func:`fit_candidates` asks a classifier for the most probable scattering
models of a curve, fits each (:func:`sasnets.fitting.fit_model`) and ranks
them (:func:`sasnets.fitting.rank_fits`).  :func:`map_fits` runs any list of
fits over worker processes; the workers import sasmodels and bumps only,
never TensorFlow or the classifier code.
"""
from __future__ import annotations

import atexit
import os
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from .._system import usable_cores
from ..errors import UsageError
from .dispersity import DEFAULT_PD_TYPE, size_parameters
from .experiment import _checked_hold, _fixable, _model_info, check_models
from .ranking import DEFAULT_RANKING, rank_fits
from .result import FitResult
from .search import DEFAULT_BUDGET_S, fit_model

__all__ = ["DEFAULT_EXTEND", "FitJob", "map_fits", "fit_job_sets", "fit_candidates", "candidate_jobs", "held_for",
           "polydisperse_for", "classifier_probabilities", "reference_candidate"]


#: share of a fit's budget that its quick first pass gets (:func:`fit_job_sets`)
QUICK_BUDGET_SHARE = 0.3
#: most poor candidates of a set fitted again in full (:func:`fit_job_sets`): one round on two
#: cores.  Fitting every poor one in full, as before, put the true model first no more often on
#: 32 curves from sasmodels' sampler, nor an accepted one on SasView's 16 labelled files, at twice
#: the time (docs/fitting.md, "Classify-then-fit against fitting every model").
MAX_REFINED = 2
#: when no candidate of a set fits adequately, a poor fit whose width search its budget could not afford is
#: fitted again with the budget that allows it, up to this many times its own (:func:`fit_job_sets`)
WIDTH_BUDGET_FACTOR = 3.0
#: a simpler relative of the adequate answer is searched again (:func:`fit_job_sets`) when the network
#: finds it at least 1/RELATIVE_ODDS as probable as the answer: a cost cut, not a rule of the
#: posterior (two fewer parameters at the same chi-square outweigh odds of 1/100), measured in
#: docs/fitting.md (Search)
RELATIVE_ODDS = 3.0
#: candidates after the top ones fitted when none of those fits adequately (``sasnets fit --extend``).
#: Off by default: 2 changed the first answer on none of 32 curves from sasmodels' sampler and made
#: one more of SasView's 16 labelled files fit adequately (none more accepted), at 20-35 % more time
#: (docs/fitting.md).
DEFAULT_EXTEND = 0


@dataclass
class FitJob:
    """One fit to run: the curve, the model and :func:`fit_model` keywords.

    A ``reserve`` job of a candidate set is fitted only when none of the
    set's other candidates fits adequately; a ``reference`` job (the
    textbook sphere, :func:`reference_candidate`) is fitted again in full
    whenever its quick fit is poor and ranked above the first adequate one,
    whatever its probability (:func:`fit_job_sets`)."""

    curve: object
    model: str
    options: dict = field(default_factory=dict)
    reserve: bool = False
    reference: bool = False

    @property
    def budget_s(self) -> float:
        """The job's wall-clock budget (``fit_model``'s default unless its options give one)."""
        return self.options.get("budget_s", DEFAULT_BUDGET_S)


def _run_job(job: FitJob) -> FitResult:
    try:
        return fit_model(job.curve, job.model, **job.options)
    except Exception as exc:  # report, never kill the pool
        return FitResult(model=job.model, success=False, message=str(exc),
                         probability=job.options.get("probability"))


def _worker_init():
    # fits are single-threaded; keep numerical libraries from oversubscribing
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    _warm_up()


def _warm_up():
    """Import what a fit imports on first use (about a second), so that the
    first fit of a process does not spend its time budget on it: a quick fit
    of a sphere (1.5 s) stopped short of its minimum that way."""
    import bumps.fitproblem  # noqa: F401
    import bumps.fitters  # noqa: F401
    import sasmodels.bumps_model  # noqa: F401
    import sasmodels.direct_model  # noqa: F401
    import scipy.optimize  # noqa: F401
    import scipy.stats  # noqa: F401


def map_fits(jobs: Sequence[FitJob], workers: int | None = None,
             scheduler: str | None = None) -> Iterator[tuple[int, FitResult]]:
    """Run ``jobs`` and yield ``(index, FitResult)`` as each finishes.

    ``workers`` processes (default: the usable cores, at most one per job) are
    started with the *spawn* method, so a parent that has TensorFlow loaded
    does not fork it; with one worker the fits run in this process.  Models
    are compiled here first so that workers do not race to compile them.
    ``scheduler`` (``tcp://host:8786``) runs the fits on that Dask cluster
    instead, one task a fit; a fit's result depends on its seed, not on where
    it runs.
    """
    jobs = list(jobs)
    if not jobs:
        return
    with _FitRunner(jobs, workers, scheduler) as runner:
        for i, job in enumerate(jobs):
            runner.submit(i, job)
        yield from runner.completed()


class _FitRunner:
    """Fits run in worker processes, in this process or on a Dask cluster
    (:func:`map_fits`), to which more fits can be submitted while others run."""

    def __init__(self, jobs: list, workers: int | None, scheduler: str | None):
        check_models(job.model for job in jobs)  # compiled here, before any worker races to compile them
        self.queue, self.pending, self.pool, self.client = [], {}, None, None
        self.finished = False
        if scheduler:
            self.client, self.stream = _dask_client(scheduler)
            self.client.run(_warm_up)
            return
        workers = min(usable_cores() if workers is None else max(1, int(workers)), len(jobs))
        if workers > 1:
            self.pool = _worker_pool(workers)
        else:
            _warm_up()

    def __enter__(self):
        return self

    def submit(self, key, job: FitJob) -> None:
        if self.client is not None:
            future = self.client.submit(_run_job, job, pure=False)
            self.pending[future.key] = (key, future)
            self.stream.add(future)
        elif self.pool is not None:
            self.pending[self.pool.submit(_run_job, job)] = (key, job)
        else:
            self.queue.append((key, job))

    def completed(self) -> Iterator[tuple[object, FitResult]]:
        """``(key, result)`` of each fit as it finishes, those submitted meanwhile included."""
        if self.client is not None:
            for future in self.stream:
                key, _ = self.pending.pop(future.key)
                yield key, future.result()
        while self.pending:
            from concurrent.futures import FIRST_COMPLETED, wait
            from concurrent.futures.process import BrokenProcessPool

            done, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
            for future in done:
                key, job = self.pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    self._without_workers(key, job)
                    break
                yield key, result
        while self.queue:
            key, job = self.queue.pop(0)
            yield key, _run_job(job)
        self.finished = True

    def _without_workers(self, key, job) -> None:
        """Workers could not start (e.g. a script without ``if __name__ == "__main__":``
        cannot be re-imported by spawned processes): the fits left run here."""
        import warnings

        warnings.warn("Parallel fitting workers failed to start; fitting in this process instead "
                      "(scripts that call sasnets in parallel need an `if __name__ == \"__main__\":` guard).",
                      RuntimeWarning, stacklevel=4)
        self.queue += [(key, job), *self.pending.values()]
        self.pending.clear()
        _discard_pool(self.pool)
        self.pool = None

    def __exit__(self, *exc) -> None:
        # interrupted (Ctrl-C, consumer stopped): drop queued fits, do not wait for running ones; the
        # workers, which may be running fits nobody waits for (or were killed by the Ctrl-C), go too
        if self.pool is not None and not self.finished:
            _discard_pool(self.pool)
        if self.client is not None:
            self.client.cancel([future for _, future in self.pending.values()])
            self.client.close()


#: the worker processes of the last parallel fits, (worker count, ProcessPoolExecutor), kept for the next
#: ones (:func:`_worker_pool`)
_POOL = None


def _worker_pool(workers: int):
    """``workers`` spawned fit processes, started once and kept for the next fits of this
    process (a library loop over files, ``sasnets.analysis.fit_examples``): starting them and
    importing sasmodels and bumps in each takes about a second, a fifth of a measured file's fits,
    and their sasmodels kernels stay loaded."""
    global _POOL
    if _POOL is not None and _POOL[0] == workers:
        return _POOL[1]
    if _POOL is not None:
        _discard_pool(_POOL[1])
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init)
    _POOL = (workers, pool)
    return pool


@atexit.register
def _close_kept_pool() -> None:
    """Stop the kept workers while this process still has its modules: an executor first collected
    when they are torn down prints an ignored AttributeError from concurrent.futures' own clean-up."""
    if _POOL is not None:
        _discard_pool(_POOL[1])


def _discard_pool(pool) -> None:
    """Stop ``pool``'s workers without waiting for their running fits, and start afresh next time."""
    global _POOL
    if _POOL is not None and _POOL[1] is pool:
        _POOL = None
    pool.shutdown(wait=False, cancel_futures=True)


def _dask_client(scheduler: str):
    """A client of the Dask cluster at ``scheduler`` and an empty ``as_completed`` stream."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise UsageError("--scheduler needs dask[distributed]; install it or leave --scheduler out.") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"Cannot reach the Dask scheduler {scheduler!r} (--scheduler): {exc}.") from None
    return client, as_completed()


def fit_job_sets(job_sets: Sequence[Sequence[FitJob]], *, workers: int | None = None, scheduler: str | None = None,
                 rank_by: str = DEFAULT_RANKING, default_probability: float | None = None,
                 progress=None) -> Iterator[tuple[int, list]]:
    """Fit each set of candidates (one set a curve, :func:`candidate_jobs`)
    and yield ``(set index, ranked results)`` as each set finishes.

    Searching harder is spent only where it can change the first answer.
    The network's most probable candidate is fitted in full; every other
    candidate is first fitted quickly (``fit_model(quick=True)``: one round
    of the global search, no count or width search, within
    :data:`QUICK_BUDGET_SHARE` of its budget), so that no quick fit
    overrules the network's first choice.  Then, of the poor quick fits
    ranked (``rank_by``, :func:`rank_fits`) above the set's first adequate
    one (all of them when none is adequate), the :data:`MAX_REFINED` most
    probable by the network are fitted again in full, starting from their
    quick fit, and the fit with the lower BIC is kept; so are the poor quick
    fits below it that the network finds at least as probable, and the
    simpler relatives of that answer (:func:`_to_refine`).  The other poor
    candidates keep their quick fit (``FitResult.quick``).  When still no
    fit of a set is adequate, its ``reserve`` jobs (the next candidates,
    :func:`candidate_jobs` ``extend``) are fitted in full, and up to two fits
    whose width search the budget could not afford get the budget that
    allows it, at most :data:`WIDTH_BUDGET_FACTOR` times theirs (:func:`_to_widen`).
    ``progress(done, total)`` is called as fits finish (the total grows as
    sets need harder searches).
    """
    rank_fits([], by=rank_by)  # an unknown ranking fails before the fits run
    job_sets = [list(js) for js in job_sets]
    jobs = [job for js in job_sets for job in js]
    if not jobs:
        return
    results = [[None] * len(js) for js in job_sets]
    left = [sum(not job.reserve for job in js) for js in job_sets]
    stage = [0] * len(job_sets)  # 0: first fits, 1: refits of poor quick ones, 2: reserves
    total, done = sum(left), 0
    with _FitRunner(jobs, workers, scheduler) as runner:
        for s, js in enumerate(job_sets):
            favourite = _favourite(js)
            for j, job in enumerate(js):
                if job.reserve:
                    continue
                if j == favourite:  # the network's first choice is searched in full from the start
                    runner.submit((s, j), job)
                    continue
                budget = QUICK_BUDGET_SHARE * job.budget_s
                runner.submit((s, j), FitJob(job.curve, job.model, {**job.options, "quick": True, "budget_s": budget}))
        for (s, j), result in runner.completed():
            done += 1
            quick = results[s][j]
            if quick is not None:  # a fit again (in full, or with a wider budget): the better of the two
                elapsed = quick.elapsed + result.elapsed
                result = quick if quick.success and quick.bic <= result.bic else result
                result.quick, result.elapsed = False, elapsed
            results[s][j] = result
            left[s] -= 1
            while not left[s] and stage[s] < 2:
                stage[s] += 1
                if stage[s] == 1:
                    submit = _to_refine(results[s], job_sets[s], rank_by, default_probability)
                elif any(r is not None and r.acceptable for r in results[s]):
                    submit = []
                else:
                    submit = [(j2, {}) for j2, job in enumerate(job_sets[s]) if job.reserve]
                    submit += _to_widen(results[s], job_sets[s])
                for j2, extra in submit:
                    job = job_sets[s][j2]
                    runner.submit((s, j2), FitJob(job.curve, job.model, {**job.options, **extra}))
                left[s] += len(submit)
                total += len(submit)
            if progress is not None:
                progress(done, total)
            if not left[s]:
                yield s, rank_fits([r for r in results[s] if r is not None], default_probability=default_probability,
                                   by=rank_by)


def _favourite(jobs: Sequence[FitJob]) -> int | None:
    """Index of the job the network finds most probable, or None without probabilities."""
    known = [j for j, job in enumerate(jobs) if job.options.get("probability") is not None]
    return max(known, key=lambda j: jobs[j].options["probability"]) if known else None


def _to_refine(results: list, jobs: Sequence[FitJob], rank_by: str, default_probability) -> list:
    """``[(index, options)]``: the fits to search again, each with the
    :func:`fit_model` options that differ from its job's (``guess``: the
    parameters its search starts from).  Of the poor ones ranked above
    the first adequate one (in the network's order for ``adequate``, which
    moves adequate fits first), the :data:`MAX_REFINED` most probable by the
    network, and the ``reference`` job, each from its own quick fit.  A quick
    fit cut short by its budget can be far from its minimum, so the network's
    probability, not the quick fit, picks which ones get the full search; the
    textbook sphere, improbable to the network, gets it too (a polydisperse
    sphere with hard-sphere interactions is poor until its width is fitted).
    Below the answer, every poor quick fit that the network finds at least
    as probable as the answer, from its own quick fit: a quick search that
    missed must not overrule the network (a sphere curve answered by the
    nested ``cylinder`` at p = 0.002 while the sphere, at 0.07, sat at
    chi2/dof 19 after its quick fit).
    And, from the first adequate answer's parameters, each
    poor quick fit that is :func:`as_simple_relative` of the answer with no
    more free parameters (``sphere`` when the answer is ``sphere@squarewell``
    or ``fuzzy_sphere``), if the network finds it at least
    1/:data:`RELATIVE_ODDS` as probable as the answer: such a model draws nearly the answer's curve, so its
    poor quick fit is a search that missed (most often the size distribution
    quick fits do not search), not evidence against it, and where it fits as
    well it is the simpler answer.  Started there, its full search gets the
    quick fits' share of the budget (the whole budget when it is one of the
    others too).  Where such a relative fitted adequately but without a size
    distribution (an adequate fit gets no width search) and lost to the
    answer by BIC (``lamellar`` behind ``lamellar_hg``, ``ellipsoid``
    behind ``ellipsoid@squarewell``), it is fitted again with a width
    tried all the same (``widen_adequate``) from its own parameters: a size
    distribution is tried before a shape is added, as a scientist would.
    No more complex relative (``triaxial_ellipsoid`` behind ``ellipsoid``)
    the network finds less probable than the answer: searching them all put
    the true model first no more often on 64 curves from sasmodels' sampler
    (the extra parameters absorb what the true model's search missed) and,
    with no odds asked, nearly doubled the time on SasView's measured
    example files; every poor quick fit within 1/10 of the answer's
    probability cost 35 % more time on 192 curves and 2.3 times the median
    on the measured files for the same gain (docs/fitting.md)."""
    order = "network" if rank_by == "adequate" else rank_by
    index = {id(r): i for i, r in enumerate(results) if r is not None}
    ranked = rank_fits([r for r in results if r is not None], default_probability=default_probability, by=order)
    answer = next((r for r in ranked if r.acceptable), None)
    at = ranked.index(answer) if answer is not None else len(ranked)
    poor = [index[id(r)] for r in ranked[:at] if r.quick]
    # below the answer, the poor quick fits the network finds at least as probable as the answer
    preferred = [] if answer is None or answer.probability is None else [
        index[id(r)] for r in ranked[at + 1:]
        if r.quick and r.probability is not None and r.probability >= answer.probability]

    def probability(i):  # the network's; a model it does not know last
        return -1.0 if results[i].probability is None else results[i].probability

    chosen = sorted(poor, key=probability, reverse=True)
    refine = {i: {"guess": results[i].values}
              for i in sorted({*chosen[:MAX_REFINED], *(i for i in poor if jobs[i].reference), *preferred})}
    simpler = [] if answer is None else [
        i for i in index.values() if results[i] is not answer and results[i].nparams <= answer.nparams
        and (results[i].quick or _unwidened_behind(results[i], answer))
        and as_simple_relative(results[i].model, answer.model)
        and (results[i].probability or 0.0) * RELATIVE_ODDS >= (answer.probability or 0.0)]
    for i in simpler:
        quick_budget = QUICK_BUDGET_SHARE * jobs[i].budget_s
        share = {} if i in refine else {"budget_s": quick_budget}
        if results[i].quick:
            refine[i] = {"guess": {**results[i].values, **answer.values}, **share}
        else:  # adequate: what it may lack is a size distribution
            refine[i] = {"guess": results[i].values, "widen_adequate": True, **share}
    return sorted(refine.items())


def _to_widen(results: list, jobs: Sequence[FitJob]) -> list:
    """``[(index, options)]``, for a set that no fit fits adequately: of the fits whose width search the
    budget left could not afford (``FitResult.width_budget_s``: a large polydisperse cylinder, 70 ms an
    evaluation with a width), the :data:`MAX_REFINED` most probable by the network, each fitted again from
    its own parameters with the budget that allows the width, where that is at most
    :data:`WIDTH_BUDGET_FACTOR` times its own.  A curve some candidate fits, or whose fits can all afford
    their widths (every one of SasView's 16 labelled files), costs nothing more."""
    slow = [i for i, r in enumerate(results)
            if r is not None and 0 < r.width_budget_s <= WIDTH_BUDGET_FACTOR * jobs[i].budget_s]
    slow.sort(key=lambda i: results[i].probability or 0.0, reverse=True)
    return [(i, {"guess": results[i].values, "budget_s": results[i].width_budget_s}) for i in slow[:MAX_REFINED]]


def _unwidened_behind(fit, answer) -> bool:
    """``fit`` is adequate, ranked behind ``answer`` by BIC, and was fitted without any size
    distribution (an adequate fit gets no width search): a width may close the gap."""
    return bool(fit.acceptable) and fit.bic > answer.bic and not fit.pd_types


def classifier_probabilities(classifier, curve) -> dict:
    """{scattering model: probability} from ``classifier.predict_proba_curve`` (one curve)."""
    proba = classifier.predict_proba_curve(np.asarray(curve.q), np.asarray(curve.iq),
                                           diq=None if curve.diq is None else np.asarray(curve.diq),
                                           dq=None if curve.dq is None else np.asarray(curve.dq))
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 2:
        proba = proba[0]
    return dict(zip(list(classifier.labels), (float(v) for v in proba)))


#: simpler scattering models nested in a candidate (a limit of its parameters gives them):
#: fitted too when the classifier's top candidates leave them out
NESTED = {
    "core_shell_sphere": "sphere", "ellipsoid": "sphere", "fuzzy_sphere": "sphere", "core_multi_shell": "sphere",
    "onion": "sphere", "core_shell_ellipsoid": "ellipsoid", "triaxial_ellipsoid": "ellipsoid",
    "core_shell_cylinder": "cylinder", "elliptical_cylinder": "cylinder", "capped_cylinder": "cylinder",
    "core_shell_bicelle": "cylinder", "flexible_cylinder": "cylinder", "core_shell_parallelepiped": "parallelepiped",
    "rectangular_prism": "parallelepiped", "lamellar_hg": "lamellar", "lamellar_stack_caille": "lamellar",
}


def nested_simpler(names: Sequence[str]) -> list:
    """The simpler scattering models nested in ``names`` that ``names`` leaves
    out: a product's form factor alone (volume fraction 0), and :data:`NESTED`."""
    out = []
    for name in names:
        form = name.partition("@")[0]
        for simpler in (form if form != name else None, NESTED.get(form)):
            if simpler and simpler not in names and simpler not in out:
                out.append(simpler)
    return out


def as_simple_relative(model: str, of: str) -> bool:
    """Whether scattering model ``model`` has the form factor of ``of``
    (``sphere``, ``sphere@hardsphere`` and ``sphere@hayter_msa`` for
    ``sphere@hayter_msa``) or the simpler form factor :data:`NESTED` in it
    (``sphere`` for ``fuzzy_sphere``): it can draw nearly ``of``'s curve."""
    form, answer_form = model.partition("@")[0], of.partition("@")[0]
    return form == answer_form or NESTED.get(answer_form) == form


#: the scattering model SAS analyses start from: fitted too, with the structure factor the network
#: finds most probable (:func:`reference_candidate`), when the top candidates leave it out
REFERENCE = "sphere"


def reference_candidate(probabilities: dict) -> str | None:
    """:data:`REFERENCE` alone, or, when a structure factor is more probable than
    none (probabilities summed over the form factors), with the most probable
    one, e.g. ``sphere@hayter_msa``; None when the classifier does not know that label.  The textbook start
    keeps the answer honest where the network's form factors are all wrong
    but its structure factor is right (SDS micelles read as barbells)."""
    from ..classifier.factors import NO_STRUCTURE_FACTOR, split_label  # not at import: workers never need it

    by_structure = {}
    for label, p in probabilities.items():
        structure = split_label(label)[1]
        by_structure[structure] = by_structure.get(structure, 0.0) + p
    none = by_structure.pop(NO_STRUCTURE_FACTOR, 0.0)
    interacting = by_structure and sum(by_structure.values()) > none
    name = f"{REFERENCE}@{max(by_structure, key=by_structure.get)}" if interacting else REFERENCE
    return name if name in probabilities else None


def size_guesses(classifier, curve) -> dict:
    """{scattering model: {parameter: value}}: the classifier's size estimates for ``curve``
    (:mod:`sasnets.classifier.sizes`), which the fits start from; empty without them."""
    if not getattr(classifier, "has_sizes", False):
        return {}
    estimates = classifier.estimate_sizes([curve], list(classifier.labels))[0]
    return {model: {name: e["value"] for name, e in sizes.items()} for model, sizes in estimates.items() if sizes}


def candidate_jobs(curve, probabilities: dict | None, *, models: Sequence[str] | None = None, top: int = 3,
                   extend: int = 0, fix: dict | None = None, nested: bool = True, reference: bool = True,
                   guesses: dict | None = None, **fit_options) -> list:
    """The fits :func:`fit_candidates` runs: the ``models`` given, or the
    ``top`` most probable ones and (``nested``) the simpler models nested in
    them that they leave out (:func:`nested_simpler`: a textbook sphere the
    network ranks fourth behind an ellipsoid is still fitted) and
    (``reference``) the sphere with the most probable structure factor
    (:func:`reference_candidate`), then the
    ``extend`` next most probable ones as ``reserve`` jobs, fitted only when
    none of the others fits adequately.  Each
    candidate holds the parameters of ``fix`` it has (:func:`held_for`) and
    starts from its entry of ``guesses`` (:func:`size_guesses`), if any; a
    candidate without one starts from the entry of the product it is nested in."""
    reserves, added = [], None
    if models:
        names = list(dict.fromkeys(models))
    elif probabilities:
        ordered = sorted(probabilities, key=lambda m: -probabilities[m])
        names = ordered[:max(1, int(top))]
        if nested:
            names += [m for m in nested_simpler(names) if m in probabilities]
        added = reference_candidate(probabilities) if reference else None
        if added in names:  # already a candidate: refined like the others
            added = None
        if added is not None:
            names.append(added)
        reserves = [m for m in ordered if m not in names][:max(0, int(extend))]
        names += reserves
    else:
        raise UsageError("Nothing to fit: pass a classifier or at least one model name (--model NAME).")
    holds = held_for(names, fix)
    widths = polydisperse_for(names, fit_options.pop("polydisperse", None))
    guesses = dict(guesses or {})
    for name in names:  # sphere nested in sphere@hayter_msa starts from the product's sizes
        parent = next((g for m, g in guesses.items() if m.partition("@")[0] == name), None)
        if name not in guesses and parent is not None:
            guesses[name] = parent
    return [FitJob(curve, name, {**fit_options, "fix": holds[name], "polydisperse": widths[name],
                                 "probability": (probabilities or {}).get(name), "guess": guesses.get(name)},
                   reserve=name in reserves, reference=name == added)
            for name in names]


def polydisperse_for(models: Sequence[str], names: Sequence[str] | None) -> dict:
    """{model: the size parameters of ``names`` it has, or None (the
    automatic width search) when it has none}.  A name that is a parameter
    but not a size parameter of some model, or a parameter of none of them,
    is a UsageError."""
    if not names:
        return {m: None for m in models}
    names = [n[:-3] if n.endswith("_pd") else n for n in dict.fromkeys(names)]
    out, found = {}, set()
    for m in models:
        info = _model_info(m)
        sizes = size_parameters(info)
        table = set(info.parameters.defaults)
        for n in names:
            if n in table and n not in sizes:
                raise UsageError(f"--polydisperse {n}: {n} of {m} is not a size parameter that can be polydisperse; "
                                 f"its size parameters: {', '.join(sizes) or 'none'}.")
        mine = [n for n in names if n in sizes]
        found.update(mine)
        out[m] = mine or None
    missing = [n for n in names if n not in found]
    if missing:
        raise UsageError(f"--polydisperse {', '.join(missing)}: none of the scattering models fitted "
                         f"({', '.join(models)}) has such a size parameter; `sasnets models NAME --parameters` "
                         "lists a model's parameters.")
    return out


def held_for(models: Sequence[str], fix: dict | None) -> dict:
    """{model: the part of ``fix`` it has a parameter for}: a solvent SLD or a
    background held for several candidates applies to each that has it.  A
    name that none of ``models`` has (a typo, most likely) or a value outside
    a parameter's limits is a UsageError."""
    fix = fix or {}
    holds = {m: {} for m in models}
    for m in models if fix else ():
        info = _model_info(m)
        known = _fixable(info)
        holds[m] = _checked_hold(info, {k: v for k, v in fix.items() if k in known})
    unused = [k for k in fix if not any(k in h for h in holds.values())]
    if unused:
        raise UsageError(f"--fix {', '.join(unused)}: none of the scattering models fitted ({', '.join(models)}) has "
                         "such a parameter; `sasnets models --parameters NAME` lists a model's parameters.")
    return holds


def fit_candidates(curve, classifier=None, *, models: Sequence[str] | None = None, top: int = 3,
                   extend: int = DEFAULT_EXTEND,
                   resolution: float | None = None, budget_s: float = DEFAULT_BUDGET_S, starts: int = 3, seed: int = 0,
                   workers: int | None = None, fit_params: Sequence[str] | None = None,
                   fix: dict | None = None, rank_by: str = DEFAULT_RANKING,
                   polydisperse: Sequence[str] | None = None, pd_type: str = DEFAULT_PD_TYPE,
                   search_widths: bool = True, slit_length=None, slit_width=None, seed_sizes: bool = True,
                   reference: bool = True, scheduler: str | None = None) -> list:
    """Classify ``curve``, fit the candidates and return them ranked (best first).

    ``classifier`` is a loaded classifier (``labels`` + ``predict_proba``) or a
    path to one; it supplies the candidates (the ``top`` most probable) and
    their probabilities, and the ``extend`` next ones when none of those fits
    adequately.  ``models`` fits the named scattering models instead
    (with the classifier's probabilities when a classifier is also given,
    ``None`` otherwise).  Without either, the default classifier is used when
    one is installed.  ``fix`` holds known parameter values in every
    candidate that has them, ``polydisperse`` fits the widths of the size
    parameters in every candidate that has them (:func:`polydisperse_for`);
    ``pd_type``, ``search_widths``, ``slit_length`` and ``slit_width`` are
    :func:`fit_model`'s.  With ``seed_sizes``, each fit also starts from the
    classifier's size estimates (:func:`size_guesses`); with ``reference``, the
    sphere with the most probable structure factor is fitted too
    (:func:`candidate_jobs`).  Candidates fit in parallel
    over ``workers`` processes, or on the Dask cluster at ``scheduler``.
    Each result is a :class:`FitResult`; the order follows :func:`rank_fits`
    (``rank_by``: ``"posterior"``, the default, re-ranks by fit and
    probability; ``"network"`` keeps the classifier's order and the fits check it).
    """
    rank_fits([], by=rank_by)  # an unknown ranking fails before the fits run
    probabilities = None
    if classifier is not None or not models:
        from ..classifier import resolve_classifier  # not at import: fit workers never load the classifier code

        classifier = resolve_classifier(classifier)
        probabilities = classifier_probabilities(classifier, curve)
    guesses = size_guesses(classifier, curve) if seed_sizes and classifier is not None else {}
    neutral = 1.0 / len(probabilities) if probabilities else None
    jobs = candidate_jobs(curve, probabilities, models=models, top=top, extend=extend, reference=reference,
                          resolution=resolution, budget_s=budget_s, starts=starts, seed=seed, fit_params=fit_params,
                          fix=fix, polydisperse=polydisperse, pd_type=pd_type, search_widths=search_widths,
                          slit_length=slit_length, slit_width=slit_width, guesses=guesses)
    ranked = [r for _, r in fit_job_sets([jobs], workers=workers, scheduler=scheduler, rank_by=rank_by,
                                         default_probability=neutral)]
    return ranked[0] if ranked else []

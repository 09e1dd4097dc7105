"""Store checks: every check writes :func:`fixture_batch` to a new, empty store and reads it back."""
from __future__ import annotations

import collections
import contextlib
import inspect
import os
import pathlib
import tempfile

import numpy as np

from ._core import expect, run_all, run_check
from ._data import fixture_batch

__all__ = ["check_store", "store_factory", "canonical", "STORE_CHECKS", "check_store_round_trip", "check_store_queries",
           "check_store_streaming", "check_store_provenance", "check_store_read_only", "check_store_missing_tag"]

_COLUMNS = ("q", "dq", "iq", "diq")


def store_factory(name: str):
    """A factory for :func:`check_store` giving ``"<name>:<tmp_dir>/store"``: a new store of
    the registered store ``name`` that lives in a file or directory (a server store needs its
    own factory returning the URL of a new, empty database)."""
    def factory(tmp_dir):
        return f"{name}:{pathlib.Path(tmp_dir) / 'store'}"

    factory.__name__ = f"store_factory_{name}"
    return factory


def _takes_a_directory(factory) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in params)


@contextlib.contextmanager
def _new_store(factory):
    """``(url, subject)`` of a new, empty store from ``factory()`` or ``factory(tmp_dir)``."""
    from ..stores import resolve_store

    with tempfile.TemporaryDirectory(prefix="sasnets-check-") as tmp:
        url = os.fspath(factory(pathlib.Path(tmp)) if _takes_a_directory(factory) else factory())
        try:
            entry, _ = resolve_store(url)
        except Exception as exc:
            raise AssertionError(f"the store factory {getattr(factory, '__name__', factory)!r} returned {url!r}, "
                                 f"which no registered store opens ({exc})") from None
        yield url, f"store {entry.name!r} from {entry.origin} (at {url!r})"


def _run(fn, factory, body):
    with _new_store(factory) as (url, subject):
        run_check(subject, fn, lambda: body(url))


# -- comparing batches --------------------------------------------------------------------------

def _key(batch, i):
    return str(batch.models[i]), int(batch.indices[i]), int(batch.seeds[i])


def _label(key) -> str:
    return f"the {key[0]} curve with index {key[1]} and seed {key[2]}"


def canonical(batch):
    """The curves of ``batch`` sorted by (model, index, seed), to compare what
    stores return: a store may keep curves grouped by model."""
    return batch.take(sorted(range(len(batch)), key=lambda i: _key(batch, i)))


def _same_type_and_value(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_type_and_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_type_and_value(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _expect_same_curves(got, want, what: str, params: bool = True) -> None:
    """``got`` holds exactly the curves of ``want`` (any order): every column, label, seed,
    index, and (``params``) parameter value of the same type."""
    got_keys = collections.Counter(_key(got, i) for i in range(len(got)))
    want_keys = collections.Counter(_key(want, i) for i in range(len(want)))
    missing, extra = want_keys - got_keys, got_keys - want_keys
    expect(not missing and not extra,
           f"{what} returned {len(got)} curves, {len(want)} were written"
           + (f"; missing: {', '.join(_label(k) for k in sorted(missing))}" if missing else "")
           + (f"; not written (or twice): {', '.join(_label(k) for k in sorted(extra))}" if extra else ""))
    if params:
        expect(got.params is not None, f"{what} returned no parameters (params is None) though they were asked for")
    got, want = canonical(got), canonical(want)
    for i in range(len(want)):
        label = _label(_key(want, i))
        a, b = got.curve(i), want.curve(i)
        expect(len(a.q) == len(b.q), f"{what}: {label} has {len(a.q)} points, {len(b.q)} were written")
        for column in _COLUMNS:
            x, y = getattr(a, column), getattr(b, column)
            if not np.array_equal(x, y, equal_nan=True):
                bad = np.flatnonzero(~((x == y) | (np.isnan(x) & np.isnan(y))))
                raise AssertionError(
                    f"{what}: {column} of {label} differs at {len(bad)} of {len(y)} points (point {bad[0]}: "
                    f"{x[bad[0]]!r}, written {y[bad[0]]!r}); a store must return float32 values exactly")
        if params:
            expect(_same_type_and_value(a.params, b.params),
                   f"{what}: the parameters of {label} came back as {a.params!r}; written: {b.params!r} "
                   "(every key, with its value and type: floats stay floats, strings stay strings)")


# -- the checks -----------------------------------------------------------------------------------

def _round_trip(url):
    from ..stores import open_store

    batch = fixture_batch()
    with open_store(url, "a") as s:
        s.write("train", batch)
    with open_store(url) as s:
        _expect_same_curves(s.read("train"), batch, "read('train')")


def check_store_round_trip(factory) -> None:
    """Guarantees that curves written come back exactly: after ``write("train", batch)`` and
    reopening, ``read("train")`` returns every curve of the fixture dataset once, with equal
    ``q``/``dq``/``iq``/``diq`` (float32, ragged lengths kept), model, seed, generation index and
    parameters (float and string values, types kept), in any order."""
    _run(check_store_round_trip, factory, _round_trip)


def _queries(url):
    from ..stores import open_store

    batch = fixture_batch()
    with open_store(url, "a") as s:
        s.write("train", batch)
        s.write("eval", batch.take([0, 4]))
    with open_store(url) as s:
        tags = list(s.tags())
        expect(sorted(tags) == ["eval", "train"], f"tags() is {tags!r} after writing 'train' and 'eval'")
        counts = s.counts()
        want = {"train": {"sphere": 4, "cylinder": 4, "lamellar": 4}, "eval": {"sphere": 1, "cylinder": 1}}
        expect(counts == want, f"counts() is {counts!r}, expected {want!r}")
        expect(s.size("train") == 12 and s.size("eval") == 2,
               f"size() is {s.size('train')} for 'train' and {s.size('eval')} for 'eval', expected 12 and 2")
        indices = sorted(np.asarray(s.existing_indices("train", "sphere")).tolist())
        expect(indices == [0, 1, 2, 3], f"existing_indices('train', 'sphere') is {indices}, expected [0, 1, 2, 3]")
        none = np.asarray(s.existing_indices("train", "nope"))
        expect(none.size == 0, f"existing_indices('train', 'nope') is {none.tolist()} for a model never written")
        _expect_same_curves(s.read("eval"), batch.take([0, 4]), "read('eval')")
        lamellar = s.read("train", models=["lamellar"])
        _expect_same_curves(lamellar, batch.take(np.flatnonzero(batch.models == "lamellar")),
                            "read('train', models=['lamellar'])")
        everything = s.read("train")
        for start, stop in ((3, 8), (0, 1), (10, 12)):
            part = s.read_slice("train", start, stop)
            expect(part.equals(everything.take(range(start, stop))),
                   f"read_slice('train', {start}, {stop}) is not curves {start}:{stop} of read('train') "
                   "(positions are storage order, the order read returns)")
        bare = s.read("train", with_params=False)
        _expect_same_curves(bare, batch, "read('train', with_params=False)", params=False)


def check_store_queries(factory) -> None:
    """Guarantees the bookkeeping a resumed generation and training rely on, after writing the
    fixture dataset to ``train`` and two of its curves to ``eval``: ``tags()``, ``counts()``
    (``{tag: {model: n}}``), ``size(tag)``, ``existing_indices(tag, model)`` (empty for a model
    never written), ``read(tag, models=[...])`` (only those models), ``read_slice(tag, a, b)``
    (positions ``a:b`` of the order ``read`` returns) and ``read(tag, with_params=False)``."""
    _run(check_store_queries, factory, _queries)


def _streaming(url):
    from ..data.curves import CurveBatch
    from ..stores import open_store

    batch = fixture_batch()
    with open_store(url, "a") as s:
        s.write("train", batch)
    with open_store(url) as s:
        def run(seed):
            return list(s.iter_batches("train", 5, shuffle=True, seed=seed, block_size=2, buffer_blocks=2))

        first, again, other = run(7), run(7), run(8)
        sizes = [len(b) for b in first]
        expect(sizes == [5, 5, 2], f"iter_batches('train', 5) over 12 curves gave batches of {sizes}, "
                                   "expected [5, 5, 2]")
        streamed = CurveBatch.concat(first)
        _expect_same_curves(streamed, batch, "iter_batches('train', 5, shuffle=True)", params=False)
        expect(len(again) == len(first) and all(a.equals(b) for a, b in zip(first, again)),
               "iter_batches with the same seed (7) gave a different order the second time")
        expect(not np.array_equal(streamed.seeds, CurveBatch.concat(other).seeds),
               "iter_batches with seeds 7 and 8 gave the same order: the shuffle ignores the seed")
        ordered = CurveBatch.concat(list(s.iter_batches("train", 4, shuffle=False)))
        expect(ordered.equals(s.read("train", with_params=False)),
               "iter_batches('train', 4, shuffle=False) is not the order read('train') returns")
        only = CurveBatch.concat(list(s.iter_batches("train", 3, seed=1, models=["sphere"])))
        seeds = sorted(only.seeds.tolist())
        expect(seeds == [1000, 1003, 1006, 1009],
               f"iter_batches('train', 3, models=['sphere']) gave the curves with seeds {seeds}, "
               "expected the four sphere curves (1000, 1003, 1006, 1009)")


def check_store_streaming(factory) -> None:
    """Guarantees that training can stream a tag: ``iter_batches`` visits every curve exactly
    once in batches of the size asked for (the last one shorter), the same seed gives the same
    order and another seed another one, ``shuffle=False`` gives storage order, and ``models``
    keeps only those models' curves."""
    _run(check_store_streaming, factory, _streaming)


def _provenance(url):
    from ..stores import open_store

    record = {"run": "check", "n": 2, "sasmodels": "1.0.8", "fraction": 0.25,
              "options": {"models": ["sphere", "cylinder"], "seed": 7}}
    with open_store(url, "a") as s:
        s.write("train", fixture_batch().take([0, 1]))
        s.add_provenance("train", record)
    with open_store(url) as s:
        back = s.provenance("train")
        expect(back == [record], f"provenance('train') is {back!r} after add_provenance('train', {record!r})")


def check_store_provenance(factory) -> None:
    """Guarantees that a run record given to ``add_provenance(tag, record)`` (a JSON-like dict
    with strings, numbers, lists and a nested dict) is returned by ``provenance(tag)`` after
    reopening, equal to what was added."""
    _run(check_store_provenance, factory, _provenance)


def _read_only(url):
    from ..errors import StoreError
    from ..stores import open_store

    batch = fixture_batch()
    with open_store(url, "a") as s:
        s.write("train", batch.take([0, 1]))
    with open_store(url) as s:
        try:
            s.write("train", batch)
        except StoreError:
            pass
        else:
            raise AssertionError("write() on a store opened read-only (mode 'r') did not raise StoreError")
    with open_store(url) as s:
        expect(s.size("train") == 2, f"a refused write changed the store: 'train' has {s.size('train')} curves, "
                                     "not the 2 written before")


def check_store_read_only(factory) -> None:
    """Guarantees that a store opened read-only (``open_store(url)``, mode ``"r"``) refuses
    ``write`` with :class:`~sasnets.errors.StoreError` (a one-line message, not a traceback)
    and leaves the data already there untouched."""
    _run(check_store_read_only, factory, _read_only)


def _missing_tag(url):
    from ..errors import StoreError
    from ..stores import open_store

    with open_store(url, "a") as s:
        s.write("train", fixture_batch().take([0]))
    with open_store(url) as s:
        for call, run in (("read('nope')", lambda: s.read("nope")),
                          ("iter_batches('nope', 4)", lambda: list(s.iter_batches("nope", 4)))):
            try:
                run()
            except StoreError as exc:
                expect("nope" in str(exc), f"{call} raised StoreError({str(exc)!r}), which does not name the tag")
            else:
                raise AssertionError(f"{call} on a store without that tag did not raise StoreError")


def check_store_missing_tag(factory) -> None:
    """Guarantees that asking for a tag the store does not have (``read``, ``iter_batches``)
    raises :class:`~sasnets.errors.StoreError` whose message names the tag."""
    _run(check_store_missing_tag, factory, _missing_tag)


#: every store check, in the order :func:`check_store` runs them
STORE_CHECKS = [check_store_round_trip, check_store_queries, check_store_streaming, check_store_provenance,
                check_store_read_only, check_store_missing_tag]


def check_store(factory) -> None:
    """Run every store check on new stores from ``factory``.

    ``factory()`` or ``factory(tmp_dir)`` (a fresh, empty :class:`pathlib.Path`
    per check) returns the URL of a new, empty store, e.g.
    ``lambda tmp: f"nxcansas:{tmp}/store"`` (see :func:`store_factory`).
    Raises AssertionError listing each failing check with the store's name,
    the check and what was wrong.
    """
    run_all("store", STORE_CHECKS, factory)

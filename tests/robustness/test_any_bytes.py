"""Property: whatever bytes a user hands sasnets, the answer is a curve or one
clear SasnetsError, never another exception (hypothesis)."""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sasnets.errors import SasnetsError
from sasnets.stores import open_store
from sasnets.stores.measured import load_curve

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Bytes that look a little like the formats users bring, and bytes that look like nothing.
_number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6)).map(str)
_row = st.lists(st.one_of(_number, st.sampled_from(["#", "q", "I(q)", "nan", ",", "1/nm", "", "--"])),
                min_size=0, max_size=6).map(" ".join)
_text_file = st.lists(_row, max_size=30).map("\n".join).map(str.encode)
_xml_file = st.builds(
    lambda body, cut: (b'<?xml version="1.0"?><SASroot version="1.1"><SASentry><SASdata>'
                       + body + b"</SASdata></SASentry></SASroot>")[:cut],
    st.lists(st.builds(lambda q, i: f"<Idata><Q unit='1/A'>{q}</Q><I unit='1/cm'>{i}</I></Idata>".encode(),
                       _number, _number), max_size=6).map(b"".join),
    st.integers(0, 400))
_any_bytes = st.one_of(st.binary(max_size=2000), _text_file, _xml_file,
                       st.binary(max_size=200).map(lambda b: b"\x89HDF\r\n\x1a\n" + b))


@SETTINGS
@given(content=_any_bytes, suffix=st.sampled_from([".txt", ".dat", ".csv", ".ABS", ".xml", ".h5", ".nxs", ""]))
def test_measured_loader_gives_a_curve_or_a_sasnets_error(content, suffix):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sample" + suffix)
        with open(path, "wb") as f:
            f.write(content)
        try:
            curve = load_curve(path)
        except SasnetsError as exc:
            assert "\n" not in str(exc) and str(exc)
            return
    assert len(curve.q) >= 1 and np.all(np.isfinite(curve.q)) and np.all(np.diff(curve.q) > 0)
    assert np.all(np.isfinite(curve.iq))


def _read_all(url):
    with open_store(url) as store:
        return {tag: store.read(tag) for tag in store.tags()}


@SETTINGS
@given(content=_any_bytes)
def test_aggregated_text_files_give_curves_or_a_sasnets_error(content):
    """Both the sasnets-aggr layout and the 2017 result_<tag>_<model> layout."""
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "train"))
        with open(os.path.join(d, "train", "sphere.aggr"), "wb") as f:
            f.write(b"# sasnets-aggr 1 tag=train model=sphere\n" + content)
        with open(os.path.join(d, "result_eval_cylinder"), "wb") as f:
            f.write(content)
        try:
            _read_all("aggr:" + d)
        except SasnetsError as exc:
            assert "\n" not in str(exc)


@SETTINGS
@given(content=_any_bytes)
def test_json_files_give_curves_or_a_sasnets_error(content):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "train"))
        with open(os.path.join(d, "train", "sphere.jsonl"), "wb") as f:
            f.write(content)
        with open(os.path.join(d, "eval_legacy.json"), "wb") as f:
            f.write(content)
        try:
            _read_all("json:" + d)
        except SasnetsError as exc:
            assert "\n" not in str(exc)


# List literals as the stores write them (str(list), JSON, PostgreSQL arrays), whole or cut short.
_list_text = st.recursive(st.lists(_number, max_size=5).map(lambda xs: "[" + ", ".join(xs) + "]"),
                          lambda inner: st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
                          max_leaves=12)
_list_bytes = st.builds(lambda text, brackets, cut: text.translate(str.maketrans("[]", brackets)).encode()[:cut],
                        _list_text, st.sampled_from(["[]", "{}", "()"]), st.integers(0, 400))


def _outcome(parse, *args):
    """What ``parse(*args)`` gives: its result, or the ValueError it raised (any other exception propagates)."""
    try:
        return parse(*args)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))  # the stores show it as one line
        return exc


def _same_outcome(as_f64, as_f32, floats: int):
    """float32 output is the float64 output rounded (``floats``: where the floats are in the result);
    malformed input is malformed whatever the dtype."""
    assert isinstance(as_f64, ValueError) == isinstance(as_f32, ValueError), (as_f64, as_f32)
    if not isinstance(as_f64, ValueError):
        assert len(as_f64) == len(as_f32)
        assert as_f64[floats].dtype == np.float64 and as_f32[floats].dtype == np.float32
        for i, (a, b) in enumerate(zip(as_f64, as_f32)):
            np.testing.assert_array_equal(b, a.astype(np.float32) if i == floats else a)


@pytest.mark.parametrize("use_extension", [True, False])
@SETTINGS
@given(content=st.one_of(_any_bytes, _list_bytes), n_int=st.integers(0, 3))
def test_text_parsers_raise_only_value_errors(content, n_int, use_extension):
    """The parsers' own contract: numbers or ValueError (the stores turn that into one line).

    Numbers in the documented layout: ``parse_rows`` gives ``(ints, values,
    counts)`` with one ``(n_int,)`` int64 row and one float count per row, the
    counts adding up to the floats; ``parse_nested_lists`` gives ``(values,
    lengths)`` with one length per innermost list, adding up to the floats.
    Each number takes at least one byte and a separator, so there are never
    more than the bytes allow.
    """
    import importlib

    module = importlib.import_module("sasnets._ext.textparse" if use_extension else "sasnets.stores._textparse_py")
    most_numbers = (len(content) + 1) // 2

    rows = _outcome(module.parse_rows, content, n_int, np.float64)
    with np.errstate(over="ignore"):  # 1e300 is inf in float32
        _same_outcome(rows, _outcome(module.parse_rows, content, n_int, np.float32), floats=1)
    if not isinstance(rows, ValueError):
        ints, values, counts = rows
        assert counts.dtype == np.int64 and counts.ndim == 1 and np.all(counts >= 0)
        assert ints.dtype == np.int64 and ints.shape == (len(counts), n_int)
        assert values.ndim == 1 and len(values) == counts.sum()
        assert len(counts) <= content.count(b"\n") + 1 and ints.size + len(values) <= most_numbers

    lists = _outcome(module.parse_nested_lists, content, np.float64)
    with np.errstate(over="ignore"):
        _same_outcome(lists, _outcome(module.parse_nested_lists, content, np.float32), floats=0)
    if not isinstance(lists, ValueError):
        values, lengths = lists
        assert lengths.dtype == np.int64 and lengths.ndim == 1 and np.all(lengths >= 0)
        assert values.ndim == 1 and len(values) == lengths.sum() and len(values) <= most_numbers
        assert 1 <= len(lengths) <= sum(content.count(bracket) for bracket in b"[{(")  # one per innermost list

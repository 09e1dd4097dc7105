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


@pytest.mark.parametrize("use_extension", [True, False])
@SETTINGS
@given(content=_any_bytes)
def test_text_parsers_raise_only_value_errors(content, use_extension, monkeypatch):
    """The parsers' own contract: numbers or ValueError (the stores turn that into one line)."""
    import importlib

    module = importlib.import_module("sasnets._ext.textparse" if use_extension else "sasnets.stores._textparse_py")
    for parse in (module.parse_rows, module.parse_nested_lists):
        try:
            parse(content)
        except ValueError:
            pass

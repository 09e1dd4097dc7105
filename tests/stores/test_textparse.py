"""The numeric text parsers: the Cython extension and its pure-Python
reference give identical results on the same inputs."""
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def _extension():
    try:
        return importlib.import_module("sasnets._ext.textparse")
    except ImportError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("the Cython extension sasnets._ext.textparse is not built (pip install -e . builds it)")
        pytest.skip("the Cython extension sasnets._ext.textparse is not built")


@pytest.fixture(params=["cython", "python"])
def parser(request):
    if request.param == "cython":
        return _extension()
    return importlib.import_module("sasnets.stores._textparse_py")


def test_rows_with_integer_prefix_comments_and_commas(parser):
    ints, values, counts = parser.parse_rows(b"# header\n1 -2 0.5, 1e-3 nan\n\n  3 4 -1.5  # {\"a\": 1}\n5 6\n", 2)
    np.testing.assert_array_equal(ints, [[1, -2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(counts, [3, 1, 0])
    np.testing.assert_array_equal(values, [0.5, 1e-3, np.nan, -1.5])


def test_rows_keep_int64_seeds_exact(parser):
    ints, _, _ = parser.parse_rows(f"{2**63 - 1} {-2**63} 1.0\n", 2)
    assert ints.tolist() == [[2**63 - 1, -2**63]]


@pytest.mark.parametrize("text", [b"1 x 2\n", b"1 2e\n", b"1.0.0\n"])
def test_rows_reject_garbage_naming_the_line(parser, text):
    with pytest.raises(ValueError, match="line 1"):
        parser.parse_rows(text)


def test_rows_reject_missing_integers(parser):
    with pytest.raises(ValueError, match="line 2"):
        parser.parse_rows(b"1 2 3.0\n1.5 2\n", 2)


def test_nested_lists_forms(parser):
    values, lengths = parser.parse_nested_lists("[[1.0, 2.5e-3], [], [-inf, 3]]")
    np.testing.assert_array_equal(values, [1.0, 2.5e-3, -np.inf, 3.0])
    np.testing.assert_array_equal(lengths, [2, 0, 2])
    values, lengths = parser.parse_nested_lists(b"{0.1,0.2}")
    np.testing.assert_array_equal(values, [0.1, 0.2])
    np.testing.assert_array_equal(lengths, [2])
    values, lengths = parser.parse_nested_lists(b"{{1,2},{3,4}}", np.float32)
    assert values.dtype == np.float32 and lengths.tolist() == [2, 2]


@pytest.mark.parametrize("text, message", [
    ("[1, [2]]", "mixes"), ("[[1], 2]", "mixes"), ("[1, 2", "unterminated"), ("[1, x]", "not a number"),
    ("1, 2", "expected a list"), ("[1] [2]", "after the end"), ("", "no list"), ("[1]]", "unbalanced"),
])
def test_nested_lists_errors(parser, text, message):
    with pytest.raises(ValueError, match=message):
        parser.parse_nested_lists(text)


def test_float32_round_trip_is_exact(parser):
    rng = np.random.default_rng(1)
    x = (rng.random(5000) * 10.0 ** rng.integers(-40, 38, 5000)).astype(np.float32)
    x[:3] = [0.0, -0.0, np.float32(1e-45)]
    text = "\n".join(" ".join("%.9g" % v for v in row) for row in x.reshape(50, 100).tolist())
    _, values, counts = parser.parse_rows(text, 0, np.float32)
    assert np.array_equal(values, x) and counts.tolist() == [100] * 50
    values, _ = parser.parse_nested_lists("[" + ", ".join(repr(float(v)) for v in x) + "]", np.float32)
    assert np.array_equal(values, x)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(allow_nan=False, width=64), max_size=8), min_size=1, max_size=6))
def test_extension_matches_reference(rows):
    ext = _extension()
    ref = importlib.import_module("sasnets.stores._textparse_py")
    text = "\n".join(" ".join(repr(v) for v in row) for row in rows if row)
    for a, b in zip(ext.parse_rows(text), ref.parse_rows(text)):
        np.testing.assert_array_equal(a, b)
    literal = repr(rows)
    for a, b in zip(ext.parse_nested_lists(literal), ref.parse_nested_lists(literal)):
        np.testing.assert_array_equal(a, b)


def test_environment_switch_selects_reference():
    code = "from sasnets.stores import _textparse as t; print(t.USING_EXTENSION, t.parse_rows.__module__)"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "SASNETS_NO_EXT": "1"},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "sasnets.stores._textparse_py"]

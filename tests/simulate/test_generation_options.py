"""GenerationOptions and Range: parsing, presets, validation, recording."""
import json

import numpy as np
import pytest

from sasnets.errors import UsageError
from sasnets.simulate import GenerationOptions, Range


@pytest.mark.parametrize("text, expected", [("3", (3.0, 3.0)), ("1:5", (1.0, 5.0)), ("1e-3:0.02", (1e-3, 0.02))])
def test_range_parses_numbers_and_ranges(text, expected):
    r = Range.parse(text, "--x")
    assert (r.low, r.high) == expected
    assert r.fixed == (expected[0] == expected[1])


@pytest.mark.parametrize("text", ["abc", "5:1", "1:2:3", "nan", "1:inf"])
def test_range_rejects_bad_text_naming_the_option(text):
    with pytest.raises(UsageError, match="--noise"):
        Range.parse(text, "--noise")


def test_integer_range_requires_whole_numbers():
    assert Range.parse("60:250", "--nq", integer=True) == Range(60, 250)
    with pytest.raises(UsageError, match="whole number"):
        Range.parse("60.5", "--nq", integer=True)


def test_draws_stay_in_range_and_follow_the_generator():
    r = Range(60, 250)
    rng = np.random.default_rng(1)
    values = [r.draw_int(rng) for _ in range(2000)]
    assert min(values) >= 60 and max(values) <= 250
    assert min(values) == 60 and max(values) == 250  # both ends reachable
    logs = [Range(1e-3, 1.0).draw_log(np.random.default_rng(k)) for k in range(2000)]
    assert 1e-3 <= min(logs) and max(logs) <= 1.0
    # log-uniform: about half of the draws below the geometric middle
    assert 0.4 < np.mean(np.array(logs) < np.sqrt(1e-3)) < 0.6
    assert Range(2, 2).draw_uniform(np.random.default_rng(0)) == 2.0


def test_fixed_ranges_consume_the_generator_like_ranged_ones():
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    Range(1, 1).draw_log(a)
    Range(1, 9).draw_log(b)
    assert a.uniform() == b.uniform()


def test_defaults_are_the_2017_fixed_grid():
    o = GenerationOptions()
    assert o.nq == Range(100, 100) and o.scale == Range(1.0, 1.0) and o.background == Range(1e-5, 1e-5)
    assert not o.ragged


def test_instrument_preset_is_ragged_and_overridable():
    o = GenerationOptions.preset("instrument", nq="80:90")
    assert o.ragged
    assert o.nq == Range(80, 90)
    assert o.noise == Range(1.0, 5.0) and o.resolution == Range(2.0, 10.0)
    assert o.qmin.low >= 1e-3 and o.qmax.high <= 0.6
    with pytest.raises(UsageError, match="preset"):
        GenerationOptions.preset("nope")


@pytest.mark.parametrize("kwargs, message", [
    (dict(qmin=0.5, qmax=0.1), "--qmin"),
    (dict(qmin="0.01:0.2", qmax="0.1:0.5"), "--qmin"),
    (dict(qmin=0), "--qmin must be positive"),
    (dict(nq=1), "--nq"),
    (dict(noise=100), "--noise"),
    (dict(resolution=-1), "--resolution"),
    (dict(scale=0), "--scale"),
    (dict(background=-1), "--background"),
    (dict(dimension="2D"), "not supported yet"),
    (dict(magnetic=True), "--magnetic"),
    (dict(precision="half"), "--precision"),
    (dict(engine="metal"), "--engine"),
    (dict(cutoff=2.0), "--cutoff"),
])
def test_invalid_options_are_one_line_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message) as info:
        GenerationOptions(**kwargs)
    assert "\n" not in str(info.value)


def test_options_round_trip_through_json():
    o = GenerationOptions.preset("instrument", polydisperse=True, precision="double")
    again = GenerationOptions.from_dict(json.loads(json.dumps(o.to_dict())))
    assert again == o


def test_template_replaces_the_grid(tmp_path):
    pytest.importorskip("sasnets.stores.measured")
    path = tmp_path / "measured.txt"
    q = np.linspace(0.01, 0.2, 12)
    np.savetxt(path, np.column_stack([q, 1 / q, 0.05 / q, 0.03 * q]))
    o = GenerationOptions.from_template(str(path))
    assert np.allclose(o.template_q, q)
    assert np.allclose(o.template_dq, 0.03 * q)
    assert o.template == str(path)

"""Accuracy by measurement conditions: background-to-peak ratio and q-window width per curve, and the bands."""
import numpy as np
import pytest

from sasnets.analysis.conditions import accuracy_by_conditions, band_label, curve_conditions, intensity_decades
from sasnets.data import Curve, CurveBatch


def _curve(qmin, qmax, peak, background=None):
    q = np.logspace(np.log10(qmin), np.log10(qmax), 20)
    iq = np.linspace(peak, peak / 100, 20)
    return Curve(q=q, iq=iq, model="sphere", params={} if background is None else {"background": background})


def test_each_curve_gets_its_background_over_peak_and_q_decades():
    batch = CurveBatch.from_curves([_curve(1e-3, 0.1, peak=50.0, background=0.5),
                                    _curve(1e-2, 0.5, peak=2.0),  # no background parameter: unknown
                                    Curve(q=np.zeros(0), iq=np.zeros(0), model="sphere", params={"background": 1.0}),
                                    _curve(3e-3, 0.3, peak=4.0, background=4.0)])
    c = curve_conditions(batch)
    np.testing.assert_allclose(c["background_to_peak"][[0, 3]], [0.01, 1.0])
    assert np.isnan(c["background_to_peak"][1]) and np.isnan(c["background_to_peak"][2])  # unknown; no points
    np.testing.assert_allclose(c["q_decades"][[0, 1, 3]], [2.0, np.log10(50), 2.0])
    assert np.isnan(c["q_decades"][2])


def test_bands_count_curves_and_their_top1():
    ratio = np.array([1e-4, 1e-4, 0.01, 0.5, 0.9, np.nan])
    decades = np.array([1.0, 2.2, 2.2, 2.2, 1.0, 1.7])
    correct = np.array([True, False, True, True, False, True])
    out = accuracy_by_conditions(correct, {"background_to_peak": ratio, "q_decades": decades})
    bg = {band_label(b, 100, " %"): (b["n"], b["top1"]) for b in out["by_background"]}
    assert bg == {"< 0.1 %": (2, 0.5), "0.1-3 %": (1, 1.0), "3-30 %": (0, None), "30-80 %": (1, 1.0),
                  ">= 80 %": (1, 0.0)}
    assert sum(b["n"] for b in out["by_background"]) == 5  # the curve without a known background is left out
    assert out["by_background"][0]["share"] == pytest.approx(2 / 6)
    # q-window bands: curves under 3 % background, or with none known; the 50 % and 90 % ones stay out
    window = {band_label(b, 1, " decades"): (b["n"], b["top1"]) for b in out["by_q_window"]}
    assert window == {"< 1.5 decades": (1, 1.0), "1.5-2 decades": (1, 1.0), "2-2.5 decades": (2, 0.5),
                      ">= 2.5 decades": (0, None)}


def test_no_known_background_gives_no_background_bands():
    out = accuracy_by_conditions([True, False], {"background_to_peak": np.full(2, np.nan),
                                                 "q_decades": np.array([1.0, 3.0])})
    assert out["by_background"] == []
    assert [b["n"] for b in out["by_q_window"]] == [1, 0, 0, 1]


def test_intensity_range_is_read_off_the_curve_between_its_5th_and_95th_percentiles():
    batch = CurveBatch.from_curves([
        Curve(q=np.linspace(0.01, 1, 100), iq=np.linspace(1, 100, 100), model="sphere"),
        Curve(q=np.linspace(0.01, 1, 21), iq=np.r_[1000.0, np.full(20, 2.0)], model="sphere"),  # one spike: flat
        Curve(q=np.linspace(0.01, 1, 3), iq=np.array([1.0, -1.0, np.nan]), model="sphere"),  # one usable point
        Curve(q=np.zeros(0), iq=np.zeros(0), model="sphere"),
    ])
    spread = intensity_decades(batch)
    assert spread[0] == pytest.approx(np.log10(95 / 6))  # nearest ranks 5 and 94 of 0..99
    assert spread[1] == 0.0
    assert np.isnan(spread[2]) and np.isnan(spread[3])
    np.testing.assert_array_equal(curve_conditions(batch)["intensity_decades"], spread)


def test_intensity_range_bands_count_every_curve_with_a_range():
    out = accuracy_by_conditions([True, False, True, True], {
        "background_to_peak": np.full(4, np.nan), "q_decades": np.full(4, 2.0),
        "intensity_decades": np.array([0.05, 0.05, 3.0, np.nan])})
    bands = {band_label(b, 1, " decades"): (b["n"], b["top1"]) for b in out["by_intensity_range"]}
    assert bands == {"< 0.1 decades": (2, 0.5), "0.1-0.5 decades": (0, None), "0.5-2 decades": (0, None),
                     ">= 2 decades": (1, 1.0)}

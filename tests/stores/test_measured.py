"""Measured-file loading: every format users bring, unit conversion, and one-sentence errors."""
import os
import shutil
import warnings

import h5py
import numpy as np
import pytest

from sasnets.errors import DataError, UsageError
from sasnets.stores.measured import MeasuredFileWarning, load_curve, read_measured

DATA = os.path.join(os.path.dirname(__file__), os.pardir, "data", "measured")


def fixture(name):
    return os.path.join(DATA, name)


def sphere(q, radius=60.0, scale=100.0, background=0.05):
    qr = q * radius
    return scale * (3 * (np.sin(qr) - qr * np.cos(qr)) / qr**3) ** 2 + background


GOOD = {
    "sphere_nist.ABS": ("nist-abs", 48, True, True),
    "sphere_2col.txt": ("ascii", 60, False, False),
    "sphere_3col.dat": ("ascii", 60, True, False),
    "sphere_4col.csv": ("ascii", 60, True, True),
    "sphere_cansas1d.xml": ("cansas-xml", 40, True, True),
    "sphere_nxcansas.h5": ("nxcansas", 50, True, True),
    "sphere_nm.txt": ("ascii", 60, True, False),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_format_loads_the_sphere_curve_in_inverse_angstrom(name):
    fmt, n, has_diq, has_dq = GOOD[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasuredFileWarning)
        measured = read_measured(fixture(name))
    curve = measured.curve
    assert measured.format == fmt
    assert len(curve) == n
    assert curve.source == fixture(name)
    assert np.all(np.diff(curve.q) > 0)
    assert 0.0015 < curve.q[0] < 0.005 and curve.q[-1] < 0.5  # 1/Å, even for the 1/nm file
    np.testing.assert_allclose(curve.iq, sphere(curve.q), rtol=1e-4)
    assert np.any(curve.diq > 0) == has_diq
    assert np.any(curve.dq > 0) == has_dq
    if has_diq:
        np.testing.assert_allclose(curve.diq, 0.02 * curve.iq, rtol=1e-4)
    if has_dq:
        np.testing.assert_allclose(curve.dq, 0.05 * curve.q, rtol=1e-4)


def test_inverse_nanometre_header_is_converted_with_a_warning():
    with pytest.warns(MeasuredFileWarning, match="1/nm"):
        measured = read_measured(fixture("sphere_nm.txt"))
    assert measured.q_units == "1/nm"
    reference = load_curve(fixture("sphere_3col.dat"))
    np.testing.assert_allclose(measured.curve.q, reference.q, rtol=1e-6)
    np.testing.assert_allclose(measured.curve.iq, reference.iq)  # intensity unchanged


@pytest.mark.parametrize("override, factor", [("A", 10.0), ("nm", 1.0), ("1/nm", 1.0), (None, 1.0)])
def test_q_units_override_beats_the_file(override, factor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasuredFileWarning)
        curve = load_curve(fixture("sphere_nm.txt"), q_units=override)
    assert curve.q[0] == pytest.approx(0.002 * factor, rel=1e-5)


def test_q_units_override_on_an_angstrom_file_divides_by_ten():
    curve = load_curve(fixture("sphere_2col.txt"), q_units="nm")
    assert curve.q[0] == pytest.approx(0.0002, rel=1e-5)


def test_nxcansas_in_inverse_nanometre(tmp_path):
    path = tmp_path / "nm.h5"
    shutil.copy(fixture("sphere_nxcansas.h5"), path)
    with h5py.File(path, "a") as f:
        d = f["sasentry01/sasdata01"]
        for name in ("Q", "Qdev"):
            d[name][...] = d[name][()] * 10
            d[name].attrs["units"] = "1/nm"
    with pytest.warns(MeasuredFileWarning):
        curve = load_curve(path)
    reference = load_curve(fixture("sphere_nxcansas.h5"))
    np.testing.assert_allclose(curve.q, reference.q, rtol=1e-9)
    np.testing.assert_allclose(curve.dq, reference.dq, rtol=1e-9)
    assert load_curve(path, q_units="A").q[0] == pytest.approx(reference.q[0] * 10)


def test_cansas_xml_in_inverse_nanometre(tmp_path):
    text = open(fixture("sphere_cansas1d.xml")).read()
    q_values = []
    import re

    def scale(match):
        value = float(match.group(1)) * 10
        q_values.append(value)
        return f'<Q unit="1/nm">{value:.8g}</Q>'

    text = re.sub(r'<Q unit="1/A">([^<]+)</Q>', scale, text)
    path = tmp_path / "nm.xml"
    path.write_text(text)
    with pytest.warns(MeasuredFileWarning):
        curve = load_curve(path)
    np.testing.assert_allclose(curve.q, np.array(q_values) / 10, rtol=1e-7)


def test_unsorted_file_is_sorted_and_duplicates_merged():
    with pytest.warns(MeasuredFileWarning, match="merged 1 row"):
        curve = load_curve(fixture("sphere_unsorted.txt"))
    reference = load_curve(fixture("sphere_3col.dat"))
    np.testing.assert_allclose(curve.q, reference.q)
    np.testing.assert_allclose(curve.iq, reference.iq)


def test_a_few_bad_points_are_dropped_with_a_warning(tmp_path):
    q = np.logspace(-2, -0.5, 20)
    iq = sphere(q)
    iq[3] = -1.0
    iq[7] = np.nan
    path = tmp_path / "few_bad.txt"
    np.savetxt(path, np.column_stack([q, iq]), header="q I")
    with pytest.warns(MeasuredFileWarning, match="dropped 2 of 20"):
        curve = load_curve(path)
    assert len(curve) == 18 and np.all(curve.iq > 0)


def test_ascii_header_with_numbers_and_a_footer(tmp_path):
    q = np.logspace(-2, -0.5, 12)
    lines = ["Run 1234", "1234 5678", "q (1/A)\tI\tdI"]
    lines += [f"{a}\t{b}\t{0.1 * b}" for a, b in zip(q, sphere(q))]
    lines += ["END OF DATA", "total counts 1 2 3 4 5"]
    path = tmp_path / "framed.txt"
    path.write_text("\n".join(lines) + "\n")
    curve = load_curve(path)
    assert len(curve) == 12
    np.testing.assert_allclose(curve.q, q)


BAD = {
    "bad_empty.txt": "is empty",
    "bad_binary.dat": "binary",
    "bad_nan.txt": "not-a-number",
    "bad_negative.txt": "zero or negative",
    "bad_single_point.txt": "only 1 usable point",
    "bad_truncated.xml": "truncated",
    "bad_fake.h5": "not an HDF5 file",
    "missing.txt": "no such file",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_raise_one_sentence_naming_the_file(name):
    path = fixture(name)
    with pytest.raises(DataError) as info:
        load_curve(path)
    message = str(info.value)
    assert path in message
    assert BAD[name] in message
    assert "\n" not in message and "Traceback" not in message


def test_hdf5_that_is_not_nxcansas(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(5.0)
    with pytest.raises(DataError, match="other.h5"):
        load_curve(path)


def test_xml_that_is_not_cansas(tmp_path):
    path = tmp_path / "page.xml"
    path.write_text("<html><body>not data</body></html>")
    with pytest.raises(DataError, match="not CanSAS"):
        load_curve(path)


def test_directory_is_an_error(tmp_path):
    with pytest.raises(DataError, match="directory"):
        load_curve(tmp_path)


def test_unknown_q_units_is_a_usage_error():
    with pytest.raises(UsageError, match="furlong"):
        load_curve(fixture("sphere_2col.txt"), q_units="furlong")


@pytest.mark.parametrize("name, units", [
    ("Ludox_silica.xml", "1/cm"),          # CanSAS XML: <I unit="1/cm">
    ("1umSlitSmearSphere.ABS", "1/cm"),    # NIST reductions are absolute
    ("Lew_Sa3_DSM_QinA.h5", "1/cm"),       # NXcanSAS: the I dataset's units
    ("33837rear_1D_1.75_16.5_NXcanSAS.h5", None),  # I in 'Counts': arbitrary
    ("apoferritin.txt", None),             # plain columns say nothing
])
def test_intensity_units_come_from_the_file(name, units):
    import sasdata

    path = os.path.join(os.path.dirname(sasdata.__file__), "example_data", "1d_data", name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_curve(path).iq_units == units


@pytest.mark.parametrize("text, units", [
    ("1/cm", "1/cm"), ("cm^{-1}", "1/cm"), ("cm^-1", "1/cm"), (" CM-1 ", "1/cm"),
    ("a.u.", None), ("", None), (None, None), ("counts", None), ("1/m/sr", "1/m/sr"),
])
def test_intensity_unit_names(text, units):
    from sasnets.stores.measured import intensity_units

    assert intensity_units(text) == units

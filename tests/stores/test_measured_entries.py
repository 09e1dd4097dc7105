"""Multi-entry files, resolution read from files (pinhole and slit), the .ABS column
fallback, XML detection, and files that are not I(q) curves."""
import warnings

import numpy as np
import pytest

import sasnets
from sasnets.data.curves import Curve
from sasnets.errors import DataError, UsageError
from sasnets.stores.measured import (EntryLeftOutWarning, MeasuredFileWarning, fill_resolution, load_curve,
                                     load_curves, read_entries)

from .test_measured import fixture, sphere  # one copy of the fixture helpers


def test_load_curves_is_public_api():
    assert sasnets.load_curves is load_curves


def test_every_cansas_entry_with_its_own_resolution():
    entries = read_entries(fixture("sphere_two_entries.xml"))
    assert [m.entry for m in entries] == ["sans", "usans"]
    sans, usans = (m.curve for m in entries)
    assert sans.source == fixture("sphere_two_entries.xml") + "[sans]"
    assert usans.source == fixture("sphere_two_entries.xml") + "[usans]"
    assert not sans.slit_smeared
    np.testing.assert_allclose(sans.dq, 0.05 * sans.q, rtol=1e-4)
    assert usans.slit_smeared and usans.dq is None and usans.slit_width is None
    np.testing.assert_allclose(usans.slit_length, 0.05)
    np.testing.assert_allclose(usans.iq, sphere(usans.q), rtol=1e-4)
    assert [c.source for c in load_curves(fixture("sphere_two_entries.xml"))] == [sans.source, usans.source]


def test_load_curve_gives_the_first_entry_and_says_how_to_get_the_others():
    with pytest.warns(EntryLeftOutWarning, match="load_curves") as caught:
        curve = load_curve(fixture("sphere_two_entries.xml"))
    assert curve.source.endswith("[sans]")
    assert "1" in str(caught[0].message) and "\n" not in str(caught[0].message)


def test_nxcansas_with_several_entries():
    curves = load_curves(fixture("sphere_nxcansas_two.h5"))
    assert [c.source.rsplit("[", 1)[1] for c in curves] == ["spheres 60 A]", "spheres 60 A, later]"]
    for c in curves:
        np.testing.assert_allclose(c.iq, sphere(c.q), rtol=1e-6)
        np.testing.assert_allclose(c.dq, 0.05 * c.q, rtol=1e-6)


def test_single_entry_files_keep_the_plain_file_name():
    with warnings.catch_warnings():
        warnings.simplefilter("error", EntryLeftOutWarning)
        (curve,) = load_curves(fixture("sphere_cansas1d.xml"))
    assert curve.source == fixture("sphere_cansas1d.xml")


def test_entry_names_are_made_unique(tmp_path):
    text = open(fixture("sphere_two_entries.xml")).read().replace('name="usans"', 'name="sans"')
    text = text.replace("<Title>60 A spheres, sans</Title>", "")
    path = tmp_path / "same.xml"
    path.write_text(text)
    assert [m.entry for m in read_entries(path)] == ["sans", "sans (2)"]
    unnamed = tmp_path / "unnamed.xml"
    unnamed.write_text(text.replace(' name="sans"', "").replace("<Title>60 A spheres, usans</Title>", ""))
    assert [m.entry for m in read_entries(unnamed)] == ["1", "2"]


def test_an_unusable_entry_is_left_out_with_a_warning(tmp_path):
    text = open(fixture("sphere_two_entries.xml")).read()
    start = text.index("<SASentry", text.index("</SASentry>"))
    body = text[start:]
    first_row_end = body.index("</Idata>") + len("</Idata>")
    rows_end = body.rindex("</Idata>") + len("</Idata>")
    path = tmp_path / "one_bad.xml"
    path.write_text(text[:start] + body[:first_row_end] + body[rows_end:])  # usans keeps 1 row
    with pytest.warns(EntryLeftOutWarning, match=r"\[usans\] has only 1 usable point.*that entry was left out"):
        entries = read_entries(path)
    assert [m.entry for m in entries] == ["sans"]


def test_nist_abs_negative_dq_is_slit_length():
    curve = load_curve(fixture("sphere_usans.ABS"))
    assert curve.slit_smeared and curve.dq is None
    np.testing.assert_allclose(curve.slit_length, 0.05)
    assert curve.iq_units == "1/cm"


def test_abs_that_sasdata_refuses_is_read_as_columns_with_a_warning():
    with pytest.warns(MeasuredFileWarning, match="read as columns") as caught:
        (measured,) = read_entries(fixture("sphere_unusual_header.ABS"))
    assert measured.format == "nist-abs"
    curve = measured.curve
    np.testing.assert_allclose(curve.iq, sphere(curve.q), rtol=1e-5)
    assert curve.slit_smeared and curve.dq is None  # negative dQ column, as sasdata reads it
    np.testing.assert_allclose(curve.slit_length, 0.05)
    assert all("\n" not in str(w.message) for w in caught)


def test_a_sasview_text_header_is_not_taken_for_xml():
    curve = load_curve(fixture("sphere_xy_header.txt"))
    assert len(curve) == 30
    np.testing.assert_allclose(curve.iq, sphere(curve.q), rtol=1e-4)


@pytest.mark.parametrize("text", ["<html><body>not data</body></html>", "<?xml version='1.0'?><a/>",
                                  "<!-- c --><root/>"])
def test_xml_is_recognised_by_its_declaration_or_markup(tmp_path, text):
    path = tmp_path / "page.txt"
    path.write_text(text)
    with pytest.raises(DataError, match="not CanSAS"):
        load_curve(path)


def _write(tmp_path, name, header, rows):
    path = tmp_path / name
    path.write_text(header + "".join(" ".join(f"{v:.6g}" for v in row) + "\n" for row in rows))
    return path


@pytest.mark.parametrize("kind", ["header", "no-header"])
def test_2d_data_is_named_as_such(tmp_path, kind):
    qx, qy = np.meshgrid(np.linspace(-0.1, 0.1, 12), np.linspace(-0.1, 0.1, 12))
    rows = np.column_stack([qx.ravel(), qy.ravel(), sphere(np.hypot(qx, qy).ravel() + 1e-3)])
    header = "Data columns Qx - Qy - I(Qx,Qy)\n" if kind == "header" else ""
    with pytest.raises(DataError, match="2D data"):
        load_curve(_write(tmp_path, "2d.dat", header, rows))


def test_real_space_table_is_named_as_such(tmp_path):
    rows = np.column_stack([np.arange(20) - 10.0, np.arange(20.0), np.ones(20), np.full(20, 6e-6)])
    with pytest.raises(DataError, match="real-space table"):
        load_curve(_write(tmp_path, "coords.txt", "X Y Z SLDN\n", rows))


def test_sesans_is_named_as_such(tmp_path):
    rows = np.column_stack([np.linspace(100, 5000, 20), -np.linspace(0.001, 0.01, 20), np.full(20, 1e-4)])
    path = _write(tmp_path, "run.txt", "FileFormatVersion 1.0\nBEGIN_DATA\nSpinEchoLength Depolarisation Error\n",
                  rows)
    with pytest.raises(DataError, match="SESANS"):
        load_curve(path)


def test_beam_profile_is_named_as_such(tmp_path):
    q = np.linspace(0, 3, 30)
    rows = np.column_stack([q, np.where(q < 1, 1.0, np.exp(-(q - 1) ** 2)), -np.ones(30)])
    with pytest.raises(DataError, match="beam profile"):
        load_curve(_write(tmp_path, "beam.txt", "SAXS BOX\n", rows))


def test_a_form_factor_normalised_at_q_zero_is_still_a_curve(tmp_path):
    q = np.linspace(0, 0.3, 40)
    form = np.ones(40)
    form[1:] = sphere(q[1:], scale=1.0, background=0.0)
    with pytest.warns(MeasuredFileWarning, match="dropped 1"):
        assert len(load_curve(_write(tmp_path, "pq.txt", "# P(q)/P(0) of a 60 A sphere\n", np.column_stack([q, form])))) == 39


def test_a_curve_starting_at_q_zero_is_still_a_curve(tmp_path):
    q = np.linspace(0, 0.3, 40)
    rows = np.column_stack([q, sphere(q + 1e-4)])
    with pytest.warns(MeasuredFileWarning, match="dropped 1"):
        assert len(load_curve(_write(tmp_path, "q0.txt", "", rows))) == 39


def test_fill_resolution_only_where_the_file_has_none():
    q = np.linspace(0.01, 0.3, 10)
    bare = Curve(q=q, iq=sphere(q), dq=np.zeros(10))
    assert fill_resolution(bare, slit_length=0.1)
    assert bare.slit_smeared and bare.dq is None
    pinhole = Curve(q=q, iq=sphere(q), dq=np.zeros(10))
    assert fill_resolution(pinhole, dq_fraction=0.05)
    np.testing.assert_allclose(pinhole.dq, 0.05 * q)
    stated = Curve(q=q, iq=sphere(q), dq=0.02 * q)
    assert not fill_resolution(stated, slit_length=0.1)
    np.testing.assert_allclose(stated.dq, 0.02 * q)
    with pytest.raises(UsageError, match="negative"):
        fill_resolution(Curve(q=q, iq=sphere(q)), slit_length=-1)


@pytest.mark.parametrize("resolutions", ["dQl", "dQl,dQw"])
def test_nxcansas_slit_resolution(tmp_path, resolutions):
    """NXcanSAS dQl/dQw are slit length/width (sasdata 0.11 reads a lone dQl as pinhole
    dQ and fails on two; both are read from the datasets the Q attribute names)."""
    import shutil

    import h5py

    path = tmp_path / "usans.h5"
    shutil.copy(fixture("sphere_nxcansas.h5"), path)
    with h5py.File(path, "a") as f:
        d = f["sasentry01/sasdata01"]
        del d["Qdev"]
        for name, value in (("dQl", 0.05), ("dQw", 0.001)):
            d[name] = np.full(len(d["Q"]), value)
            d[name].attrs["units"] = "1/angstrom"
        d["Q"].attrs["resolutions"] = resolutions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeasuredFileWarning)
        curve = load_curve(path)
    assert curve.slit_smeared and curve.dq is None
    np.testing.assert_allclose(curve.slit_length, 0.05)
    if "dQw" in resolutions:
        np.testing.assert_allclose(curve.slit_width, 0.001)
    np.testing.assert_allclose(curve.iq, sphere(curve.q), rtol=1e-6)

"""Every file of the installed sasdata's example 1D data (what a SasView user has) either
loads or is refused with a reason that says what the file is.

The expected outcome of each file is listed, so the test cannot pass by
refusing everything, and a new or renamed example file fails it until listed.
"""
import os
import warnings

import numpy as np
import pytest

from sasnets.errors import DataError
from sasnets.stores.measured import load_curves

sasdata = pytest.importorskip("sasdata")
EXAMPLES = os.path.join(os.path.dirname(sasdata.__file__), "example_data")
ONE_D = os.path.join(EXAMPLES, "1d_data")

#: a file that loads: how many curves it holds
LOADS = {
    "10000A_sphere_dsm.xml": 1, "100nmPinholeSphere.txt": 1, "100nmSpheresNodQ.txt": 1,
    "10wtAOT_Reline_120_reduced.pdh": 1, "1umSlitSmearSphere.ABS": 1, "33837rear_1D_1.75_16.5_CanSAS1D.xml": 1,
    "33837rear_1D_1.75_16.5_NXcanSAS.h5": 1, "33837rear_1D_1.75_16.5_NXcanSAS_v3.h5": 1, "98929.txt": 1,
    "AOT_Microemulsion-Core_Contrast.xml": 1, "AOT_Microemulsion-Drop_Contrast.xml": 1,
    "AOT_Microemulsion-Shell_Contrast.xml": 1, "APS_DND-CAT.TXT": 1, "AUSANS_run3_2_no_buffer.ABS": 1,
    "AUSANS_run4_1_with_buffer.ABS": 1, "Alumina_usaxs.csv": 1, "Anton-Paar.pdh": 1, "FK403_0006_Nika.hdf": 1,
    "ISIS_83404.TXT": 1, "ISIS_98929.TXT": 1, "ISIS_Polymer_Blend_RT2.xml": 1, "ISIS_Polymer_Blend_TK49.xml": 1,
    "Lew_Sa3_DSM_QinA.h5": 1, "Ludox_silica.xml": 1, "P123_D2O_10_percent.xml": 1, "P123_D2O_30_percent.xml": 1,
    "P123_D2O_40_percent.xml": 1, "PolySpheres.txt": 1, "VTMA.h5": 240, "apoferritin.txt": 1,
    "circular_test.txt": 1, "conalbumin.txt": 1, "cyl_400_20.txt": 1, "cyl_400_40.txt": 1, "cyl_testdata.txt": 1,
    "cyl_testdata1.txt": 1, "cyl_testdata2.txt": 1, "hSDS_D2O_0p5_percent.xml": 1, "hSDS_D2O_2p0_percent.xml": 1,
    "hSDS_D2O_2p0_percent_0p2M_NaCl.xml": 1, "latex_smeared.xml": 2, "n_coreshell.txt": 1, "rpa_igor.txt": 1,
    "saxess_example.pdh": 1, "sphere_60_q0_2.txt": 1, "sphere_80.txt": 1, "testdata_line.txt": 1,
    "testdata_line3.txt": 1, "x_coreshell_1.txt": 1, "x_coreshell_2.txt": 1, "x_coreshell_3.txt": 1,
    "x_coreshell_4.txt": 1,
}
#: a file that is refused: words its message must hold (what the file looks like)
REFUSED = {
    "CoreXY_ShellZ.txt": "real-space table",
    "beam profile.DAT": "beam profile",
    "../2d_data/SILIC010.DAT": "2D data",
    "../2d_data/SILIC010_noheader.DAT": "2D data",
    "../sesans_data/sphere_isis.ses": "SESANS",
    "../sesans_data/sphere2micron.ses": "SESANS",
}
#: words of the generic messages a specific reason must not be
GENERIC = ("could not be read", "not well-formed", "no rows of numbers", "points have")


def test_every_example_file_is_listed():
    assert sorted(os.listdir(ONE_D)) == sorted(LOADS.keys() | {n for n in REFUSED if "/" not in n})


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "VTMA.h5" else n
                                  for n in sorted(LOADS)])  # VTMA.h5: 240 entries, ~5-10 s in sasdata
def test_example_file_loads(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curves = load_curves(os.path.join(ONE_D, name))
    assert len(curves) == LOADS[name]
    for curve in curves:
        assert len(curve) >= 8
        assert np.all(np.isfinite(curve.q)) and np.all(curve.q > 0) and np.all(np.diff(curve.q) > 0)
        assert np.all(np.isfinite(curve.iq)) and np.all(curve.iq > 0)
    assert len({c.source for c in curves}) == len(curves)  # every entry has its own name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_example_file_is_refused_with_what_it_looks_like(name):
    path = os.path.normpath(os.path.join(ONE_D, name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as info:
            load_curves(path)
    message = str(info.value)
    assert path in message and "\n" not in message
    assert REFUSED[name] in message
    assert not any(g in message for g in GENERIC), message


def test_slit_smeared_examples_read_their_slit_length():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        usans = load_curves(os.path.join(ONE_D, "1umSlitSmearSphere.ABS"))[0]
        sans, slit = load_curves(os.path.join(ONE_D, "latex_smeared.xml"))
    assert usans.slit_smeared and usans.dq is None
    np.testing.assert_allclose(usans.slit_length, 0.117)
    assert not sans.slit_smeared and np.all(sans.dq > 0)
    assert slit.slit_smeared and slit.dq is None
    np.testing.assert_allclose(slit.slit_length, 0.117)


def test_our_cansas_xml_reader_agrees_with_sasdatas():
    """We keep our own CanSAS XML parser (see sasnets/stores/_measured_xml.py); it
    must read the same numbers as sasdata's reader, entry by entry."""
    import logging

    from sasdata.dataloader.readers.cansas_reader import Reader

    from sasnets.stores._measured_text import decode
    from sasnets.stores._measured_xml import read_cansas_xml

    path = os.path.join(ONE_D, "latex_smeared.xml")
    logging.disable(logging.ERROR)
    try:
        theirs = Reader().read(path)
    finally:
        logging.disable(logging.NOTSET)
    ours = read_cansas_xml(path, decode(path, b"<"))
    assert len(ours) == len(theirs) == 2
    for mine, data in zip(ours, theirs):
        np.testing.assert_allclose(mine.q, data.x)
        np.testing.assert_allclose(mine.iq, data.y)
        if mine.slit_length is not None:
            np.testing.assert_allclose(mine.slit_length, data.dxl)
        else:
            np.testing.assert_allclose(mine.dq, data.dx)

"""Write the measured-file fixtures in this directory (run once; outputs are committed).

The curves are a polydisperse-free sphere form factor (radius 60 Å, contrast
chosen so I(0) ~ 100 1/cm) plus a flat background, with 2 % errors and
5 % q resolution, written in each format users bring to ``sasnets predict``.
Bad files exercise the loader's one-sentence errors.

    python tests/data/measured/make_fixtures.py
"""
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def sphere(q, radius=60.0, scale=100.0, background=0.05):
    qr = q * radius
    f = 3 * (np.sin(qr) - qr * np.cos(qr)) / qr**3
    return scale * f**2 + background


def columns(qmin=0.002, qmax=0.45, n=60):
    q = np.logspace(np.log10(qmin), np.log10(qmax), n)
    iq = sphere(q)
    return q, iq, 0.02 * iq, 0.05 * q


def path(name):
    return os.path.join(HERE, name)


def write_abs():
    q, iq, diq, dq = columns(0.004, 0.35, 48)
    head = [
        "FILE: SA3_SPH01001.SA3_CM_D123   CREATED: 12-MAR-2019 10:41:07",
        "LABEL: 60 A silica spheres in D2O, 1 % v/v",
        "MON CNT   LAMBDA   DET ANG   DET DIST   TRANS   THICK   AVE   STEP",
        "  1.00000e+08     6.00000     0.00000     4.00000    0.87200     1.00000 ARITHMETIC   1.0000",
        "BCENT(X,Y)   A1(mm)   A1A2DIST(m)   A2(mm)   LAMBDA WIDTH   BSTOP(mm)   DET_TYP",
        "  64.1000     64.8000     50.0000     14.7000     12.7000    0.125000     50.8000  ORNL",
        "SAM: SA3_SPH01001.SA3   BGD: SA3_EMP01002.SA3   EMP: SA3_EMP01002.SA3",
        "DIV: PLEX_MAR19.DIV   MASK: SA3_MASK.MSK   ABS: Parameters (3-6)",
        "ABS Parameters (3-6): 0.872 1.0 1.00000e+08 6.00000",
        "The 6 columns are | Q (1/A) | I(Q) (1/cm) | std. dev. I(Q) (1/cm) | sigmaQ | meanQ | ShadowFactor|",
    ]
    with open(path("sphere_nist.ABS"), "w") as f:
        f.write("\n".join(head) + "\n")
        for row in zip(q, iq, diq, dq, q, np.ones_like(q)):
            f.write("  " + "  ".join(f"{v:.6e}" for v in row) + "\n")


def write_ascii():
    q, iq, diq, dq = columns()
    with open(path("sphere_2col.txt"), "w") as f:
        f.write("# sphere R=60 A, reduced with Mantid\n# instrument: generic SANS\nQ I\n")
        for a, b in zip(q, iq):
            f.write(f"{a:.6g} {b:.6g}\n")
    with open(path("sphere_3col.dat"), "w") as f:
        f.write("# 3 columns: q (1/A), I (1/cm), dI (1/cm)\n")
        for row in zip(q, iq, diq):
            f.write("\t".join(f"{v:.6g}" for v in row) + "\n")
    with open(path("sphere_4col.csv"), "w") as f:
        f.write("q,I,dI,dq\n")
        for row in zip(q, iq, diq, dq):
            f.write(",".join(f"{v:.6g}" for v in row) + "\n")
    # the same curve in 1/nm (q ten times larger); intensity unchanged
    with open(path("sphere_nm.txt"), "w") as f:
        f.write("# SAXS curve, lab source\n# Columns: q [1/nm]   I [a.u.]   sigma [a.u.]\n")
        for row in zip(q * 10, iq, diq):
            f.write(f"{row[0]:.6g} {row[1]:.6g} {row[2]:.6g}\n")
    # unsorted with a duplicated q point: the loader sorts and merges
    order = np.random.default_rng(3).permutation(len(q))
    with open(path("sphere_unsorted.txt"), "w") as f:
        for i in list(order) + [int(order[0])]:
            f.write(f"{q[i]:.6g} {iq[i]:.6g} {diq[i]:.6g}\n")


def write_cansas_xml():
    q, iq, diq, dq = columns(0.003, 0.4, 40)
    rows = "\n".join(
        f'      <Idata><Q unit="1/A">{a:.6g}</Q><I unit="1/cm">{b:.6g}</I>'
        f'<Idev unit="1/cm">{c:.6g}</Idev><Qdev unit="1/A">{d:.6g}</Qdev></Idata>'
        for a, b, c, d in zip(q, iq, diq, dq)
    )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<SASroot version="1.1" xmlns="urn:cansas1d:1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="urn:cansas1d:1.1 http://www.cansas.org/formats/1.1/cansas1d.xsd">
  <SASentry name="sphere60">
    <Title>60 A spheres</Title>
    <Run>1001</Run>
    <SASdata name="sphere60">
{rows}
    </SASdata>
    <SASsample><ID>silica spheres</ID></SASsample>
    <SASinstrument>
      <name>generic SANS</name>
      <SASsource><radiation>neutron</radiation></SASsource>
      <SAScollimation/>
      <SASdetector><name>main</name></SASdetector>
    </SASinstrument>
  </SASentry>
</SASroot>
"""
    with open(path("sphere_cansas1d.xml"), "w") as f:
        f.write(text)
    cut = text.index("</Idata>", len(text) // 2) + 3
    with open(path("bad_truncated.xml"), "w") as f:
        f.write(text[:cut])


def write_nxcansas():
    q, iq, diq, dq = columns(0.002, 0.3, 50)
    with h5py.File(path("sphere_nxcansas.h5"), "w") as f:
        f.attrs["default"] = "sasentry01"
        f.attrs["file_name"] = "sphere_nxcansas.h5"
        e = f.create_group("sasentry01")
        e.attrs.update({"NX_class": "NXentry", "canSAS_class": "SASentry", "version": "1.1", "default": "sasdata01"})
        e["definition"] = "NXcanSAS"
        e["title"] = "60 A spheres"
        e["run"] = "1001"
        d = e.create_group("sasdata01")
        d.attrs.update({"NX_class": "NXdata", "canSAS_class": "SASdata", "signal": "I", "I_axes": "Q",
                        "Q_indices": np.int32(0)})
        d["Q"] = q
        d["Q"].attrs.update({"units": "1/angstrom", "resolutions": "Qdev"})
        d["I"] = iq
        d["I"].attrs.update({"units": "1/cm", "uncertainties": "Idev"})
        d["Idev"] = diq
        d["Idev"].attrs["units"] = "1/cm"
        d["Qdev"] = dq
        d["Qdev"].attrs["units"] = "1/angstrom"


def write_bad():
    open(path("bad_empty.txt"), "w").close()
    with open(path("bad_binary.dat"), "wb") as f:
        f.write(bytes(np.random.default_rng(1).integers(0, 256, 600, dtype=np.uint8)))
    q, iq, diq, _ = columns(n=20)
    with open(path("bad_nan.txt"), "w") as f:
        for i, row in enumerate(zip(q, iq, diq)):
            f.write(f"{row[0]:.6g} {'nan' if i % 2 else f'{row[1]:.6g}'} {row[2]:.6g}\n")
    with open(path("bad_negative.txt"), "w") as f:
        for i, row in enumerate(zip(q, iq, diq)):
            f.write(f"{row[0]:.6g} {-row[1] if i % 3 else row[1]:.6g} {row[2]:.6g}\n")
    with open(path("bad_single_point.txt"), "w") as f:
        f.write("# one point only\n0.01 12.5 0.3\n")
    with open(path("bad_fake.h5"), "w") as f:
        f.write("this is a text file with an .h5 name\n0.01 1.0\n")


def _idata(q, iq, diq, resolution):
    return "\n".join(f'      <Idata><Q unit="1/A">{a:.6g}</Q><I unit="1/cm">{b:.6g}</I>'
                     f'<Idev unit="1/cm">{c:.6g}</Idev>{r}</Idata>' for a, b, c, r in zip(q, iq, diq, resolution))


def write_multi_entry():
    """Two SASentry blocks (pinhole SANS + slit-smeared USANS, as latex_smeared.xml), two
    NXcanSAS entries, and a SasView-style ``<X>   <Y>`` text header."""
    q, iq, diq, dq = columns(0.003, 0.4, 40)
    sans = _idata(q, iq, diq, [f'<Qdev unit="1/A">{d:.6g}</Qdev>' for d in dq])
    qu = np.logspace(-4, np.log10(0.004), 30)
    usans = _idata(qu, sphere(qu), 0.02 * sphere(qu), ['<dQl unit="1/A">0.05</dQl>'] * len(qu))
    entries = "".join(f"""  <SASentry name="{name}">
    <Title>60 A spheres, {name}</Title>
    <SASdata>
{rows}
    </SASdata>
  </SASentry>
""" for name, rows in (("sans", sans), ("usans", usans)))
    with open(path("sphere_two_entries.xml"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<SASroot version="1.1" xmlns="urn:cansas1d:1.1">
{entries}</SASroot>
""")
    with h5py.File(path("sphere_nxcansas_two.h5"), "w") as f:
        for k, (title, radius) in enumerate((("spheres 60 A", 60.0), ("spheres 60 A, later", 60.0)), 1):
            qq = np.logspace(np.log10(0.002), np.log10(0.3), 50)
            e = f.create_group(f"sasentry{k:02d}")
            e.attrs.update({"NX_class": "NXentry", "canSAS_class": "SASentry", "version": "1.1",
                            "default": "sasdata01"})
            e["definition"] = "NXcanSAS"
            e["title"] = title
            e["run"] = str(1000 + k)
            d = e.create_group("sasdata01")
            d.attrs.update({"NX_class": "NXdata", "canSAS_class": "SASdata", "signal": "I", "I_axes": "Q",
                            "Q_indices": np.int32(0)})
            d["Q"] = qq
            d["Q"].attrs.update({"units": "1/angstrom", "resolutions": "Qdev"})
            d["I"] = sphere(qq, radius)
            d["I"].attrs.update({"units": "1/cm", "uncertainties": "Idev"})
            d["Idev"] = 0.02 * sphere(qq, radius)
            d["Idev"].attrs["units"] = "1/cm"
            d["Qdev"] = 0.05 * qq
            d["Qdev"].attrs["units"] = "1/angstrom"
    q2, iq2, _, _ = columns(n=30)
    with open(path("sphere_xy_header.txt"), "w") as f:  # as SasView's old text export writes it
        f.write("<X>   <Y>\n0  -1.#IND\n" + "".join(f"{a:.6g}  {b:.6g}\n" for a, b in zip(q2, iq2)))


def write_abs_variants():
    """A NIST USANS .ABS (negative dQ = slit length) and an ABS file whose header
    sasdata's reader refuses (as the ANSTO AUSANS examples), with negative dQ too."""
    q = np.logspace(-4, np.log10(0.004), 30)
    iq = sphere(q)
    marker = "The 6 columns are | Q (1/A) | I(Q) (1/cm) | std. dev. I(Q) (1/cm) | sigmaQ | meanQ | ShadowFactor|"
    with open(path("sphere_usans.ABS"), "w") as f:
        f.write("Data reduced for USANS, slit length 0.05 1/A\n\n" + marker + "\n")
        for row in zip(q, iq, 0.02 * iq, np.full_like(q, -0.05), q, np.ones_like(q)):
            f.write("\t".join(f"{v:.6e}" for v in row) + "\n")
    with open(path("sphere_unusual_header.ABS"), "w") as f:
        f.write("FILE: run3.raw     CREATED: Tue, 20 Sep 2005 3:07:22 PM\nLABEL: spheres\n"
                "MON CNT   LAMBDA   DET ANG   DET DIST   TRANS   THICK   AVE   STEP\n"
                "     1e+08      3.5        0      4.8    0.894      0.1        C     1\n"
                "Average Choices: AVTYPE=Circular;SAVE=Yes;NAME=Auto;PLOT=Yes;\n")
        for row in zip(q, iq, 0.02 * iq, np.full_like(q, -0.05), q, np.ones_like(q)):
            f.write("  " + "  ".join(f"{v:.6g}" for v in row) + "\n")


if __name__ == "__main__":
    write_abs()
    write_ascii()
    write_cansas_xml()
    write_nxcansas()
    write_bad()
    write_multi_entry()
    write_abs_variants()

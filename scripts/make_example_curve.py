"""Write sasnets/examples/cylinder_example.txt, the curve `sasnets demo` classifies and fits.

A cylinder (radius 35 Å, length 300 Å) simulated by sasmodels like a SANS
measurement: 120 log-spaced points from 0.003 to 0.4 1/Å, 5 % dQ/Q pinhole
resolution, 3 % Gaussian noise, flat background 0.01 1/cm; fixed seed.

    python scripts/make_example_curve.py
"""
import os

import numpy as np
from sasmodels.core import load_model
from sasmodels.data import empty_data1D
from sasmodels.direct_model import DirectModel

SEED = 20170601
PARAMS = dict(scale=0.05, background=0.01, radius=35.0, length=300.0, sld=4.0, sld_solvent=1.0)


def main():
    rng = np.random.default_rng(SEED)
    q = np.logspace(np.log10(0.003), np.log10(0.4), 120)
    dq = 0.05 * q
    data = empty_data1D(q, resolution=0.05)
    iq = DirectModel(data, load_model("cylinder"))(**PARAMS)
    diq = 0.03 * iq
    measured = iq + rng.normal(size=q.size) * diq
    path = os.path.join(os.path.dirname(__file__), "..", "sasnets", "examples", "cylinder_example.txt")
    header = ("Simulated SANS curve of a cylinder (sasmodels 'cylinder': "
              + ", ".join(f"{k}={v:g}" for k, v in PARAMS.items())
              + "); 5 % dQ/Q, 3 % noise; made by scripts/make_example_curve.py\n"
              "columns: q (1/A), I (1/cm), dI (1/cm), dQ (1/A)")
    np.savetxt(path, np.column_stack([q, measured, diq, dq]), fmt="%.6g", header=header)


if __name__ == "__main__":
    main()

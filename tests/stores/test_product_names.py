"""Products of form and structure factors (sphere@hayter_msa) are scattering models every store keeps."""
import numpy as np
import pytest

from sasnets.data import Curve, CurveBatch
from sasnets.stores import open_store


@pytest.mark.parametrize("url", ["{tmp}/data.h5", "sqlite:///{tmp}/data.db", "json:{tmp}/js", "aggr:{tmp}/ag"])
def test_a_product_name_round_trips(tmp_path, url):
    q = np.logspace(-3, -1, 20)
    curves = [Curve(q=q, iq=1 / (1 + q), diq=0.01 / (1 + q), dq=0.05 * q, model=model, seed=i, index=0,
                    params={"radius": 40.0 + i, "volfraction": 0.2, "radius_effective_mode": 1,
                            "radius_pd_type": "schulz"})
              for i, model in enumerate(["sphere@hayter_msa", "core_shell_sphere@hardsphere", "sphere"])]
    url = url.format(tmp=tmp_path)
    with open_store(url, "a") as s:
        s.write("train", CurveBatch.from_curves(curves))
    with open_store(url) as s:
        back = s.read("train")
        assert sorted(back.models) == ["core_shell_sphere@hardsphere", "sphere", "sphere@hayter_msa"]
        by_model = {m: p for m, p in zip(back.models, back.params)}
        assert by_model["sphere@hayter_msa"]["radius_pd_type"] == "schulz"

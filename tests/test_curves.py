"""CurveBatch: the ragged batch every store and network consumes."""
import numpy as np
import pytest

from sasnets.data import Curve, CurveBatch


def test_from_curves_round_trips_each_curve(small_batch):
    c = small_batch.curve(4)
    assert c.model == "cylinder" and c.seed == 1004 and c.index == 1
    assert len(c.q) == 25 and c.q.dtype == np.float32
    assert CurveBatch.from_curves(list(small_batch)).equals(small_batch)


def test_take_keeps_ragged_curves_intact(small_batch):
    sub = small_batch.take([5, 0, 7])
    assert list(sub.models) == ["lamellar", "sphere", "cylinder"]
    for j, i in enumerate([5, 0, 7]):
        np.testing.assert_array_equal(sub.curve(j).iq, small_batch.curve(i).iq)


def test_take_with_mask_and_uniform_fast_path():
    q = np.logspace(-3, -1, 8)
    b = CurveBatch.from_matrix(["a", "b", "a"], q, np.arange(24.0).reshape(3, 8))
    sub = b.take(np.array([True, False, True]))
    np.testing.assert_array_equal(sub.matrix("iq"), np.arange(24.0).reshape(3, 8)[[0, 2]])


def test_concat_then_split_is_identity(small_batch):
    a, b = small_batch.take(range(5)), small_batch.take(range(5, 12))
    assert CurveBatch.concat([a, b]).equals(small_batch)


def test_matrix_refuses_ragged(small_batch):
    with pytest.raises(ValueError, match="resample"):
        small_batch.matrix()


def test_inconsistent_offsets_are_rejected():
    with pytest.raises(ValueError):
        CurveBatch(["a"], [0, 3], np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), [1], [0])


def test_missing_errors_become_zeros():
    b = CurveBatch.from_curves([Curve(q=np.array([0.1, 0.2]), iq=np.array([1.0, 2.0]), model="m")])
    np.testing.assert_array_equal(b.diq, [0, 0])

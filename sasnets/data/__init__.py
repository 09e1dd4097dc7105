"""Curve and dataset types, q-grids, resampling and preprocessing."""
from .curves import Curve, CurveBatch

__all__ = ["Curve", "CurveBatch"]

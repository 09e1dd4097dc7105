"""Numba kernels for the hot loops of preprocessing and augmentation.

Each kernel walks a ragged batch (flat arrays plus ``offsets``, see
:class:`sasnets.data.curves.CurveBatch`) once.  The pure-numpy reference of
each lives beside its caller in :mod:`sasnets.data.preprocess` and
:mod:`sasnets.data.augment`; the tests run both and compare them.  This module
imports numba at import time, so it is imported only when a kernel is needed
(``SASNETS_NO_NUMBA=1`` keeps it from being imported at all).
"""
import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _valid_sorted(q, iq, a, b):
    """Log10 of the valid points of one curve (q > 0, I > 0, both finite), sorted by q."""
    n = 0
    for k in range(a, b):
        if np.isfinite(q[k]) and np.isfinite(iq[k]) and q[k] > 0 and iq[k] > 0:
            n += 1
    x = np.empty(n, np.float64)
    y = np.empty(n, np.float64)
    n = 0
    for k in range(a, b):
        if np.isfinite(q[k]) and np.isfinite(iq[k]) and q[k] > 0 and iq[k] > 0:
            x[n] = np.log10(np.float64(q[k]))
            y[n] = np.log10(np.float64(iq[k]))
            n += 1
    sorted_already = True
    for k in range(1, n):
        if x[k] < x[k - 1]:
            sorted_already = False
            break
    if not sorted_already:
        order = np.argsort(x, kind="mergesort")
        x = x[order]
        y = y[order]
    return x, y


@numba.njit(cache=True, nogil=True)
def resample_kernel(q, iq, offsets, grid, half_width, max_gap, eps, out, mask):
    """Resample every curve onto ``grid`` (log10 q); see ``resample_to_grid``."""
    ncurves = offsets.shape[0] - 1
    nq = grid.shape[0]
    for i in range(ncurves):
        x, y = _valid_sorted(q, iq, offsets[i], offsets[i + 1])
        m = x.shape[0]
        lo_ptr = 0
        hi_ptr = 0
        br = 0
        for j in range(nq):
            out[i, j] = 0.0
            mask[i, j] = 0.0
            g = grid[j]
            if m == 0 or g < x[0] - eps or g > x[m - 1] + eps:
                continue
            lo_edge = g - half_width
            hi_edge = g + half_width
            while lo_ptr < m and x[lo_ptr] < lo_edge:
                lo_ptr += 1
            if hi_ptr < lo_ptr:
                hi_ptr = lo_ptr
            while hi_ptr < m and x[hi_ptr] < hi_edge:
                hi_ptr += 1
            count = hi_ptr - lo_ptr
            if count >= 2:
                s1 = 0.0
                s2 = 0.0
                sy = 0.0
                sxy = 0.0
                for k in range(lo_ptr, hi_ptr):
                    dx = x[k] - g
                    s1 += dx
                    s2 += dx * dx
                    sy += y[k]
                    sxy += dx * y[k]
                det = count * s2 - s1 * s1
                if det > 1e-12 * count * count * half_width * half_width:
                    out[i, j] = (s2 * sy - s1 * sxy) / det
                else:
                    out[i, j] = sy / count
                mask[i, j] = 1.0
                continue
            # interpolate between the measured points bracketing g
            while br + 1 < m and x[br + 1] <= g:
                br += 1
            if x[br] >= g - eps and x[br] <= g + eps:
                out[i, j] = y[br]
                mask[i, j] = 1.0
                continue
            if br + 1 >= m:
                if g <= x[m - 1] + eps:
                    out[i, j] = y[m - 1]
                    mask[i, j] = 1.0
                continue
            if x[br] > g:  # g is within eps below the first point
                out[i, j] = y[br]
                mask[i, j] = 1.0
                continue
            gap = x[br + 1] - x[br]
            if gap > max_gap:
                continue
            t = (g - x[br]) / gap
            out[i, j] = y[br] + t * (y[br + 1] - y[br])
            mask[i, j] = 1.0


@numba.njit(cache=True, nogil=True)
def smear_kernel(q, iq, offsets, rel_width, out):
    """Gaussian smearing of each curve in q by ``rel_width[i] * q`` (1-sigma)
    over its own points within 4 sigma, each weighted by the q interval it
    represents (curves must have increasing q)."""
    ncurves = offsets.shape[0] - 1
    for i in range(ncurves):
        a = offsets[i]
        b = offsets[i + 1]
        r = rel_width[i]
        if r <= 0 or b - a < 3:
            for k in range(a, b):
                out[k] = iq[k]
            continue
        start = a  # q increases, so the points within 4 sigma of q[k] move right with k
        for k in range(a, b):
            qk = np.float64(q[k])
            sigma = r * qk
            num = 0.0
            den = 0.0
            if sigma > 0:
                while start < k and (np.float64(q[start]) - qk) / sigma < -4.0:
                    start += 1
            else:  # q <= 0: no window to narrow to
                start = a
            for l in range(start, b):
                d = (np.float64(q[l]) - qk) / sigma
                if d > 4.0 and sigma > 0:
                    break
                if d < -4.0 or d > 4.0:
                    continue
                lo = q[l - 1] if l > a else q[l]
                hi = q[l + 1] if l < b - 1 else q[l]
                w = np.exp(-0.5 * d * d) * 0.5 * (np.float64(hi) - np.float64(lo))
                num += w * iq[l]
                den += w
            out[k] = num / den if den > 0 else iq[k]


@numba.njit(cache=True, nogil=True)
def select_points_kernel(q, offsets, lo, hi, npoints, linear, keep):
    """Mark the points of each curve kept by a q-window ``[lo[i], hi[i]]``
    (log10 q) and a new point density: ``npoints[i]`` targets spaced evenly in
    log q (or in q where ``linear[i]``), each keeping its nearest measured point."""
    ncurves = offsets.shape[0] - 1
    for i in range(ncurves):
        a = offsets[i]
        b = offsets[i + 1]
        first = -1
        last = -2
        for k in range(a, b):
            keep[k] = False
            if q[k] > 0:
                lq = np.log10(np.float64(q[k]))
                if lq >= lo[i] and lq <= hi[i]:
                    if first < 0:
                        first = k
                    last = k
        if first < 0:
            continue
        n_in = last - first + 1
        n_target = npoints[i]
        if n_target >= n_in:
            for k in range(first, last + 1):
                keep[k] = True
            continue
        ql = np.float64(q[first])
        qh = np.float64(q[last])
        ptr = first
        for t in range(n_target):
            frac = t / (n_target - 1) if n_target > 1 else 0.0
            if linear[i]:
                target = ql + frac * (qh - ql)
            else:
                target = ql * (qh / ql) ** frac
            while ptr < last and abs(np.float64(q[ptr + 1]) - target) <= abs(np.float64(q[ptr]) - target):
                ptr += 1
            keep[ptr] = True

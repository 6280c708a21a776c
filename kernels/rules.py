"""Deprivation rules evaluated on a block of an indicator column (numpy + numba only).

:func:`evaluate` adds a block's deprivation flags to the units' integer scores (and the
gap terms of a cardinal indicator); :func:`evaluate_lean` sets the bits of the units'
deprivation *patterns* instead. Both serve the AF kernel (:mod:`.af_sums`) and the panel
kernel (:mod:`.panel`); :func:`note_bad_flag` records the first invalid value of a 0/1 flag
column they met.
"""

from __future__ import annotations

import numpy as np

from ._config import kernel
from .af_layout import ERR_FLAG_VALUE

__all__ = [
    "RULE_CODES",
    "FLAG",
    "LT",
    "LE",
    "GT",
    "GE",
    "EQ",
    "NE",
    "MISS_SHIFT",
    "evaluate",
    "evaluate_lean",
    "note_bad_flag",
]

#: Deprivation rules understood by the kernel (``in`` and string comparisons are encoded
#: as 0/1 flags before the kernel runs).
RULE_CODES = {"flag": 0, "<": 1, "<=": 2, ">": 3, ">=": 4, "==": 5, "!=": 6}
FLAG, LT, LE, GT, GE, EQ, NE = 0, 1, 2, 3, 4, 5, 6
#: Pattern bits: 0 .. d-1 deprivations, MISS_SHIFT .. MISS_SHIFT+d-1 missing values (int32).
MISS_SHIFT = 15


@kernel(inline="always")
def interval(rule, z):
    """The rule ``rule`` with cutoff ``z`` as a closed interval test: a value ``x`` is
    deprived when ``lo <= x <= hi`` (``inv`` False) or when ``x < lo or x > hi`` (``inv``
    True); NaN compares false, so a missing value is never deprived.

    ``<`` is outside ``[z, inf]``, ``<=`` inside ``[-inf, z]``, ``>`` outside ``[-inf, z]``,
    ``>=`` inside ``[z, inf]``, ``==`` inside ``[z, z]``, ``!=`` outside it and a 0/1 flag
    inside ``[1, 1]``. Exact for every float64 (and int8) value and every cutoff, infinities
    included: no bound is moved by a rounding step. Returns ``(lo, hi, inv)``.
    """
    if rule == LT:
        return z, np.inf, True
    if rule == LE:
        return -np.inf, z, False
    if rule == GT:
        return -np.inf, z, True
    if rule == GE:
        return z, np.inf, False
    if rule == EQ:
        return z, z, False
    if rule == NE:
        return z, z, True
    return 1.0, 1.0, False  # FLAG


@kernel(inline="always")
def count_bad_flags(x, m):
    """Values of ``x[:m]`` that are neither 0, 1 nor missing (a 0/1 flag column's errors)."""
    bad = 0
    for r in range(m):
        xr = x[r]
        bad += (xr == xr) & (xr != 0.0) & (xr != 1.0)
    return bad


@kernel(error_model="numpy")
def evaluate(col, i0, m, rule, z, wj, gj, mj, num, nm, card, wf, m1, m2, gapj):
    """Deprivation flags of ``col[i0:i0+m]``, added to the integer scores.

    Every rule is a closed interval test (:func:`interval`) in one of two branch-free
    loops (inside, outside), so the compiler vectorises it (a rule test inside the loop
    costs about 5x) and compiles two loops instead of one per rule (cold compile of
    :func:`evaluate_lean` 0.7 -> 0.4 CPU s). NaN compares false with everything, so a
    missing value is never deprived. ``col`` is float64 or int8 (compiled
    once per dtype): an integer compares with the float bounds exactly as its float64
    value would, and ``x != x`` (missing) is then always false. Returns the number of
    values of a 0/1 flag column that are neither 0, 1 nor missing. :func:`evaluate_lean` is
    the variant for pattern accumulation.
    """
    x = col[i0 : i0 + m]
    if rule == LT and card:  # cardinal: also the gap terms M1 = c + sum w (gap - g)
        inv_z = 1.0 / z
        for r in range(m):
            xr = x[r]
            isn = xr != xr
            dep = xr < z
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
            xc = xr if dep else z  # NaN and non-deprived values give a gap of exactly 0
            gg = min((z - xc) * inv_z, 1.0)
            gapj[r] = gg
            m1[r] += wf * (gg - dep)
            m2[r] += wf * (gg * gg - dep)
        return 0
    lo, hi, inv = interval(rule, z)
    if inv:  # outside the interval (NaN compares false: never deprived)
        for r in range(m):
            xr = x[r]
            isn = xr != xr
            dep = (xr < lo) | (xr > hi)
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    else:
        for r in range(m):
            xr = x[r]
            isn = xr != xr
            dep = (xr >= lo) & (xr <= hi)
            gj[r] = dep
            num[r] += wj * dep
            mj[r] = isn
            nm[r] += isn
    if rule == FLAG:
        return count_bad_flags(x, m)
    return 0


@kernel(error_model="numpy")
def evaluate_lean(col, i0, m, rule, z, pat, bit, mbit, card, wf, m1, m2):
    """Pattern-accumulation variant of :func:`evaluate`: per value only the deprivation bit
    ``bit`` and the missing bit ``mbit`` of the unit's pattern are set (and the gap terms of
    a cardinal indicator added), so each value costs one load and one or two updates.
    Returns the number of invalid values of a 0/1 flag column.
    """
    x = col[i0 : i0 + m]
    if rule == LT and card:
        inv_z = 1.0 / z
        for r in range(m):
            xr = x[r]
            dep = xr < z
            pat[r] |= bit * dep | mbit * (xr != xr)
            xc = xr if dep else z  # NaN and non-deprived values give a gap of exactly 0
            gg = min((z - xc) * inv_z, 1.0)
            m1[r] += wf * (gg - dep)
            m2[r] += wf * (gg * gg - dep)
        return 0
    lo, hi, inv = interval(rule, z)
    if inv:  # outside the interval (NaN compares false: never deprived)
        for r in range(m):
            xr = x[r]
            pat[r] |= bit * ((xr < lo) | (xr > hi)) | mbit * (xr != xr)
    else:
        for r in range(m):
            xr = x[r]
            pat[r] |= bit * ((xr >= lo) & (xr <= hi)) | mbit * (xr != xr)
    if rule == FLAG:
        return count_bad_flags(x, m)
    return 0


@kernel
def note_bad_flag(err, col, i0, m, j):
    """Write ``(ERR_FLAG_VALUE, j, x)`` into ``err`` (one chunk's row of 3) for the first
    value ``x`` of ``col[i0:i0+m]`` (indicator ``j``) that is neither 0, 1 nor missing."""
    for r in range(m):
        x = col[i0 + r]
        if x == x and x != 0.0 and x != 1.0:
            err[0] = ERR_FLAG_VALUE
            err[1] = j
            err[2] = x
            break

"""The OPHI reweighting of a unit with missing indicator values, written once (numpy + numba).

:func:`reweighted_score` is the per-unit formula, called by the AF kernel's unit loop
(:mod:`.af_sums`) and, through :func:`reweight_rows`, by unit-level identification
(:func:`mpi.identification.identify_core.identify_units`), so :func:`mpi.measure` and
:func:`mpi.identify` reweight with the same integers.

Within dimension ``q`` with total integer weight ``W_q`` (over the common denominator
``L`` of the weights), observed integer weight ``b_q`` and deprived observed weight ``a_q``,
a missing indicator's weight is re-spread over the observed indicators of its dimension, so
the unit's score is

.. math:: c = \\sum_q \\frac{W_q a_q}{b_q L},

written exactly over ``L * lcm(b_q)`` (the ``b_q`` of the partly observed dimensions; a fully
observed one contributes ``a_q / L``). A unit missing a whole dimension (``b_q = 0``) has no
score (the rule drops it); a common denominator above :data:`.af_layout.MAX_REWEIGHT_DENOMINATOR`
could overflow the exact integer comparisons and is an error.

Reference: Alkire, S., Roche, J. M., Ballon, P., Foster, J., Santos, M. E. and Seth, S.
(2015). *Multidimensional Poverty Measurement and Analysis*, ch. 5 (missing values).
"""

from __future__ import annotations

import numpy as np

from ._config import kernel
from .af_layout import MAX_REWEIGHT_DENOMINATOR

__all__ = ["OK", "EMPTY", "TOO_BIG", "reweighted_score", "reweight_rows"]

#: :func:`reweighted_score` statuses: a score; a dimension with no observed indicator (the
#: unit is dropped); a common denominator too large for exact identification (an error).
OK, EMPTY, TOO_BIG = 0, 1, 2


@kernel(inline="always")
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@kernel(inline="always")
def reweighted_score(wint, dim_of, dim_w, denom, miss, dep, r, a, b):
    """The exact OPHI-reweighted score of one unit (see the module docstring).

    Parameters
    ----------
    wint : int64[d]
        Integer indicator weights over ``denom``.
    dim_of : int64[d]
        Dimension of each indicator.
    dim_w : int64[n_dims]
        ``W_q``: the integer weight of each dimension.
    denom : int
        ``L``, the common denominator of the weights.
    miss, dep : uint8[d, m]
        Missing-value and deprivation flags (0/1), indicator major.
    r : int
        The unit's column of ``miss`` and ``dep``.
    a, b : int64[n_dims]
        Scratch, overwritten: on return ``a_q`` (deprived observed weight) and ``b_q``
        (observed weight) per dimension, which the AF kernel reuses for the effective
        weights ``W_q w_j / (b_q L)``.

    Returns
    -------
    num, den : int
        The score ``num / den`` (``den = L * lcm(b_q)``) when ``status`` is :data:`OK`;
        ``0, 0`` for :data:`EMPTY`; ``0, lcm(b_q)`` (the offending denominator) for
        :data:`TOO_BIG`.
    status : int
        :data:`OK`, :data:`EMPTY` or :data:`TOO_BIG`.
    """
    a[:] = 0
    b[:] = 0
    for j in range(wint.shape[0]):
        if not miss[j, r]:
            b[dim_of[j]] += wint[j]
            if dep[j, r]:
                a[dim_of[j]] += wint[j]
    big = np.int64(1)
    for q in range(dim_w.shape[0]):
        if b[q] == 0:
            return np.int64(0), np.int64(0), EMPTY
        if b[q] != dim_w[q]:
            big = big // _gcd(big, b[q]) * b[q]
    if big > MAX_REWEIGHT_DENOMINATOR:
        return np.int64(0), big, TOO_BIG
    num = np.int64(0)
    for q in range(dim_w.shape[0]):
        if b[q] == dim_w[q]:  # fully observed: a_q / L = a_q * big / (L * big)
            num += a[q] * big
        else:  # reweighted: W_q a_q / (b_q L), and b_q divides big
            num += dim_w[q] * a[q] * (big // b[q])
    return num, denom * big, OK


@kernel
def reweight_rows(wint, dim_of, denom, dep, miss, rows, numerator, denominator, dropped):
    """:func:`reweighted_score` for the units ``rows`` of ``(d, n)`` flag arrays, in place.

    Parameters
    ----------
    wint, dim_of, denom
        As in :func:`reweighted_score`.
    dep, miss : uint8[d, n]
        Deprivation and missing-value flags, indicator major.
    rows : int64[m]
        The units to reweight (those with a missing value).
    numerator, denominator : int64[n]
        Set to the reweighted score of each usable unit of ``rows``.
    dropped : bool[n]
        Set to ``False`` for each usable unit of ``rows`` (left as is for the others).

    Returns
    -------
    int
        0, or the first common denominator ``lcm(b_q)`` too large for exact identification
        (the caller raises; the outputs are then incomplete).
    """
    n_dims = 0
    for j in range(dim_of.shape[0]):
        n_dims = max(n_dims, dim_of[j] + 1)
    dim_w = np.zeros(n_dims, np.int64)
    for j in range(dim_of.shape[0]):
        dim_w[dim_of[j]] += wint[j]
    a = np.zeros(n_dims, np.int64)
    b = np.zeros(n_dims, np.int64)
    for r in range(rows.shape[0]):
        i = rows[r]
        num, den, status = reweighted_score(wint, dim_of, dim_w, denom, miss, dep, i, a, b)
        if status == TOO_BIG:
            return den
        if status == OK:
            numerator[i] = num
            denominator[i] = den
            dropped[i] = False
    return np.int64(0)

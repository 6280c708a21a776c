"""The one safe ratio of the package: ``num / den`` with NaN where the denominator is 0.

Every estimate of the package that is a ratio of weighted sums (H = POOR / SUMW, transition
probabilities, relapse rates, the linearised :class:`~mpi.Estimate` division) divides with
:func:`ratio`, so "no mass in the denominator" means the same everywhere: the estimate is
undefined (NaN), never 0, never ``inf``, and never a warning.

Semantics, element by element after broadcasting (both operands are first converted to
float64, so integer counts and float32 sums divide in double precision):

=================  ==============  ============================================
numerator          denominator     result
=================  ==============  ============================================
any (NaN incl.)    0 or -0.0       NaN (nothing to divide by)
x                  d != 0          ``x / d`` (IEEE 754, negative ``d`` included)
NaN                d != 0          NaN
x                  NaN             NaN
finite x           +-inf           +-0.0
+-inf              +-inf           NaN
=================  ==============  ============================================

Where ``den != 0`` the value is exactly numpy's float64 ``num / den`` (overflow to ``inf``
included); the division is not evaluated where ``den == 0``, and never warns (no
``RuntimeWarning``, so it is safe under ``filterwarnings = error``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ratio"]


def ratio(num: Any, den: Any) -> np.ndarray:
    """``num / den`` as float64, NaN where ``den == 0``.

    Parameters
    ----------
    num, den : array_like
        Numerator and denominator (numpy arrays, scalars or anything :func:`numpy.asarray`
        accepts); they are broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Float64 array of the broadcast shape (0-d for two scalars): ``num / den`` where
        ``den != 0`` (bit for bit numpy's float64 division, so negative, NaN and infinite
        denominators divide as IEEE 754 says), NaN where ``den`` is 0 or -0.0.

    Examples
    --------
    >>> ratio([1.0, 0.0, 2.0, 3.0], [4.0, 0.0, 0.0, -2.0])
    array([ 0.25,   nan,   nan, -1.5 ])
    >>> float(ratio(1, 3))
    0.3333333333333333
    """
    num, den = np.broadcast_arrays(np.asarray(num, np.float64), np.asarray(den, np.float64))
    out = np.full(num.shape, np.nan)
    with np.errstate(invalid="ignore", over="ignore"):  # inf / inf, overflow: IEEE, quiet
        np.divide(num, den, out=out, where=den != 0)
    return out

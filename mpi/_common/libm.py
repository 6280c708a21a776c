"""Logarithm and exponential with the same bits on every machine: the C library's, per value.

numpy chooses its ``log`` and ``exp`` loops by the processor: on an x86-64 CPU with AVX-512
it runs its own vectorised float64 code, elsewhere the C library's (glibc's). Both are
accurate to within an ulp, but they round differently: the geometric Living Standard Index of
the bundled ``county_lsi`` table (2,284 counties) differs in 107 values, by up to 2 ulp,
between an AVX-512 Xeon and an AVX2 EPYC. Results that are stored and compared bit for bit
(a dataset's truth columns, an index reproduced exactly by its preset) must not depend on
the machine, so the composite indices take these functions from here: the kernels
:func:`mpi.kernels.libm.log_into` and :func:`~mpi.kernels.libm.exp_into` call the C
library's functions on each value (what Python's ``math.log`` and ``math.exp`` give), with
numpy's conventions outside their domains: ``log(0) = -inf``, ``log(x < 0) = nan``,
``exp(x) = inf`` on overflow; NaN stays NaN.
"""

from __future__ import annotations

import numpy as np

from mpi import kernels

__all__ = ["log", "exp"]


def _apply(fn, x: np.ndarray | float) -> np.ndarray:
    """``fn`` (a kernel writing into its second argument) on every value of ``x``, as a
    new float64 array of ``x``'s shape (``x`` itself is not written)."""
    a = np.asarray(x, np.float64)
    out = np.empty(a.shape)
    fn(np.ascontiguousarray(a).reshape(-1), out.reshape(-1))
    return out


def log(x: np.ndarray | float) -> np.ndarray:
    """Natural logarithm of every value of ``x``, by the C library (the same bits on every
    machine with the same C library; see the module).

    Parameters
    ----------
    x : array_like
        Values (converted to float64).

    Returns
    -------
    numpy.ndarray
        float64 of ``x``'s shape: :math:`\\ln x`; ``-inf`` at 0, ``nan`` below 0 and at NaN,
        ``inf`` at ``inf``.

    Examples
    --------
    >>> from mpi._common.libm import log
    >>> log([1.0, 0.0, -1.0]).tolist()
    [0.0, -inf, nan]
    """
    return _apply(kernels.log_into, x)


def exp(x: np.ndarray | float) -> np.ndarray:
    """Exponential of every value of ``x``, by the C library (see :func:`log`).

    Parameters
    ----------
    x : array_like
        Values (converted to float64).

    Returns
    -------
    numpy.ndarray
        float64 of ``x``'s shape: :math:`e^x`; ``inf`` where it overflows, ``nan`` at NaN.

    Examples
    --------
    >>> from mpi._common.libm import exp
    >>> exp([0.0, -float("inf"), 1000.0]).tolist()
    [1.0, 0.0, inf]
    """
    return _apply(kernels.exp_into, x)

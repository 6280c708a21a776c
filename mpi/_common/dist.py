"""Distribution functions and ranks from scipy, with scipy imported on first use.

``scipy.stats`` takes most of a second to import (more than reading and measuring a million
units); ``import mpi`` should not pay for it, nor should a process that only needs a
confidence interval. The tails and quantiles here call the special functions that
``scipy.stats`` itself calls (``stdtr``, ``stdtrit``, ``fdtrc``, ``chdtrc``, ``ndtr``,
``ndtri`` of :mod:`scipy.special`, a fifth of the import) with the same handling of bad
parameters, bounds and NaN as ``scipy.stats``' ``sf`` and ``ppf``, so the values are the
same bits; only :func:`rankdata` imports ``scipy.stats``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "t_ppf", "t_sf", "f_sf", "chi2_sf", "norm_sf", "norm_ppf", "expit", "rankdata",
]  # fmt: skip


def _special() -> Any:
    from scipy import special

    return special


def _result(out: np.ndarray) -> Any:
    """A 0-d result as a numpy scalar, as ``scipy.stats`` returns it."""
    return out[()] if out.ndim == 0 else out


def _sf(tail: Callable[..., Any], x: Any, shapes: tuple[Any, ...], lower: float = -np.inf) -> Any:
    """``scipy.stats``' ``sf``: ``tail(*shapes, x)`` inside the support, 1 at or below its
    lower end ``lower``, 0 at +inf, NaN for NaN ``x`` or a shape parameter not > 0."""
    x = np.asarray(x)
    x = np.asarray(x, dtype=np.promote_types(x.dtype, np.float64))
    params = tuple(np.asarray(s) for s in shapes)
    valid = np.ones((), dtype=bool)
    for s in params:
        valid = valid & (s > 0)
    with np.errstate(all="ignore"):
        value = tail(*params, x)
        inside = valid & (lower < x) & (x < np.inf)
        below = valid & (x <= lower)
    out = np.where(inside, value, 0.0)
    out = np.where(below, 1.0, out)
    out = np.where(~valid | np.isnan(x), np.nan, out)
    return _result(np.asarray(out, dtype=np.promote_types(x.dtype, np.float64)))


def _ppf(
    quantile: Callable[..., Any], q: Any, shapes: tuple[Any, ...], lower: float = -np.inf
) -> Any:
    """``scipy.stats``' ``ppf``: ``quantile(*shapes, q)`` for ``0 < q < 1``, the support's
    ends at 0 and 1, NaN otherwise (and for a shape parameter not > 0)."""
    q = np.asarray(q)
    params = tuple(np.asarray(s) for s in shapes)
    valid = np.ones((), dtype=bool)
    for s in params:
        valid = valid & (s > 0)
    with np.errstate(all="ignore"):
        value = np.asarray(quantile(*params, q)) * 1 + 0  # scipy's "* scale + loc"
        inner = valid & (0 < q) & (q < 1)
    out = np.where(valid & (q == 0), lower, np.nan)
    out = np.where(valid & (q == 1), np.inf, out)
    out = np.where(inner, value, out)
    return _result(np.asarray(out, dtype=np.float64))


def t_ppf(q: Any, df: Any) -> Any:
    """Quantile of Student's t (``scipy.stats.t.ppf``)."""
    return _ppf(_special().stdtrit, q, (df,))


def t_sf(x: Any, df: Any) -> Any:
    """Upper tail of Student's t (``scipy.stats.t.sf``)."""
    stdtr = _special().stdtr
    return _sf(lambda df_, x_: stdtr(df_, -x_), x, (df,))


def f_sf(x: Any, df1: Any, df2: Any) -> Any:
    """Upper tail of the F distribution (``scipy.stats.f.sf``)."""
    return _sf(_special().fdtrc, x, (df1, df2), lower=0.0)


def chi2_sf(x: Any, df: Any) -> Any:
    """Upper tail of the chi-squared distribution (``scipy.stats.chi2.sf``)."""
    return _sf(_special().chdtrc, x, (df,), lower=0.0)


def norm_sf(x: Any) -> Any:
    """Upper tail of the standard normal (``scipy.stats.norm.sf``)."""
    ndtr = _special().ndtr
    return _sf(lambda x_: ndtr(-x_), x, ())


def norm_ppf(q: Any) -> Any:
    """Quantile of the standard normal (``scipy.stats.norm.ppf``)."""
    return _ppf(_special().ndtri, q, ())


def expit(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))`` (scipy's, stable for large ``|x|``)."""
    return _special().expit(x)


def rankdata(x: Any, **kwargs: Any) -> Any:
    """:func:`scipy.stats.rankdata` (ranks with ties; NaN handling by ``nan_policy``)."""
    from scipy import stats

    return stats.rankdata(x, **kwargs)

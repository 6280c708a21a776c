"""Distribution functions and ranks from scipy, with scipy imported on first use.

``scipy.stats`` takes most of a second to import; ``import mpi`` should not pay for it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "t_ppf", "t_sf", "f_sf", "chi2_sf", "norm_sf", "norm_ppf", "expit", "rankdata",
]  # fmt: skip


def _stats() -> Any:
    from scipy import stats

    return stats


def t_ppf(q: Any, df: Any) -> Any:
    """Quantile of Student's t."""
    return _stats().t.ppf(q, df)


def t_sf(x: Any, df: Any) -> Any:
    """Upper tail of Student's t."""
    return _stats().t.sf(x, df)


def f_sf(x: Any, df1: Any, df2: Any) -> Any:
    """Upper tail of the F distribution."""
    return _stats().f.sf(x, df1, df2)


def chi2_sf(x: Any, df: Any) -> Any:
    """Upper tail of the chi-squared distribution."""
    return _stats().chi2.sf(x, df)


def norm_sf(x: Any) -> Any:
    """Upper tail of the standard normal."""
    return _stats().norm.sf(x)


def norm_ppf(q: Any) -> Any:
    """Quantile of the standard normal."""
    return _stats().norm.ppf(q)


def expit(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))`` (scipy's, stable for large ``|x|``)."""
    from scipy import special

    return special.expit(x)


def rankdata(x: Any, **kwargs: Any) -> Any:
    """:func:`scipy.stats.rankdata` (ranks with ties; NaN handling by ``nan_policy``)."""
    return _stats().rankdata(x, **kwargs)

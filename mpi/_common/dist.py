"""t, F and chi-squared distribution functions, with scipy imported on first use.

``scipy.stats`` takes most of a second to import; ``import mpi`` should not pay for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["t_ppf", "t_sf", "f_sf", "chi2_sf"]


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

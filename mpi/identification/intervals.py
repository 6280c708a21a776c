"""Confidence intervals of the targeting results: t intervals on the design's degrees of
freedom, logit-transformed for shares (the intervals of :meth:`mpi.MeasureResult.ci`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

import numpy as np
import xarray as xr

from mpi._common.result import check_level
from mpi.errors import ValidationError
from mpi.measurement.result_inference import confidence_interval

__all__ = ["design_intervals"]


def design_intervals(
    estimate: xr.Dataset,
    se: xr.Dataset,
    design_df: int,
    shares: Collection[str],
    level: float,
    method: Literal["logit", "wald"],
    df: Literal["design"] | int,
) -> xr.Dataset:
    """Intervals of every variable of ``se``, with a leading ``bound`` dim.

    A share (a variable named in ``shares``: a rate in [0, 1]) gets, with ``method="logit"``,
    :math:`\\operatorname{expit}(\\operatorname{logit}\\hat p \\pm t_{df}\\,
    \\widehat{se}/(\\hat p(1-\\hat p)))`, which stays inside (0, 1) (R
    ``svyciprop(method="logit")``, Stata ``mpitb``); every other variable (a total, a ratio
    such as the CGH indicator, a difference) :math:`\\hat\\theta \\pm t_{df}\\,\\widehat{se}`.

    Parameters
    ----------
    estimate, se
        The estimates and their standard errors.
    design_df
        The design's degrees of freedom (PSUs minus strata; replicates minus 1).
    shares
        Names of the variables that are shares.
    level
        Confidence level.
    method
        ``"logit"`` or ``"wald"``.
    df
        ``"design"`` (Stata's ``svy`` convention) or a positive whole number.

    Returns
    -------
    xarray.Dataset
    """
    check_level(level)
    if method not in ("logit", "wald"):
        raise ValidationError(f"method must be 'logit' or 'wald'; got {method!r}")
    if isinstance(df, str) and df == "design":
        dfv = int(design_df)
    elif isinstance(df, int | np.integer) and not isinstance(df, bool) and df > 0:
        dfv = int(df)
    else:
        raise ValidationError(f"df must be 'design' or a positive whole number; got {df!r}")
    out: dict[str, Any] = {}
    for name in se.data_vars:
        if name not in estimate:
            continue
        logit = method == "logit" and name in shares
        out[str(name)] = confidence_interval(
            estimate[name], se[name], dfv, level=level, logit=logit
        )
    ds = xr.Dataset(out)
    ds.attrs.update(
        confidence_level=level,
        df=dfv,
        interval=f"t ({dfv} df), logit-transformed for shares" if method == "logit"
        else f"t ({dfv} df): estimate ± t se",
    )  # fmt: skip
    return ds

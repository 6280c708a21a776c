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

__all__ = ["design_intervals", "DesignIntervals"]


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


class DesignIntervals:
    """The :meth:`ci` of a targeting result (mixed in before
    :class:`~mpi._common.result.ResultBase`): t intervals on the design's degrees of freedom,
    logit-transformed for the variables named in :attr:`interval_shares`.

    The class it is mixed into holds ``_ds`` (its Dataset, with the attribute ``df``), ``_se``
    (the standard errors, or None without a design) and ``_no_inference_message()``.
    """

    #: The variables that are shares (in [0, 1]): logit intervals by default.
    interval_shares: tuple[str, ...] = ()

    def ci(
        self,
        level: float = 0.95,
        method: Literal["logit", "wald"] = "logit",
        *,
        df: Literal["design"] | int = "design",
    ) -> xr.Dataset:
        """Confidence intervals of the estimates with standard errors (needs a design).

        t intervals on the design's degrees of freedom (PSUs minus strata; replicates minus
        1), as :meth:`mpi.MeasureResult.ci`: for the shares (every rate in [0, 1], e.g. the
        inclusion and exclusion errors, coverage, the AUC) the interval of the logit mapped
        back, so it stays in (0, 1); for the others (totals, the Coady-Grosh-Hoddinott
        indicator, the targeting differential) estimate ± t se.

        Parameters
        ----------
        level : float
            Confidence level, strictly between 0 and 1.
        method : {"logit", "wald"}
            ``"wald"``: estimate ± t se for every variable.
        df : "design" or int
            Degrees of freedom of the t quantile.

        Returns
        -------
        xarray.Dataset
            The variables of :attr:`se` with a leading ``bound`` dim (``lower``, ``upper``).
        """
        se: xr.Dataset | None = self._se  # type: ignore[attr-defined]
        if se is None:
            raise ValidationError(self._no_inference_message())  # type: ignore[attr-defined]
        ds: xr.Dataset = self._ds  # type: ignore[attr-defined]
        return design_intervals(
            ds, se, int(ds.attrs["df"]), self.interval_shares, level, method, df
        )

"""What the policy brief reads of a :class:`~mpi.MeasureResult`: one cross-section.

A result may hold several survey rounds (``by=[round, region]``) or the waves of a panel;
the brief shows the latest of them. :func:`headline_view` picks it, with the poverty cutoff
of the spec (or the result's first ``k``), and returns the national numbers and those of the
groups (a ranking) with their confidence intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from mpi.measurement.change import ChangeResult
    from mpi.measurement.result import MeasureResult

__all__ = ["View", "headline_k", "headline_view", "select_k", "slice_variable"]


@dataclass
class View:
    """One cross-section of a result, at one k.

    Attributes
    ----------
    result
        The result it was read from.
    k
        The poverty cutoff shown.
    over
        The round or wave variable the view is a slice of (None: the whole result).
    at
        The round or wave shown (None without ``over``).
    overall, overall_ci
        National estimates (0-d measures; indicator-level ones along ``indicator``) and their
        confidence intervals (None without inference).
    group
        The grouping variable of the ranking (None: no groups).
    groups, groups_ci
        The estimates along ``group`` and their intervals.
    """

    result: MeasureResult
    k: Fraction
    over: str | None
    at: Any
    overall: xr.Dataset
    overall_ci: xr.Dataset | None
    group: str | None = None
    groups: xr.Dataset | None = None
    groups_ci: xr.Dataset | None = None


def headline_k(result: MeasureResult) -> Fraction:
    """The cutoff a report shows first: the spec's ``k`` when computed, else the first.

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`.

    Returns
    -------
    fractions.Fraction
    """
    return result.spec.k if result.spec.k in result.ks else result.ks[0]


def select_k(ds: xr.Dataset, k: Fraction) -> xr.Dataset:
    """``ds`` at cutoff ``k`` (``ds`` itself when it has no ``k`` dimension).

    Parameters
    ----------
    ds
        Estimates or intervals.
    k
        One of the result's cutoffs.

    Returns
    -------
    xarray.Dataset
    """
    if "k" in ds.dims:
        return ds.sel(k=float(k))
    return ds


def slice_variable(result: MeasureResult, change: ChangeResult | None) -> str | None:
    """The variable whose latest value the brief shows: a panel's waves, or the rounds of a
    change over time measured by the same result (``change.over``).

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`.
    change
        A change over time given in the same report, or None.

    Returns
    -------
    str or None
    """
    if result.time:
        return result.time
    if change is not None and change.over in result.groups:
        return change.over
    return None


def _latest(values: np.ndarray, change: ChangeResult | None, over: str) -> Any:
    if change is not None and change.over == over:
        return change.periods["end"].iloc[-1]
    return sorted(values.tolist())[-1]


def _ci(result: MeasureResult, level: float) -> xr.Dataset | None:
    return result.ci(level) if result.has_inference else None


def headline_view(
    result: MeasureResult, change: ChangeResult | None = None, *, level: float = 0.95
) -> View:
    """The national numbers and the ranking of groups the brief shows.

    Parameters
    ----------
    result
        A result of :func:`mpi.measure`.
    change
        A change over time measured from ``result`` (its rounds are a ``by`` variable): the
        view is then the latest round.
    level
        Confidence level of the intervals.

    Returns
    -------
    View
    """
    k = headline_k(result)
    over = slice_variable(result, change)
    groups = [b for b in result.groups if b != over]
    if over is None:
        nat = result.overall
        at = None
        pick: dict[str, Any] = {}
    else:
        values = result.to_dataset()[over].values
        at = _latest(values, change, over)
        pick = {over: at}
        nat = (
            result.overall
            if over == result.time
            else (result if result.groups == [over] else result.marginal(over))
        )
    overall = select_k(nat.to_dataset(), k).sel(pick)
    ci = _ci(nat, level)
    view = View(result, k, over, at, overall, None if ci is None else select_k(ci, k).sel(pick))
    if len(groups) == 1 or (over is None and groups):
        group = groups[0]
        if over is None or over == result.time:
            by_group = (
                result
                if (len(result.groups) == 1 and not result.sparse)
                else (result.marginal(group))
            )
        elif not result.sparse and len(result.groups) == 2:
            by_group = result
        else:
            return view
        gci = _ci(by_group, level)
        view.group = group
        view.groups = select_k(by_group.to_dataset(), k).sel(pick)
        view.groups_ci = None if gci is None else select_k(gci, k).sel(pick)
    return view

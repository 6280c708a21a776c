"""Counts of the monitoring categories per wave (and group), and transitions between them.

The statistics are additive over units: the counts of disjoint sets of units add up.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from mpi.dynamics.monitoring.categories import CATEGORY_NAMES

__all__ = ["CategoryCounts", "category_counts", "count_variables", "group_variables"]


@dataclass(frozen=True, eq=False)
class CategoryCounts:
    """Counts per group cell (all units: one cell), wave and category.

    Attributes
    ----------
    count, weighted
        ``(cell, time, category)`` unweighted and weighted counts.
    transition_count, transition_weighted
        ``(cell, time, from, to)`` moves from the previous wave (wave 0: none).
    used
        Units counted (a finite weight).
    """

    count: np.ndarray
    weighted: np.ndarray
    transition_count: np.ndarray
    transition_weighted: np.ndarray
    used: np.ndarray


def category_counts(category: np.ndarray, weight: np.ndarray, groups: Any) -> CategoryCounts:
    """Unweighted and weighted counts of the categories and of the moves between them.

    Parameters
    ----------
    category
        ``(unit, time)`` int8 category codes (-1 .. 4).
    weight
        Unit weights; units with a NaN weight are not counted.
    groups
        The unit groups (:func:`mpi._common.panel_layout.unit_groups`), or None.

    Returns
    -------
    CategoryCounts
    """
    n, T = category.shape
    used = np.isfinite(weight)
    if groups is None:
        cell, n_cells = np.zeros(n, np.int64), 1
    else:
        cell, n_cells = np.asarray(groups.codes, np.int64) - groups.offset, groups.n_cells
    C = len(CATEGORY_NAMES)
    c = category[used].astype(np.int64) + 1
    w = weight[used]
    g = cell[used]
    idx = (g[:, None] * T + np.arange(T)[None, :]) * C + c
    size = n_cells * T * C
    cnt = np.bincount(idx.ravel(), minlength=size).reshape(n_cells, T, C)
    wcnt = np.bincount(idx.ravel(), weights=np.repeat(w, T), minlength=size).reshape(n_cells, T, C)
    size2 = n_cells * T * C * C
    if T > 1:
        pair = ((g[:, None] * T + np.arange(1, T)[None, :]) * C + c[:, :-1]) * C + c[:, 1:]
        tcnt = np.bincount(pair.ravel(), minlength=size2).reshape(n_cells, T, C, C)
        twgt = np.bincount(pair.ravel(), weights=np.repeat(w, T - 1), minlength=size2).reshape(
            n_cells, T, C, C
        )
    else:
        tcnt = np.zeros((n_cells, T, C, C), np.int64)
        twgt = np.zeros((n_cells, T, C, C))
    return CategoryCounts(cnt, wcnt, tcnt, twgt, used)


def _share_all(wcnt: np.ndarray) -> np.ndarray:
    """Overall weighted shares per (time, category) from per-cell weighted counts."""
    w = wcnt.sum(axis=0)
    tot = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / tot


def count_variables(counts: CategoryCounts, time: Hashable) -> dict[str, tuple]:
    """The overall counts, shares and transitions as ``(dims, values, attrs)``.

    Returns
    -------
    dict
        ``count``, ``weighted_count``, ``share`` (time, category_name);
        ``transition_count``, ``transition_weighted`` (time, from_category, to_category).
    """
    by_category = (time, "category_name")
    moves = (time, "from_category", "to_category")
    return {
        "count": (
            by_category,
            counts.count.sum(axis=0),
            {"long_name": "units per category (unweighted)", "units": "1"},
        ),
        "weighted_count": (
            by_category,
            counts.weighted.sum(axis=0),
            {"long_name": "units per category (sum of weights)", "units": "1"},
        ),
        "share": (
            by_category,
            _share_all(counts.weighted),
            {"long_name": "weighted share of the units per category", "units": "1"},
        ),
        "transition_count": (
            moves,
            counts.transition_count.sum(axis=0),
            {
                "long_name": "units moving between categories from the previous wave (unweighted)",
                "units": "1",
            },
        ),
        "transition_weighted": (
            moves,
            counts.transition_weighted.sum(axis=0),
            {
                "long_name": "units moving between categories from the previous wave (sum of weights)",
                "units": "1",
            },
        ),
    }


def group_variables(counts: CategoryCounts, groups: Any, time: Hashable) -> dict[str, xr.DataArray]:
    """The counts and shares per known group: leading dims are the ``by`` variables.

    Parameters
    ----------
    counts
        The per-cell counts.
    groups
        The unit groups.
    time
        The time dimension.

    Returns
    -------
    dict of xarray.DataArray
        ``group_count``, ``group_weighted_count`` and ``group_share``.
    """
    wcnt = counts.weighted
    tot_w = wcnt.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = wcnt / tot_w
    out = {}
    for name, arr, ln in (
        ("group_count", counts.count, "units per category and group (unweighted)"),
        ("group_weighted_count", wcnt, "units per category and group (sum of weights)"),
        ("group_share", share, "weighted share of the group's units per category"),
    ):
        shaped = arr.reshape(groups.ext_shape + arr.shape[1:])
        known = shaped[tuple(slice(0, m) for m in groups.shape)]
        out[name] = xr.DataArray(
            known,
            dims=[*groups.names, time, "category_name"],
            coords={b: np.asarray(lab) for b, lab in zip(groups.names, groups.labels, strict=True)},
            attrs={"long_name": ln, "units": "1"},
        )
    return out

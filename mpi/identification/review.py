"""Review lists for the hybrid identification process: which listed units the data do not
find poor, and which poor units are not listed, ranked for field verification.

Built on :func:`mpi.identification.identify.identify` (the scores, statuses and
deprivations are its output, never recomputed): :func:`review_lists` adds the list, the exact
distance of every score to the poverty cutoff, the names of the deprivations and of the
indicators whose records are missing, and ranks the units.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from fractions import Fraction
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.table import as_table, caller_level
from mpi.errors import MissingDataWarning, ValidationError
from mpi.identification.evaluate_inputs import read_flag
from mpi.identification.identify import identify
from mpi.measurement.spec import Spec

__all__ = ["review_lists", "ReviewLists", "REVIEW_COLUMNS"]

#: Columns of every table of :class:`ReviewLists`, in order (``sampling_weight`` is added
#: after ``listed`` when a weight was given).
REVIEW_COLUMNS = (
    "rank",
    "score",
    "score_fraction",
    "distance_to_k",
    "distance_fraction",
    "poor",
    "listed",
    "n_deprived",
    "deprived",
    "n_missing_indicators",
    "missing_indicators",
)


class ReviewLists(NamedTuple):
    """The three tables of :func:`review_lists` (a named tuple: ``inc, exc, _ = res``).

    Parameters
    ----------
    inclusion : pandas.DataFrame
        Possible inclusion errors: listed units that are not poor by the data, lowest score
        first.
    exclusion : pandas.DataFrame
        Possible exclusions: poor units that are not listed, highest score first.
    unscored : pandas.DataFrame
        Units the data cannot classify (dropped under ``missing="drop"``: a record is
        missing), listed units first; to be completed before any decision.
    """

    inclusion: pd.DataFrame
    exclusion: pd.DataFrame
    unscored: pd.DataFrame


def _unit_values(data: Any, name: Hashable, score: xr.DataArray, role: str) -> np.ndarray:
    """The values of ``name`` in the order of the identification's rows."""
    if isinstance(data, pd.DataFrame):
        if name not in data.columns:
            raise ValidationError(
                f"{role}={name!r} is not a column of the data; pass the name of its 0/1 "
                f"column (columns: {', '.join(map(str, list(data.columns)[:30]))})"
            )
        return data[name].to_numpy()
    if name not in data.variables:
        raise ValidationError(
            f"{role}={name!r} is not a variable of the data; pass the name of its 0/1 "
            f"variable (variables: {', '.join(map(str, list(data.data_vars)[:30]))})"
        )
    da = data[name]
    if score.ndim == 2:  # a panel: the result's dims are the data's (unit, time)
        extra = [d for d in da.dims if d not in score.dims]
        if extra:
            raise ValidationError(
                f"{role}={name!r} has dims {da.dims}; it must vary along {score.dims} only"
            )
        return da.broadcast_like(score).transpose(*score.dims).values.reshape(-1)
    if da.ndim != 1:
        raise ValidationError(
            f"{role}={name!r} has dims {da.dims}; it must be one value per unit (1-D)"
        )
    return da.values


def _listed_from_series(listed: pd.Series, index: pd.Index) -> np.ndarray:
    """A Series of flags indexed by unit id, aligned with the result (absent ids: 0)."""
    unknown = listed.index.difference(index)
    if len(unknown):
        raise ValidationError(
            f"listed has {len(unknown)} unit id(s) that are not in the data, e.g. "
            f"{unknown[:5].tolist()}; a list must name units of the data (check the ids, "
            "or drop units outside the data first)"
        )
    if listed.index.has_duplicates:
        dup = listed.index[listed.index.duplicated()].unique()[:5].tolist()
        raise ValidationError(f"listed has duplicate unit ids, e.g. {dup}; give each unit once")
    return listed.reindex(index, fill_value=0).to_numpy()


def _joined(mask: np.ndarray, labels: np.ndarray) -> list[str]:
    """Per row, the labels where ``mask`` is True, ``"; "``-joined."""
    return ["; ".join(labels[row]) for row in mask]


def _table(
    rows: np.ndarray, cols: dict[str, Any], index: pd.Index, top: int | None
) -> pd.DataFrame:
    if top is not None:
        rows = rows[:top]
    frame = pd.DataFrame({name: np.asarray(v)[rows] for name, v in cols.items()},
                         index=index[rows])  # fmt: skip
    frame.insert(0, "rank", np.arange(1, len(rows) + 1, dtype=np.int64))
    return frame


def review_lists(
    data: Any,
    spec: Spec,
    listed: Hashable | pd.Series,
    *,
    weight: str | None = None,
    unit: Hashable | None = None,
    k: Any = None,
    missing: Literal["drop", "reweight", "raise"] = "drop",
    top: int | None = None,
    time: Hashable = "time",
) -> ReviewLists:
    """Possible inclusion and exclusion errors of a list, with their reasons, ranked for
    field verification.

    The units are identified by :func:`mpi.identify` (same inputs, same exact
    identification: a score of exactly *k* is poor) and compared with the list:

    * ``inclusion``: listed but not poor by the data, the lowest score first (a listed unit
      with no deprivation at all is the most doubtful);
    * ``exclusion``: poor by the data but not listed, the highest score first;
    * ``unscored``: units without a score (a missing record under ``missing="drop"``),
      listed units first, so that their records are completed before any decision.

    Ties are broken by the number of indicators with missing records (fewer first: a
    complete record is firmer evidence), then by the order of the data.

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        As for :func:`mpi.identify`: one row per unit, or a panel (dims ``unit`` and
        ``time``), reviewed unit-wave by unit-wave. Never modified.
    spec : mpi.Spec
        The identification rule.
    listed : str or pandas.Series
        The list: the name of a 0/1 column (variable) of ``data``, or a Series of 0/1 flags
        indexed by unit id (by unit and wave for a panel) like :meth:`mpi.identify`'s
        ``to_frame()``; units absent from the Series are not listed. Missing flags are
        allowed: those units are in no table (a :class:`~mpi.MissingDataWarning` counts
        them).
    weight : str, optional
        Sampling weight, passed to :func:`mpi.identify` and shown (``sampling_weight``).
    unit : str, optional
        The unit id column or dimension, as for :func:`mpi.identify`; it indexes the tables.
    k : float, str or Fraction, optional
        One poverty cutoff overriding ``spec.k``.
    missing : {"drop", "reweight", "raise"}
        The missing-value rule of :func:`mpi.identify`.
    top : int, optional
        Keep only the first ``top`` rows of each table (the default keeps all).
    time : str
        Panels only: the wave dimension.

    Returns
    -------
    ReviewLists
        Three DataFrames indexed by unit id (and wave), with the columns ``rank`` (1 = to
        verify first), ``score`` (float) and ``score_fraction`` (exact, e.g. ``"2/7"``),
        ``distance_to_k`` :math:`= c_i - k` (negative: below the cutoff; NaN when
        unscored) and ``distance_fraction`` (exact), ``poor``, ``listed``,
        ``sampling_weight`` (with a weight), ``n_deprived`` and ``deprived`` (the labels of
        the indicators in which the unit is deprived, ``"; "``-joined, in the order of the
        spec), ``n_missing_indicators`` and ``missing_indicators`` (the labels of the
        indicators whose records are missing).

    Raises
    ------
    ValidationError
        For a ``listed`` that is not 0/1 or names units not in the data, several cutoffs,
        a bad ``top``, and whatever :func:`mpi.identify` refuses.

    Warns
    -----
    MissingDataWarning
        From :func:`mpi.identify` for dropped units, and for units with a missing flag.

    Notes
    -----
    With the exact score :math:`c_i = N_i/D` of :func:`mpi.identify` and :math:`k = a/b`, the
    distance :math:`c_i - k = (N_i b - a D)/(D b)` is computed in integers, so a unit exactly
    at the cutoff shows ``"0"`` and is poor. Under the "two publicities, one announcement"
    review of China's hybrid identification, the two ranked tables are the households to
    visit first; the reasons say what to check (the deprivations claimed by the data, how
    close the household is to the cutoff, which records are missing).

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487 (the identification step).
    Alkire, S. and Seth, S. (2013). Identifying BPL households: a comparison of methods.
    *Economic and Political Weekly* 48(2), 49-57 (a data rule against an official list).
    Cornia, G. A. and Stewart, F. (1993). Two errors of targeting. *Journal of International
    Development* 5(5), 459-496 (inclusion and exclusion errors).
    State Council Leading Group Office of Poverty Alleviation and Development (2014).
    *扶贫开发建档立卡工作方案* (work plan for registering poor households: village review,
    two publicities and one announcement).

    Examples
    --------
    >>> import pandas as pd, mpi
    >>> from mpi.identification.review import review_lists
    >>> spec = mpi.Spec.from_dimensions({"a": ["a1", "a2"], "b": ["b1", "b2"]}, k=0.5)
    >>> df = pd.DataFrame({"a1": [0, 1, 1, 0], "a2": [0, 0, 1, 1],
    ...                    "b1": [0, 0, 1, 0], "b2": [0, 1, 1, 0],
    ...                    "listed": [1, 0, 1, 0]})
    >>> res = review_lists(df, spec, "listed")
    >>> res.inclusion.index.tolist(), res.exclusion.index.tolist()
    ([0], [1])
    >>> res.exclusion["distance_fraction"].tolist()
    ['0']
    """
    if isinstance(k, list | tuple | set | np.ndarray | pd.Series | pd.Index):
        raise ValidationError(
            f"k={k!r}: review lists are drawn at one poverty cutoff; pass one value (e.g. "
            "k='1/3') and call review_lists once per cutoff"
        )
    if top is not None and (isinstance(top, bool) or not isinstance(top, int | np.integer)
                            or top < 1):  # fmt: skip
        raise ValidationError(
            f"top={top!r} must be a positive whole number of rows (e.g. top=50) or None "
            "to keep every row"
        )
    if not isinstance(listed, pd.Series) and (
        not isinstance(listed, Hashable) or isinstance(listed, tuple)
    ):
        raise ValidationError(
            f"listed must be the name of a 0/1 column of the data or a pandas Series of 0/1 "
            f"flags indexed by unit id; got {type(listed).__name__}"
        )
    res = identify(data, spec, weight=weight, k=k, missing=missing, unit=unit, time=time)
    ds = res.to_dataset()
    index = res.to_frame(["score"]).index
    if isinstance(listed, pd.Series):
        raw = _listed_from_series(listed, index)
        name: Hashable = listed.name if listed.name is not None else "listed"
    else:
        raw = _unit_values(data, listed, ds["score"], "listed")
        name = listed
    is_listed, unknown = read_flag(as_table(pd.DataFrame({name: raw}), [name]), name, "listed")
    if unknown.any():
        warnings.warn(
            f"{int(unknown.sum())} of {len(unknown)} units have a missing {name!r} flag; they "
            "are in none of the review lists",
            MissingDataWarning,
            stacklevel=caller_level(),
        )
    labels = np.array([ind.label or ind.name for ind in spec], dtype=object)
    dims = ds["score"].dims
    deprived = ds["deprived"].transpose(*dims, "indicator").values.reshape(-1, len(spec))
    miss = np.column_stack(
        [pd.isna(_unit_values(data, ind.variable, ds["score"], "variable")) for ind in spec]
    )
    num = ds["score_numerator"].values.reshape(-1)
    den = ds["score_denominator"].values.reshape(-1)
    scored = ~ds["missing"].values.reshape(-1)
    cut = Fraction(str(ds.attrs["k"]))
    dist = [
        Fraction(int(a), int(b)) - cut if s else None
        for a, b, s in zip(num, den, scored, strict=True)
    ]
    cols: dict[str, Any] = {
        "score": ds["score"].values.reshape(-1),
        "score_fraction": [
            fraction_text(Fraction(int(a), int(b))) if s else ""
            for a, b, s in zip(num, den, scored, strict=True)
        ],  # fmt: skip
        "distance_to_k": np.array([float(d) if d is not None else np.nan for d in dist]),
        "distance_fraction": [fraction_text(d) if d is not None else "" for d in dist],
        "poor": ds["poor"].values.reshape(-1).astype(bool),
        "listed": is_listed,
    }
    if "sampling_weight" in ds:
        cols["sampling_weight"] = ds["sampling_weight"].values.reshape(-1)
    cols.update(
        n_deprived=deprived.sum(axis=1).astype(np.int64),
        deprived=_joined(deprived, labels),
        n_missing_indicators=miss.sum(axis=1).astype(np.int64),
        missing_indicators=_joined(miss, labels),
    )
    known = ~unknown
    n_miss = cols["n_missing_indicators"]
    order = np.arange(len(num))
    score = np.where(scored, cols["score"], 0.0)
    inc = np.lexsort((order, n_miss, score))
    inc = inc[(known & scored & is_listed & ~cols["poor"])[inc]]
    exc = np.lexsort((order, n_miss, -score))
    exc = exc[(known & scored & ~is_listed & cols["poor"])[exc]]
    uns = np.lexsort((order, n_miss, ~is_listed))
    uns = uns[(known & ~scored)[uns]]
    return ReviewLists(
        inclusion=_table(inc, cols, index, top),
        exclusion=_table(exc, cols, index, top),
        unscored=_table(uns, cols, index, top),
    )

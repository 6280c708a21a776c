"""``mpi.poor_areas``: which areas (counties, villages, provinces) are poor, and how the
identified poor areas compare with an official list.

Two ways, exactly one per call: a composite index (a :class:`~mpi.composites.result.CompositeResult`
or an index column) with a cutoff or a count of the lowest-ranked areas; or the Alkire-Foster
counting approach over area indicators (:func:`mpi.identify` for the status, :func:`mpi.measure`
with the population as the area weight for M0, H and A). The comparison with an official list
goes through :func:`mpi.targeting`. The result is
:class:`~mpi.identification.areas_result.PoorAreasResult`.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Hashable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.labels import text
from mpi._common.table import as_float, as_table, caller_level, is_numeric
from mpi._version import __version__
from mpi.composites.engine import ranks
from mpi.composites.result import CompositeResult
from mpi.errors import DataError, MissingDataWarning, ValidationError
from mpi.identification.areas_result import PoorAreasResult, area_dataset, group_dataset
from mpi.identification.evaluate import evaluate_targeting
from mpi.identification.evaluate_ids import is_id_list, listed_from_ids
from mpi.identification.evaluate_inputs import by_names, group_codes, read_flag, read_weight
from mpi.identification.identify import identify
from mpi.measurement.measure import measure
from mpi.measurement.prepare import cutoff_list
from mpi.measurement.spec import Spec

__all__ = ["poor_areas", "PoorAreasResult"]

#: Column holding the identified status in the table given to :func:`mpi.targeting`.
IDENTIFIED = "poor (identified)"


def _columns_text(frame: pd.DataFrame) -> str:
    cols = list(map(str, frame.columns))
    return ", ".join(cols[:30]) + (f", … ({len(cols) - 30} more)" if len(cols) > 30 else "")


def _as_frame(data: Any) -> pd.DataFrame:
    """``data`` as a DataFrame (a one-dimensional Dataset is converted; not modified)."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, xr.Dataset):
        if len(data.dims) != 1:
            raise ValidationError(
                f"data, a Dataset, must have one dimension (the areas); got dims "
                f"{sorted(map(str, data.dims))}. Select one wave or stack the dims first"
            )
        return data.to_dataframe()
    raise ValidationError(
        f"data must be a pandas DataFrame (one row per area) or a one-dimensional xarray "
        f"Dataset; got {type(data).__name__}"
    )


def _check_column(frame: pd.DataFrame, name: Any, argument: str) -> Hashable:
    """``name`` if it is a column of ``frame``, else a ValidationError naming ``argument``."""
    if not isinstance(name, Hashable) or isinstance(name, tuple) or name not in frame.columns:
        raise ValidationError(
            f"{argument}={name!r} is not a column of data; give the name of one of its columns "
            f"({_columns_text(frame)})"
        )
    return name


def _area_ids(frame: pd.DataFrame, id: Hashable | None) -> pd.Index:
    """The areas' ids: the ``id`` column or the DataFrame's index (unique, none missing)."""
    if id is None:
        ids, where = frame.index, "the DataFrame's index"
        if isinstance(ids, pd.MultiIndex):
            raise ValidationError(
                f"id=None reads the area ids from the DataFrame's index, which is a MultiIndex "
                f"({list(ids.names)}); give the id column with id='...'"
            )
    else:
        _check_column(frame, id, "id")
        ids, where = pd.Index(frame[id].to_numpy(), name=id), f"the id column {id!r}"
    if ids.hasnans:
        raise ValidationError(
            f"{where} has {int(ids.isna().sum())} missing id(s); every area needs an id "
            "(fill or drop those rows)"
        )
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()[:5].tolist()
        raise ValidationError(
            f"{where} has duplicate ids, e.g. {dup}; every area must appear once (merge or "
            "drop the duplicates, or give another column with id=...)"
        )
    return ids


def _composite_values(result: CompositeResult, ids: pd.Index) -> np.ndarray:
    """The composite's index aligned to the data's area ids (the same ids, in any order)."""
    series = result.index
    have = pd.Index(series.index)
    pos = have.get_indexer(ids) if have.is_unique else np.full(len(ids), -1)
    absent = ids[pos < 0]
    extra = have[~have.isin(ids)]
    if len(absent) or len(extra) or not have.is_unique:
        parts = []
        if len(absent):
            parts.append(f"{len(absent):,} area id(s) of data are not in it (e.g. "
                         f"{absent[:5].tolist()})")  # fmt: skip
        if len(extra):
            parts.append(f"{len(extra):,} of its ids are not in data (e.g. {extra[:5].tolist()})")
        if not have.is_unique:
            parts.append("its ids are not unique")
        raise ValidationError(
            f"index, a CompositeResult, is not for these areas: {'; '.join(parts)}. Pass the "
            "table given to mpi.composite(...) with the same id= (areas it left out for a "
            "missing weight must be left out of data too)"
        )
    return series.to_numpy(dtype=np.float64)[pos]


def _index_values(frame: pd.DataFrame, ids: pd.Index, index: Any) -> tuple[np.ndarray, str, str]:
    """``(values, kind, name)`` of the index: a CompositeResult or a numeric column."""
    if isinstance(index, CompositeResult):
        name = str(index.to_dataset().attrs.get("spec", "")) or "composite"
        return _composite_values(index, ids), "composite", name
    if isinstance(index, str | int) and not isinstance(index, bool):
        _check_column(frame, index, "index")
        col = frame[index]
        if not is_numeric(col):
            raise ValidationError(
                f"index={index!r} must be a numeric column (the composite index); it has "
                f"dtype {col.dtype}. Convert it (pd.to_numeric) or pass a CompositeResult"
            )
        x = np.array(as_float(col), dtype=np.float64)
        if np.isinf(x).any():
            raise ValidationError(
                f"index={index!r} has {int(np.isinf(x).sum())} infinite value(s); an index "
                "must be finite (set them to NaN to drop those areas)"
            )
        return x, "column", str(index)
    raise ValidationError(
        f"index must be a CompositeResult (mpi.composite(...)) or the name of a numeric column "
        f"of data; got {type(index).__name__} {index!r}"
    )


def _check_choice(index: Any, cutoff: Any, count: Any, spec: Any, k: Any) -> str:
    """The method (``"cutoff"``, ``"count"`` or ``"af"``) from the arguments given."""
    if (index is None) == (spec is None):
        got = "both" if index is not None else "neither"
        raise ValidationError(
            f"give exactly one of index= (a composite index with cutoff= or count=) or spec= "
            f"(the Alkire-Foster counting approach over area indicators, with k=); got {got}"
        )
    if spec is not None:
        if cutoff is not None or count is not None:
            raise ValidationError(
                f"cutoff={cutoff!r} and count={count!r} apply to an index=; with spec= the "
                "poverty cutoff is k= (or spec.k)"
            )
        if not isinstance(spec, Spec):
            raise ValidationError(
                f"spec must be an mpi.Spec of area indicators; got {type(spec).__name__} "
                f"{spec!r} (a CompositeSpec is computed with mpi.composite and given as index=)"
            )
        return "af"
    if k is not None:
        raise ValidationError(
            f"k={k!r} applies with spec= only; with index= give cutoff= or count="
        )
    if (cutoff is None) == (count is None):
        got = f"both (cutoff={cutoff!r}, count={count!r})" if cutoff is not None else "neither"
        raise ValidationError(
            f"with index= give exactly one of cutoff= (poor below it) or count= (the N "
            f"lowest-ranked areas); got {got}"
        )
    if cutoff is not None:
        ok = isinstance(cutoff, Real) and not isinstance(cutoff, bool)
        if not ok or not np.isfinite(float(cutoff)):
            raise ValidationError(
                f"cutoff must be a finite number on the index's scale (e.g. 50); got {cutoff!r}"
            )
        return "cutoff"
    if not isinstance(count, Integral) or isinstance(count, bool) or int(count) <= 0:
        raise ValidationError(
            f"count must be a positive whole number of areas (e.g. 100); got {count!r}"
        )
    return "count"


def _official_flags(
    frame: pd.DataFrame, official: Any, id: Hashable | None
) -> tuple[np.ndarray, str]:
    """Per-area official status as float (1, 0, NaN missing) and its description."""
    table = as_table(frame, [])
    if is_id_list(official):
        flags, label = listed_from_ids(table, official, id)
        return flags.astype(np.float64), label
    _check_column(frame, official, "official")
    flags, missing = read_flag(table, official, "official")
    return np.where(missing, np.nan, flags.astype(np.float64)), f"column {official!r}"


def _compare(
    frame: pd.DataFrame,
    poor: np.ndarray,
    dropped: np.ndarray,
    official: Any,
    weight: Hashable | None,
    groups: list[str],
    id: Hashable | None,
) -> tuple[Any, dict[str, float]]:
    """:func:`mpi.targeting` of the official list against the identified poor areas: the
    result (with ``by``) and the overall inclusion and exclusion errors and agreement."""
    if IDENTIFIED in frame.columns:
        raise ValidationError(f"data already have a column {IDENTIFIED!r}; rename it")
    work = frame.assign(**{IDENTIFIED: np.where(dropped, np.nan, poor.astype(np.float64))})
    ids = id if is_id_list(official) else None
    with warnings.catch_warnings():
        # dropped areas and missing groups are counted and warned about by poor_areas
        warnings.simplefilter("ignore", MissingDataWarning)
        result = evaluate_targeting(
            work, official, IDENTIFIED, weight=weight, by=groups or None, id=ids
        )
        whole = result if not groups else evaluate_targeting(
            work, official, IDENTIFIED, weight=weight, id=ids
        )  # fmt: skip
    ds = whole.to_dataset()
    agree = float(ds["listed_poor"] + ds["unlisted_nonpoor"])
    total = agree + float(ds["listed_nonpoor"] + ds["unlisted_poor"])
    rates = {
        "inclusion_error": float(ds["inclusion_error"]),
        "exclusion_error": float(ds["exclusion_error"]),
        "agreement": agree / total if total > 0 else np.nan,
        "n_compared": int(ds.attrs["n_units"]),
    }
    return result, rates


def _af_status(
    frame: pd.DataFrame,
    spec: Spec,
    k: Any,
    weight: Hashable | None,
    groups: list[str],
    id: Hashable | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any, str]:
    """``(score, poor, missing, MeasureResult, k text)`` of the AF counting approach."""
    ks, k_dim = cutoff_list(spec, k)
    if k_dim:
        raise ValidationError(f"k={k!r}: give one poverty cutoff (e.g. k='1/3')")
    with warnings.catch_warnings():
        # poor_areas counts and warns about the dropped areas itself (once)
        warnings.simplefilter("ignore", MissingDataWarning)
        status = identify(frame, spec, weight=weight, k=ks[0], unit=id).to_frame()
        result = measure(frame, spec, weight=weight, by=groups or None, k=ks[0])
    missing = status["missing"].to_numpy(dtype=bool)
    poor = status["poor"].to_numpy(dtype=bool) & ~missing
    return status["score"].to_numpy(dtype=np.float64), poor, missing, result, fraction_text(ks[0])


def poor_areas(
    data: Any,
    *,
    index: Any = None,
    cutoff: float | None = None,
    count: int | None = None,
    spec: Spec | None = None,
    k: Any = None,
    weight: str | None = None,
    official: Any = None,
    by: str | Sequence[str] | None = None,
    id: str | None = None,
) -> PoorAreasResult:
    """Identify the poor areas (counties, villages, provinces) and compare them with an
    official list.

    Exactly one of two ways:

    * **a composite index** (``index=``, with ``cutoff=`` or ``count=``): an area is poor when
      its index is strictly below ``cutoff``, or when it is among the ``count`` lowest-ranked
      areas (all areas tied at the boundary included, so there may be more than ``count``);
    * **the Alkire-Foster counting approach over area indicators** (``spec=``, ``k=``): an area
      is deprived in an indicator when its value meets the indicator's rule (e.g. below a
      cutoff), and poor when its weighted deprivation score is at least ``k``
      (:func:`mpi.identify`, exact rational identification); :func:`mpi.measure` with the
      population as the area weight gives the area-level M0, H and A (kept as ``.measure``).

    Parameters
    ----------
    data : pandas.DataFrame or xarray.Dataset
        One row per area (a Dataset: one dimension), with the weight, ``by``, ``official``
        and ``id`` columns and, with ``spec``, the indicators' variables. Never modified.
    index : CompositeResult or str, optional
        The composite index: a :class:`~mpi.composites.result.CompositeResult` (its per-area
        index, matched to ``data`` by area id: the ids must be the same, in any order) or the
        name of a numeric column of ``data``. A missing index drops the area.
    cutoff : float, optional
        With ``index``: poor when ``index < cutoff`` (strictly below). The comparison is the
        floating-point one on the index as stored, without tolerance: an area whose index
        equals the cutoff is not poor, and an index rounded for publication (61.3) may fall
        on the other side of the cutoff than the unrounded one.
    count : int, optional
        With ``index``: the ``count`` areas with the lowest index (``1 <= count <=`` the
        areas kept), i.e. those with rank ``<= count``; areas tied at the boundary all count,
        and the result says how many were added.
    spec : mpi.Spec, optional
        Area indicators (each with its deprivation rule and nested weight) and ``k``.
    k : float, str or Fraction, optional
        With ``spec``: one poverty cutoff overriding ``spec.k`` (``"1/3"`` is exact).
    weight : str, optional
        Population column (finite, >= 0): the population living in poor areas and its share,
        the area weight of :func:`mpi.measure` and of the comparison. A missing weight drops
        the area. Default: each area counts 1 and no population figures are given.
    official : str or list of ids, optional
        The official list: a 0/1 column of ``data`` or the ids of the listed areas (as
        ``listed`` in :func:`mpi.targeting`). The comparison is :func:`mpi.targeting` with the
        list as ``listed``, the identified poor areas as ``poor``, ``weight`` and ``by``; it is
        kept as ``.targeting``. Areas with a missing official flag are left out of the
        comparison only (counted and warned).
    by : str or list of str, optional
        Group columns (e.g. ``"province"``): counts and shares per group (:meth:`by_group`).
        An area with a missing group value is in no group but in the totals (counted).
    id : str, optional
        Column of unique area ids; default: the DataFrame's index.

    Returns
    -------
    PoorAreasResult
        Per area ``poor``, ``index`` (or ``score`` for the AF way), ``rank`` (1 = the poorest),
        ``dropped``; totals ``n_areas``, ``n_poor``, ``share_poor`` and, with a weight,
        ``population``, ``population_poor``, ``population_share_poor``; with ``official`` the
        overall ``inclusion_error``, ``exclusion_error`` and ``agreement``.

    Raises
    ------
    ValidationError
        For neither or both of ``index`` and ``spec``; both or neither of ``cutoff`` and
        ``count`` with ``index``; ``count`` not in ``1..n``; an unknown column; a
        non-numeric index; a CompositeResult whose area ids are not those of ``data``;
        duplicate or missing ids; a bad weight or official flag.

    Warns
    -----
    MissingDataWarning
        When areas are dropped (missing index or indicator, missing weight; counted in
        ``n_dropped``), have a missing group value, or have no official status.

    Notes
    -----
    With area weights (population) :math:`w_i`, poor flags :math:`p_i` and :math:`K` the areas
    kept, the population share living in poor areas is :math:`\\sum_K w_i p_i / \\sum_K w_i`;
    on the AF way it equals :func:`mpi.measure`'s headcount ratio :math:`H` with that weight.
    Ranks are competition ranks ("min"): rank 1 is the lowest index (or the highest
    deprivation score), tied areas share the lowest rank; ``count=N`` takes the areas with
    rank at most N, i.e. the index at most the N-th lowest value.

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487.
    UNDP China and Baidu (2016). *China National Human Development Report 2016*, ch. 3 (county
    living-standard index).

    Examples
    --------
    >>> import pandas as pd, mpi
    >>> from mpi.identification.areas import poor_areas
    >>> df = pd.DataFrame({"lsi": [40.0, 55.0, 45.0, 70.0], "pop": [10, 20, 30, 40]},
    ...                   index=["a", "b", "c", "d"])
    >>> res = poor_areas(df, index="lsi", cutoff=50, weight="pop")
    >>> res.to_frame()["poor"].tolist()
    [True, False, True, False]
    >>> float(res.to_dataset()["population_share_poor"])
    0.4
    """
    frame = _as_frame(data)
    method = _check_choice(index, cutoff, count, spec, k)
    ids = _area_ids(frame, id)
    groups = by_names(by)
    for name, arg in [(weight, "weight"), *((g, "by") for g in groups)]:
        if name is not None:
            _check_column(frame, name, arg)
    if len(frame) == 0:
        raise DataError("data has no areas (0 rows); nothing to identify")
    table = as_table(frame, [])
    w, miss_w = read_weight(table, weight)
    measured = None
    k_text = ""
    if method == "af":
        assert spec is not None
        value, af_poor, miss_v, measured, k_text = _af_status(frame, spec, k, weight, groups, id)
        miss_v = miss_v & ~miss_w
        kind, index_name = "score", str(spec.name or "custom")
    else:
        value, kind, index_name = _index_values(frame, ids, index)
        miss_v = np.isnan(value)
    dropped = miss_v | miss_w
    kept = ~dropped
    n_kept = int(kept.sum())
    if n_kept == 0:
        raise DataError(
            f"every one of the {len(frame):,} areas is dropped (missing index, indicators or "
            "weight); nothing to identify"
        )
    if method == "af":
        rank = ranks(np.where(kept, value, np.nan))
        poor = af_poor & kept
    else:
        rank = ranks(np.where(kept, -value, np.nan))
        if method == "cutoff":
            poor = kept & (value < float(cutoff))  # type: ignore[arg-type]
        else:
            if int(count) > n_kept:  # type: ignore[arg-type]
                raise ValidationError(
                    f"count={count!r} is more than the {n_kept:,} areas with an index; give "
                    f"a count from 1 to {n_kept:,}"
                )
            poor = kept & (rank <= int(count))  # type: ignore[arg-type]
    level = caller_level()
    if dropped.any():
        warnings.warn(
            f"{int(dropped.sum())} of {len(frame)} areas dropped (missing "
            f"{'indicator' if method == 'af' else 'index'}: {int(miss_v.sum())}, missing weight "
            f"{weight!r}: {int(miss_w.sum())}); they have no rank, are not poor and are counted "
            "in the result's n_dropped",
            MissingDataWarning,
            stacklevel=level,
        )
    code, shape, labels = group_codes(table, groups)
    n_miss_group = int(((code < 0) & kept).sum()) if groups else 0
    if n_miss_group:
        warnings.warn(
            f"{n_miss_group} area(s) have a missing value in a by variable ({groups}); they are "
            "in no group but in the totals, counted in the result's n_missing_group",
            MissingDataWarning,
            stacklevel=level,
        )
    attrs: dict[str, Any] = {"method": method, "index": index_name, "index_kind": kind}
    if method == "cutoff":
        attrs["cutoff"] = float(cutoff)  # type: ignore[arg-type]
    elif method == "count":
        attrs["count"] = int(count)  # type: ignore[arg-type]
        attrs["boundary"] = float(np.max(value[poor]))
        attrs["n_tied_added"] = int(poor.sum()) - int(count)  # type: ignore[arg-type]
    else:
        attrs.update(k=k_text, spec=index_name, n_indicators=len(spec))  # type: ignore[arg-type]
    targeting, rates, official_flags = None, None, None
    if official is not None:
        official_flags, official_label = _official_flags(frame, official, id)
        targeting, rates = _compare(frame, poor, dropped, official, weight, groups, id)
        n_no_status = int((np.isnan(official_flags) & kept).sum())
        attrs.update(official=official_label, n_no_official=n_no_status)
        if n_no_status:
            warnings.warn(
                f"{n_no_status} area(s) have a missing official flag ({official!r}); they are "
                "left out of the comparison with the official list only",
                MissingDataWarning,
                stacklevel=level,
            )
    ds = area_dataset(
        ids, value, kind, rank, poor, dropped,
        weight=np.where(miss_w, np.nan, w) if weight is not None else None,
        official=official_flags, rates=rates,
        measured=measured.overall if measured is not None else None,
    )  # fmt: skip
    call = (
        f"mpi.poor_areas(data, method={method!r}, index={index_name!r}, "
        + ", ".join(f"{key}={attrs[key]!r}" for key in ("cutoff", "count", "k") if key in attrs)
        + f", weight={weight!r}, by={groups or None!r})"
    )
    ds.attrs.update(
        Conventions="CF-1.11",
        title=text("areas.title", "en"),
        **attrs,
        weight="" if weight is None else str(weight),
        by=", ".join(groups),
        n_units=len(frame),
        n_dropped=int(dropped.sum()),
        n_dropped_value=int(miss_v.sum()),
        n_dropped_weight=int(miss_w.sum()),
        n_missing_group=n_miss_group,
        history=f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: {call} "
        f"[xmpi {__version__}]",
    )
    grouped = None
    if groups:
        grouped = group_dataset(
            code, shape, labels, groups, poor, kept, w, weight is not None, targeting
        )
    return PoorAreasResult(ds, ids=ids, grouped=grouped, measure=measured, targeting=targeting)

"""What the job matches would do to household income and to Alkire–Foster poverty:
:func:`what_if` and its result :class:`JobsWhatIf`.

The what-if adds the wages of each household's matched workers to the household's per-capita
income and measures poverty twice with the same spec, before and after. It is an explicit,
documented scenario (a take-up rate and a number of months of work a year), not a forecast:
every other indicator is left as it is.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._version import __version__
from mpi.errors import CategoryWarning, DataError, MissingDataWarning, ValidationError
from mpi.jobs.whatif_result import REFERENCES, VARIABLE_ATTRS, VARIABLES, JobsWhatIf
from mpi.measurement.measure import measure
from mpi.measurement.spec import Spec
from mpi.presets import china_2b3g

__all__ = ["what_if", "JobsWhatIf", "VARIABLES", "WORKER_COLUMNS"]

#: Columns the per-worker table must have (those of ``MatchResult.to_frame()``).
WORKER_COLUMNS = ("household_id", "matched", "wage")


# -- inputs ------------------------------------------------------------------------------------
def _number(value: Any, name: str, fix: str) -> float:
    """``value`` as a finite float, or a :class:`ValidationError` naming ``name``."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or not math.isfinite(float(value)):
        raise ValidationError(f"{name}={value!r} must be a finite number; {fix}")
    return float(value)


def _worker_frame(match: Any) -> pd.DataFrame:
    """The per-worker table of ``match`` (a MatchResult or a DataFrame)."""
    if isinstance(match, pd.DataFrame):
        frame = match
    elif callable(getattr(match, "to_frame", None)):
        frame = match.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise ValidationError(
                f"match: {type(match).__name__}.to_frame() gave a {type(frame).__name__}, not "
                "a DataFrame; pass the result of mpi.jobs.match or a per-worker DataFrame"
            )
    else:
        raise ValidationError(
            f"match must be the result of mpi.jobs.match (a MatchResult) or a per-worker "
            f"DataFrame with columns {list(WORKER_COLUMNS)}; got {type(match).__name__}"
        )
    missing = [c for c in WORKER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"match: the per-worker table lacks the columns {missing}; it needs "
            f"{list(WORKER_COLUMNS)} (as MatchResult.to_frame() gives them). Its columns are: "
            f"{', '.join(map(str, list(frame.columns)[:20]))}"
        )
    return frame


def _matched_flags(col: pd.Series) -> np.ndarray:
    """The ``matched`` column as booleans, or a :class:`DataError`."""
    if col.dtype == bool:
        return col.to_numpy()
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna() | ~values.isin([0, 1])
    if bad.any():
        raise DataError(
            f"match: column 'matched' must hold True/False (or 1/0); {int(bad.sum())} worker(s) "
            f"hold other values, e.g. {col[bad].iloc[0]!r}. Fix the table"
        )
    return values.to_numpy() == 1


def _column(frame: pd.DataFrame, name: Any, argument: str) -> pd.Series:
    """Column ``name`` of households, or a :class:`ValidationError` naming ``argument``."""
    if not isinstance(name, str) or name not in frame.columns:
        cols = ", ".join(map(str, list(frame.columns)[:30]))
        raise ValidationError(
            f"{argument}={name!r} is not a column of households; its columns are: {cols}. "
            f"Pass {argument}= the name of the column"
        )
    return frame[name]


def _income_indicator(spec: Spec, income: str) -> Any:
    """The one indicator of ``spec`` whose variable is ``income``."""
    found = [i for i in spec.indicators if i.variable == income]
    if len(found) != 1:
        have = ", ".join(f"{i.name} ({i.variable})" for i in spec.indicators)
        what = "no indicator" if not found else f"{len(found)} indicators"
        raise ValidationError(
            f"income={income!r}: the spec {spec.name!r} has {what} on this variable; the "
            f"what-if adds wages to the variable of exactly one indicator. Its indicators "
            f"(variables): {have}. Pass income= that indicator's variable"
        )
    ind = found[0]
    if ind.deprived_if not in ("<", "<=") or ind.cutoff is None:
        raise ValidationError(
            f"income={income!r}: indicator {ind.name!r} is deprived if {ind.rule!r}, not below "
            "a line, so added income cannot end the deprivation; pass income= the variable of "
            "an income indicator (deprived if the income is < or <= a line)"
        )
    return ind


def _households(
    households: Any, spec: Spec, household_id: str, size: str, income: str,
    by: str | None, weight: str | None,
) -> tuple[pd.Index, np.ndarray]:  # fmt: skip
    """Check the household table; its ids (an Index) and sizes (float64)."""
    if not isinstance(households, pd.DataFrame):
        raise ValidationError(
            f"households must be a pandas DataFrame (one row per household); got "
            f"{type(households).__name__}. From the registry panel: "
            "mpi.datasets.load('registry_panel', format='xarray').sel(time=2022)"
            ".to_dataframe().reset_index()"
        )
    ids = _column(households, household_id, "household_id")
    sizes = _column(households, size, "size")
    _column(households, income, "income")
    if by is not None:
        _column(households, by, "by")
    if weight is not None:
        _column(households, weight, "weight")
    lacking = [v for v in spec.variables if v not in households.columns]
    if lacking:
        raise DataError(
            f"households lacks the variables {lacking} of the spec {spec.name!r}; add them or "
            "pass a spec whose indicators are in the table"
        )
    if ids.isna().any():
        raise DataError(
            f"households: {int(ids.isna().sum())} household(s) have a missing {household_id!r}; "
            "every household needs an id"
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(
            f"households: {int(ids[dup].nunique())} id(s) of {household_id!r} occur more than "
            f"once, e.g. {ids[dup].iloc[0]!r}; pass one row per household (e.g. one year of a "
            "panel)"
        )
    n = pd.to_numeric(sizes, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(n) | (n <= 0)
    if bad.any():
        raise DataError(
            f"households: {int(bad.sum())} household(s) have a missing or non-positive size "
            f"{size!r}, e.g. {sizes[bad].iloc[0]!r}; the added income is divided by the size"
        )
    return pd.Index(ids), n


# -- the what-if -------------------------------------------------------------------------------
def what_if(
    match: Any,
    households: pd.DataFrame,
    spec: Spec | None = None,
    *,
    take_up: float = 1.0,
    months: float = 12,
    household_id: str = "unit",
    size: str = "hh_size",
    income: str = "income_per_capita",
    by: str | None = "village",
    weight: str | None = None,
) -> JobsWhatIf:
    r"""Income deprivation and poverty before and after the job matches are taken up.

    Each household's per-capita income (the variable of the spec's income indicator) rises by
    the wages its matched workers would earn:

    .. math::

        y_h^{after} = y_h + \frac{\tau \, m \sum_{i \in h,\ i \text{ matched}} w_i}{n_h}

    with :math:`\tau` the take-up rate (``take_up``), :math:`m` the months of work a year
    (``months``), :math:`w_i` the monthly wage of worker :math:`i`'s post and :math:`n_h`
    the household's size. Every other indicator is unchanged. Poverty is then measured with
    :func:`mpi.measure` on the households before and after, with the same spec, weights and
    cutoff ``k`` (Alkire and Foster 2011), overall and by group.

    Parameters
    ----------
    match
        The result of :func:`mpi.jobs.match` (anything with a ``to_frame()`` giving the
        per-worker table), or that table: one row per worker with columns ``household_id``
        (the household's id; -1 or missing when the worker is not linked to one),
        ``matched`` (bool) and ``wage`` (monthly yuan of the post, used for matched workers).
    households
        One row per household with ``household_id``, ``size``, the spec's variables and
        ``by`` and ``weight`` when given (e.g. one year of the registry panel). Not changed.
    spec
        The poverty spec (default: :func:`mpi.presets.china_2b3g` with its default income
        line of 4,000 yuan; pass the year's line with ``china_2b3g(income_line=...)``).
    take_up
        Share of the wages realised, in [0, 1] (the expected share of matches taken up).
    months
        Months of work a year (> 0).
    household_id
        Column of ``households`` holding the id that the workers' ``household_id`` refers
        to.
    size
        Column of ``households`` with the number of members (> 0).
    income
        Column of ``households`` with the per-capita income: the variable of exactly one
        indicator of ``spec``.
    by
        Column of ``households`` to group by (one group variable), or None for the overall
        results only.
    weight
        Sampling-weight column of ``households`` (None: every household counts once).

    Returns
    -------
    JobsWhatIf
        Per group and overall: ``households``, ``households_measured``,
        ``workers_matched``, ``households_with_match``, ``income_added``,
        ``income_deprived_before`` / ``_after``, ``H_before`` / ``_after``,
        ``M0_before`` / ``_after`` and ``M0_change``. Workers left out (no household, or
        one not among ``households``) and matched workers of households dropped for missing
        values are counted in its attributes.

    Raises
    ------
    ValidationError
        For a ``take_up`` outside [0, 1], ``months`` <= 0, a column that is not in the
        tables, a ``spec`` that is not a :class:`mpi.Spec` or has no single indicator on
        ``income``.
    DataError
        For duplicated or missing household ids, missing or non-positive sizes, a
        ``matched`` that is not boolean, a matched worker without a finite wage >= 0, or
        workers linked to households none of whose ids is among ``households`` (ids of
        another type, say text against integers).

    Notes
    -----
    The income indicator's deprivation share is its uncensored headcount ratio (the
    weighted share of measured households with income below the line). ``M0_change`` is
    never positive: adding income never adds a deprivation (monotonicity of the
    Alkire–Foster measures; Alkire and Foster 2011).

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    *Journal of Public Economics* 95(7-8), 476-487.

    Examples
    --------
    Households from the registry panel's latest year, with the year's income line:

    >>> import pandas as pd, mpi, mpi.jobs
    >>> ds = mpi.datasets.load("registry_panel", format="xarray")
    >>> households = ds.sel(time=2022).to_dataframe().reset_index()  # `unit` is a column
    >>> line = float(ds["poverty_line"].sel(time=2022))  # 4,400 yuan a head in 2022
    >>> spec = mpi.presets.china_2b3g(income_line=line)
    >>> households = households.dropna(subset=spec.variables)  # every indicator observed
    >>> workers = pd.DataFrame({"household_id": [5, 5, -1], "matched": True,
    ...                         "wage": [2500.0, 2000.0, 3000.0]})  # or mpi.jobs.match(...)
    >>> res = mpi.jobs.what_if(workers, households, spec, take_up=0.8, weight="weight")
    >>> res.to_dataset().attrs["n_workers_unlinked"]  # the third worker: counted, left out
    1
    >>> village = res.to_dataset().sel(village=27)  # household 5: 2,380 yuan a head before
    >>> float(village["income_added"]), round(float(village["income_deprived_before"]), 4)
    (43200.0, 0.1765)
    >>> round(float(village["income_deprived_after"]), 4), float(village["M0_change"]) < 0
    (0.1618, True)
    """
    workers = _worker_frame(match)
    take_up = _number(take_up, "take_up", "pass a share of the matches taken up in [0, 1]")
    if not 0.0 <= take_up <= 1.0:
        raise ValidationError(
            f"take_up={take_up!r} must be in [0, 1] (the share of the matches taken up); "
            "e.g. take_up=0.8"
        )
    months = _number(months, "months", "pass the months of work a year, e.g. months=12")
    if months <= 0:
        raise ValidationError(
            f"months={months!r} must be > 0 (the months of work a year); e.g. months=12"
        )
    if spec is None:
        spec = china_2b3g()
    elif not isinstance(spec, Spec):
        raise ValidationError(
            f"spec must be an mpi.Spec (e.g. mpi.presets.china_2b3g()); got {type(spec).__name__}"
        )
    if by is not None and not isinstance(by, str):
        raise ValidationError(f"by={by!r} must be one column name (e.g. 'village') or None")
    if weight is not None and not isinstance(weight, str):
        raise ValidationError(f"weight={weight!r} must be a column name or None")
    indicator = _income_indicator(spec, income)
    ids, sizes = _households(households, spec, household_id, size, income, by, weight)

    # -- link the workers to the households ---------------------------------------------------
    matched = _matched_flags(workers["matched"])
    wage = pd.to_numeric(workers["wage"], errors="coerce").to_numpy(dtype=float)
    bad_wage = matched & (~np.isfinite(wage) | (wage < 0))
    if bad_wage.any():
        raise DataError(
            f"match: {int(bad_wage.sum())} matched worker(s) have a missing, infinite or "
            "negative wage; a matched worker needs the monthly wage of the post"
        )
    hid = workers["household_id"]
    unlinked = hid.isna().to_numpy() | (hid.astype(object) == -1).to_numpy()
    position = np.full(len(workers), -1, dtype=np.int64)
    if (~unlinked).any():
        position[~unlinked] = ids.get_indexer(pd.Index(hid[~unlinked].to_numpy()))
    unknown = ~unlinked & (position < 0)
    if unknown.any() and unknown.sum() == (~unlinked).sum():
        example = hid[~unlinked].iloc[0]
        raise DataError(
            f"match: none of the {int(unknown.sum()):,} workers' household ids is an id of "
            f"households (column {household_id!r}): e.g. {example!r} ({hid.dtype}) against "
            f"{ids[0]!r} ({ids.dtype}). Link the tables with the same ids of the same type"
        )
    linked = matched & (position >= 0)
    n_h = len(ids)
    wage_sum = np.bincount(position[linked], weights=wage[linked], minlength=n_h)
    workers_h = np.bincount(position[linked], minlength=n_h).astype(np.int64)
    added_h = months * wage_sum * take_up  # household income a year (one rounding of take_up)
    before = households[
        list(dict.fromkeys([*spec.variables, *([by] if by else []), *([weight] if weight else [])]))
    ]

    # -- measure before and after -------------------------------------------------------------
    res_before = measure(before, spec, weight=weight, by=by)  # checks the variables' values
    after = before.assign(**{income: before[income].to_numpy(dtype=float) + added_h / sizes})
    with warnings.catch_warnings():  # the same data but the income: warned once, above
        warnings.simplefilter("ignore", MissingDataWarning)
        warnings.simplefilter("ignore", CategoryWarning)
        res_after = measure(after, spec, weight=weight, by=by)
    measured = ~before[list(spec.variables)].isna().any(axis=1).to_numpy()
    if weight is not None:
        measured &= before[weight].notna().to_numpy()

    counts = pd.DataFrame(
        {
            "households": np.ones(n_h, dtype=np.int64),
            "households_measured": measured.astype(np.int64),
            "workers_matched": workers_h,
            "households_with_match": (workers_h > 0).astype(np.int64),
            "income_added": added_h,
        }
    )
    overall = _measures(res_before.overall.to_dataset(), res_after.overall.to_dataset(),
                        indicator.name, counts.sum())  # fmt: skip
    grouped = None
    n_missing_group = 0
    if by is not None:
        ds_b, ds_a = res_before.to_dataset(), res_after.to_dataset()
        keys = before[by]
        n_missing_group = int(keys.isna().sum())
        sums = counts[keys.notna().to_numpy()].groupby(keys[keys.notna()].to_numpy()).sum()
        sums = sums.reindex(pd.Index(ds_b[by].to_numpy()), fill_value=0)
        grouped = _measures(ds_b, ds_a, indicator.name, sums, by=by)

    attrs = {
        "Conventions": "CF-1.11",
        "title": "Job matches what-if: income deprivation and poverty before and after",
        "institution": "xmpi",
        "source": f"xmpi {__version__}",
        "references": REFERENCES,
        "spec": spec.name or "",
        "spec_indicators": len(spec.indicators),
        "spec_dimensions": len(spec.dimensions),
        "k": fraction_text(spec.cutoff_fraction()),
        "income_indicator": indicator.name,
        "income_variable": income,
        "income_line": _number_text(indicator.cutoff),
        "take_up": take_up,
        "months": months,
        "household_id": household_id,
        "size": size,
        "by": by or "",
        "weight": weight or "",
        "formula": (
            f"{income}_after = {income} + take_up * months * sum(wage of matched workers) / {size}"
        ),
        "n_households": n_h,
        "n_households_measured": int(measured.sum()),
        "n_dropped": int(res_before.overall.to_dataset()["n_dropped"]),
        "n_missing_group": n_missing_group,
        "n_workers": len(workers),
        "n_workers_matched": int(matched.sum()),
        "n_workers_unlinked": int(unlinked.sum()),
        "n_workers_unknown_household": int(unknown.sum()),
        "n_matched_left_out": int((matched & (position < 0)).sum()),
        "n_matched_linked": int(linked.sum()),
        "n_matched_unmeasured": int((linked & ~measured[np.maximum(position, 0)]).sum()),
        "history": (
            f"{_dt.datetime.now(_dt.UTC).isoformat(timespec='seconds')}: "
            f"mpi.jobs.what_if(match, households, spec={spec.name!r}, take_up={take_up!r}, "
            f"months={months!r}, household_id={household_id!r}, size={size!r}, "
            f"income={income!r}, by={by!r}, weight={weight!r}) [xmpi {__version__}]"
        ),
    }
    return JobsWhatIf(overall, grouped, attrs)


def _measures(
    before: xr.Dataset, after: xr.Dataset, indicator: str, counts: Any, *, by: str | None = None
) -> xr.Dataset:
    """The what-if's variables from the measures before and after and the counts."""

    def pick(ds: xr.Dataset, name: str) -> xr.DataArray:
        da = ds[name]
        if "indicator" in da.dims:
            da = da.sel(indicator=indicator)
        return da.reset_coords(drop=True).astype(float)

    out = xr.Dataset()
    for name in ("households", "households_measured", "workers_matched",
                 "households_with_match", "income_added"):  # fmt: skip
        values = counts[name]
        if by is None:
            out[name] = xr.DataArray(values)
        else:
            out[name] = xr.DataArray(values.to_numpy(), dims=[by], coords={by: before[by].values})
        out[name] = out[name].astype(float if name == "income_added" else np.int64)
    out["income_deprived_before"] = pick(before, "uncensored_headcount")
    out["income_deprived_after"] = pick(after, "uncensored_headcount")
    out["H_before"], out["H_after"] = pick(before, "H"), pick(after, "H")
    out["M0_before"], out["M0_after"] = pick(before, "M0"), pick(after, "M0")
    out["M0_change"] = out["M0_after"] - out["M0_before"]
    for name in VARIABLES:
        out[name].attrs = dict(VARIABLE_ATTRS[name])
    return out


def _number_text(value: Any) -> str:
    """A cutoff as text: ``4400.0`` -> ``"4400"``; other values as ``str``."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)

"""The result of :func:`mpi.identification.areas.poor_areas`: which areas are poor, with the
population living in them, by group, and the comparison with an official list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.ratio import ratio
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError

__all__ = ["PoorAreasResult", "area_dataset", "group_dataset", "AREA_COUNTS", "RATES"]

#: Counts and shares of the totals and of each group (the population ones with a weight).
AREA_COUNTS = ("n_areas", "n_poor", "share_poor")
POPULATION = ("population", "population_poor", "population_share_poor")
#: Comparison with the official list (with ``official`` only).
RATES = ("inclusion_error", "exclusion_error", "agreement")
#: Rows of the summary's table of poor areas.
SHOWN = 10
#: Rows of the summary's table of groups (all are in :meth:`PoorAreasResult.by_group`).
MAX_GROUPS = 40
_UNITS = {
    "share_poor": "1", "population_share_poor": "1", "inclusion_error": "1",
    "exclusion_error": "1", "agreement": "1", "n_areas": "count", "n_poor": "count",
    "population": "persons", "population_poor": "persons", "weight": "persons",
}  # fmt: skip


def _attrs(name: str, key: str | None = None) -> dict[str, str]:
    out = {"long_name": text(f"areas.var.{key or name}", "en")}
    if name in _UNITS:
        out["units"] = _UNITS[name]
    return out


def _counts(
    poor: np.ndarray, kept: np.ndarray, w: np.ndarray, code: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """Counts and shares per code ``0..n-1`` (units with a negative code left out)."""
    use = kept & (code >= 0)
    c = code[use]
    n_areas = np.bincount(c, minlength=n).astype(np.int64)
    n_poor = np.bincount(c, weights=poor[use].astype(np.float64), minlength=n).astype(np.int64)
    pop = np.bincount(c, weights=w[use], minlength=n)
    pop_poor = np.bincount(c, weights=np.where(poor[use], w[use], 0.0), minlength=n)
    return {
        "n_areas": n_areas,
        "n_poor": n_poor,
        "share_poor": ratio(n_poor, n_areas),
        "population": pop,
        "population_poor": pop_poor,
        "population_share_poor": ratio(pop_poor, pop),
    }


def area_dataset(
    ids: pd.Index,
    value: np.ndarray,
    kind: str,
    rank: np.ndarray,
    poor: np.ndarray,
    dropped: np.ndarray,
    *,
    weight: np.ndarray | None,
    official: np.ndarray | None,
    rates: dict[str, float] | None,
    measured: Any,
) -> xr.Dataset:
    """The result's Dataset: per area (dim ``unit``) and the totals (scalars).

    Parameters
    ----------
    ids
        The area ids (coordinate of ``unit``).
    value
        The index (``kind="index"`` or ``"composite"``/``"column"``) or the deprivation score
        (``kind="score"``) of each area.
    kind
        ``"composite"``, ``"column"`` or ``"score"``.
    rank
        Rank from the poorest (NaN for a dropped area).
    poor, dropped
        Boolean flags per area.
    weight
        Population per area (NaN where missing), or None without a weight.
    official
        Official status per area (1, 0, NaN), or None.
    rates
        Overall ``inclusion_error``, ``exclusion_error``, ``agreement``, or None.
    measured
        The overall :class:`~mpi.measurement.result.MeasureResult` of the AF way, or None.

    Returns
    -------
    xarray.Dataset
    """
    kept = ~dropped
    var = "score" if kind == "score" else "index"
    unit = ("unit",)
    ds = xr.Dataset(coords={"unit": ids.to_numpy()})
    ds["poor"] = (unit, poor.astype(bool))
    ds[var] = (unit, np.asarray(value, np.float64))
    ds["rank"] = (unit, np.asarray(rank, np.float64))
    ds["dropped"] = (unit, dropped.astype(bool))
    ds["poor"].attrs.update(_attrs("poor"))
    ds[var].attrs.update(_attrs(var))
    ds["rank"].attrs.update(_attrs("rank", "rank_score" if var == "score" else "rank_index"))
    ds["dropped"].attrs.update(_attrs("dropped"))
    if weight is not None:
        ds["weight"] = (unit, np.asarray(weight, np.float64))
        ds["weight"].attrs.update(_attrs("weight"))
    if official is not None:
        ds["official"] = (unit, official)
        ds["official"].attrs.update(_attrs("official"))
    w = weight if weight is not None else np.ones(len(ids))
    totals = _counts(poor, kept, w, np.zeros(len(ids), np.int64), 1)
    names = AREA_COUNTS + (POPULATION if weight is not None else ())
    for name in names:
        ds[name] = ((), totals[name][0])
        ds[name].attrs.update(_attrs(name))
    if rates is not None:
        for name in RATES:
            ds[name] = ((), float(rates[name]))
            ds[name].attrs.update(_attrs(name))
    if measured is not None:
        for name in ("M0", "H", "A"):
            ds[name] = ((), float(measured[name]))
            ds[name].attrs.update(long_name=text(f"measure.{name}", "en"), units="1")
    return ds


def group_dataset(
    code: np.ndarray,
    shape: tuple[int, ...],
    labels: Sequence[np.ndarray],
    groups: Sequence[str],
    poor: np.ndarray,
    kept: np.ndarray,
    w: np.ndarray,
    weighted: bool,
    targeting: Any,
) -> xr.Dataset:
    """Counts and shares per group (dims: the ``by`` variables), with the comparison's
    rates per group when an official list was given.

    Parameters
    ----------
    code, shape, labels
        Group cell of every area (-1: a missing group), the cross-classification's shape and
        labels (:func:`mpi.identification.evaluate_inputs.group_codes`).
    groups
        The ``by`` names.
    poor, kept
        Boolean flags per area.
    w
        Population per area (ones without a weight).
    weighted
        Whether a weight was given (population variables added).
    targeting
        The :class:`~mpi.identification.evaluate_result.TargetingResult` by the same groups,
        or None.

    Returns
    -------
    xarray.Dataset
    """
    n = int(np.prod(shape))
    counts = _counts(poor, kept, w, code, n)
    dims = tuple(groups)
    ds = xr.Dataset(coords={g: lab for g, lab in zip(groups, labels, strict=True)})
    for name in AREA_COUNTS + (POPULATION if weighted else ()):
        ds[name] = (dims, counts[name].reshape(shape))
        ds[name].attrs.update(_attrs(name))
    if targeting is not None:
        tr = targeting.to_dataset()
        agree = tr["listed_poor"] + tr["unlisted_nonpoor"]
        total = agree + tr["listed_nonpoor"] + tr["unlisted_poor"]
        parts = {
            "inclusion_error": tr["inclusion_error"],
            "exclusion_error": tr["exclusion_error"],
            "agreement": xr.DataArray(ratio(agree.values, total.values), coords=agree.coords),
        }
        for name, da in parts.items():
            ds[name] = da.reindex_like(ds).transpose(*dims)
            ds[name].attrs = _attrs(name)
    return ds


class PoorAreasResult(ResultBase):
    """Poor areas (:func:`mpi.poor_areas`): the status of every area, the counts and the
    population living in poor areas, by group, and the comparison with an official list.

    :meth:`to_dataset` has the dim ``unit`` (coordinate: the area ids) with ``poor``
    (bool), ``index`` (the composite index; ``score``, the deprivation score, on the AF way),
    ``rank`` (1 = the poorest: the lowest index or the highest score; ties share the lowest
    rank; NaN for a dropped area), ``dropped`` (bool), ``weight`` (with a weight) and
    ``official`` (1, 0 or NaN, with an official list); the scalars ``n_areas``, ``n_poor``,
    ``share_poor`` and, with a weight, ``population``, ``population_poor`` and
    ``population_share_poor``; with an official list ``inclusion_error``,
    ``exclusion_error`` and ``agreement``; on the AF way ``M0``, ``H`` and ``A``. The
    attributes hold the method (``"cutoff"``, ``"count"`` or ``"af"``) and its ``cutoff``,
    ``count`` (with ``boundary`` and ``n_tied_added``) or ``k``, and the counts
    (``n_units``, ``n_dropped``, ``n_dropped_value``, ``n_dropped_weight``,
    ``n_missing_group``).

    The areas are a population, not a sample: the result has no standard errors.

    Parameters
    ----------
    data
        The Dataset described above (kept, not copied).
    ids
        The area ids, the index of :meth:`to_frame`.
    grouped
        The counts by group (:meth:`by_group`), or None without ``by``.
    measure
        The :class:`~mpi.measurement.result.MeasureResult` of the AF way, or None.
    targeting
        The :class:`~mpi.identification.evaluate_result.TargetingResult` of the comparison
        with the official list, or None.
    """

    title = "Poor areas"
    call = "mpi.poor_areas"

    def __init__(
        self,
        data: xr.Dataset,
        *,
        ids: pd.Index,
        grouped: xr.Dataset | None,
        measure: Any = None,
        targeting: Any = None,
    ) -> None:
        self._ds = data
        self._ids = ids
        self._groups = grouped
        #: :func:`mpi.measure` on the area indicators with the population weight (the AF
        #: way; ``None`` on a composite index): M0, H, A by group and by indicator.
        self.measure = measure
        #: :func:`mpi.targeting` of the official list against the identified poor areas
        #: (``None`` without ``official``): inclusion and exclusion errors by group.
        self.targeting = targeting

    def _data(self) -> xr.Dataset:
        return self._ds

    def __getitem__(self, name: str) -> xr.DataArray:
        """One variable of the result (``res["poor"]``), a copy."""
        return self._ds[name].copy(deep=True)

    @property
    def method(self) -> str:
        """``"cutoff"``, ``"count"`` or ``"af"``."""
        return str(self._ds.attrs["method"])

    @property
    def value_name(self) -> str:
        """``"index"`` (composite index) or ``"score"`` (the AF way's deprivation score)."""
        return "score" if "score" in self._ds else "index"

    @property
    def poor_ids(self) -> pd.Index:
        """The ids of the poor areas, poorest first (by rank, then in data order)."""
        poor = self._ds["poor"].to_numpy()
        rank = self._ds["rank"].to_numpy()[poor]
        order = np.argsort(rank, kind="stable")
        return self._ids[poor][order]

    # -- tables -----------------------------------------------------------------------------
    def _unit_names(self) -> list[str]:
        return [n for n in ("poor", self.value_name, "rank", "dropped", "weight", "official")
                if n in self._ds]  # fmt: skip

    def _frame_variables(self) -> list[str]:
        return ["poor", self.value_name, "rank"]

    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """One row per area, indexed by the area ids (``data.join(result.to_frame())``).

        Parameters
        ----------
        variables
            Columns from ``poor``, ``index`` (or ``score``), ``rank``, ``dropped``,
            ``weight`` and ``official`` (when given). Default: ``poor``, ``index`` (or
            ``score``) and ``rank``.
        level
            Unused (the areas are a population: no sampling error); kept for the common
            interface.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ValidationError
            For a column that the result does not have.
        """
        available = self._unit_names()
        if variables is None:
            names = self._frame_variables()
        elif isinstance(variables, str):
            names = [variables]
        else:
            names = [str(v) for v in variables]
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ValidationError(
                f"variables: {unknown} are not columns of the result; available: "
                f"{', '.join(available)}"
            )
        cols = {name: self._ds[name].to_numpy().copy() for name in names}
        return pd.DataFrame(cols, index=self._ids.copy())

    def _grouped(self) -> xr.Dataset | None:
        return self._groups

    def _title(self, lang: str) -> str:
        return text("areas.title", lang)

    def _method_text(self, lang: str) -> str:
        a = self._ds.attrs
        if a["method"] == "cutoff":
            return text("areas.value.cutoff", lang, cutoff=a["cutoff"])
        if a["method"] == "count":
            return text("areas.value.count", lang, count=a["count"])
        return text("areas.value.af", lang, n=a["n_indicators"], k=a["k"])

    def _rate_text(self, name: str, lang: str) -> str:
        value = float(self._ds[name])
        if np.isnan(value):
            return text("areas.value.undefined", lang)
        return text("areas.value.rate", lang, rate=value)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        ds, a = self._ds, self._ds.attrs
        if a["method"] == "af":
            what = (text("areas.header.spec", lang), str(a["spec"]))
        else:
            key = (
                "areas.value.composite" if a["index_kind"] == "composite" else "areas.value.column"
            )
            what = (text("areas.header.index", lang), text(key, lang, name=a["index"]))
        weight = a["weight"] or text("areas.value.none", lang)
        n_areas = int(ds["n_areas"])
        out = [
            (text("areas.header.method", lang), self._method_text(lang)),
            what,
            (text("areas.header.weight", lang), weight),
            (text("areas.header.areas", lang), f"{a['n_units']:,}"),
            (
                text("areas.header.dropped", lang),
                text(
                    "areas.value.dropped",
                    lang,
                    n=a["n_dropped"],
                    value=a["n_dropped_value"],
                    weight=a["n_dropped_weight"],
                ),
            ),  # fmt: skip
            (
                text("areas.header.poor", lang),
                text(
                    "areas.value.of",
                    lang,
                    n=int(ds["n_poor"]),
                    total=n_areas,
                    share=float(ds["share_poor"]),
                ),
            ),  # fmt: skip
        ]
        if "population" in ds:
            out.append((
                text("areas.header.population_poor", lang),
                text("areas.value.population", lang, n=float(ds["population_poor"]),
                     total=float(ds["population"]), share=float(ds["population_share_poor"])),
            ))  # fmt: skip
        if "M0" in ds:
            values = {n: float(ds[n]) for n in ("M0", "H", "A")}
            out.append((text("areas.header.measures", lang),
                        text("areas.value.measures", lang, **values)))  # fmt: skip
        if a["by"]:
            n_groups = (
                int(np.prod(list(self._groups.sizes.values()))) if self._groups is not None else 0
            )
            out.append((
                text("areas.header.groups", lang),
                text("areas.value.groups", lang, names=a["by"], n=n_groups,
                     missing=a["n_missing_group"]),
            ))  # fmt: skip
        if "official" in a:
            out.append((text("areas.header.official", lang), str(a["official"])))
            out += [(text(f"areas.header.{n}", lang), self._rate_text(n, lang)) for n in RATES]
        return out

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        out: list[tuple[str, pd.DataFrame]] = []
        if self._groups is not None:
            frame = self._groups.to_dataframe().iloc[:MAX_GROUPS]
            out.append((text("areas.table.groups", lang), label_table(frame, lang)))
        ids = self.poor_ids[:SHOWN]
        if len(ids):
            frame = self.to_frame([self.value_name, "rank"]).loc[ids]
            title = text("areas.table.poorest", lang, n=len(ids))
            out.append((title, label_table(frame, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        a = self._ds.attrs
        if a["method"] == "cutoff":
            notes = [text("areas.note.cutoff", lang)]
        elif a["method"] == "count":
            notes = [text("areas.note.count", lang, boundary=a["boundary"],
                          n_poor=int(self._ds["n_poor"]), count=a["count"])]  # fmt: skip
        else:
            notes = [text("areas.note.af", lang)]
        if a["n_dropped"]:
            notes.append(text("areas.note.dropped", lang))
        n_groups = (
            int(np.prod(list(self._groups.sizes.values()))) if self._groups is not None else 0
        )
        if n_groups > MAX_GROUPS:
            notes.append(text("areas.note.groups_shown", lang, shown=MAX_GROUPS, n=n_groups))
        if "official" in a:
            if a["weight"]:
                notes.append(text("areas.note.official", lang, weight=a["weight"]))
            else:
                notes.append(text("areas.note.official_unweighted", lang))
            if a["n_no_official"]:
                notes.append(text("areas.note.official_missing", lang, n=a["n_no_official"]))
        return notes

    def __repr__(self) -> str:
        ds, a = self._ds, self._ds.attrs
        rule = {"cutoff": f"cutoff={a.get('cutoff')}", "count": f"count={a.get('count')}",
                "af": f"k={a.get('k')}"}[a["method"]]  # fmt: skip
        return (
            f"<PoorAreasResult method={a['method']!r} {rule} index={a['index']!r} "
            f"areas={int(ds['n_areas']):,} poor={int(ds['n_poor']):,} "
            f"({float(ds['share_poor']):.1%}) dropped={a['n_dropped']:,}>"
        )

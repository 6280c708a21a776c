"""The result of :func:`mpi.screening.features.features`: :class:`ScreeningFeatures`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError
from mpi.screening.features_catalogue import FEATURES, MEALS, Feature

__all__ = ["ScreeningFeatures", "COUNTS"]

#: Scalar counts of :meth:`ScreeningFeatures.to_dataset`, in summary order.
COUNTS = (
    "n_input", "n_used", "n_duplicates", "n_outside_term", "n_not_in_students",
    "n_ignored_kind", "n_students", "n_no_transactions",
)  # fmt: skip
_ROWS = ("no_transactions", "n_transactions", "active_days", "span_days")
_PER_MEAL = ("n_off_hours", "cheap_cutoff")
_CATALOGUE = {f.name: f for f in FEATURES}


class ScreeningFeatures(ResultBase):
    """Screening features of every student (and month) (:func:`mpi.screening.features`).

    :meth:`to_frame` is the table of features: one float64 column per feature of
    :data:`~mpi.screening.features_catalogue.FEATURES` (background ones only when
    ``students`` had their columns), indexed by ``student_id`` (and ``period`` with
    ``period="month"``). :meth:`to_dataset` has the same features on the dim ``student_id``
    (and ``period``), the per-row ``no_transactions`` (bool), ``n_transactions``,
    ``active_days`` and ``span_days``, the counts of :data:`COUNTS` (scalars: transactions
    given, used, duplicates, outside the term, of ids not in ``students``, of ignored kinds;
    students, students without transactions) and per meal type (dim ``meal``) the meals off
    their opening hours ``n_off_hours`` and the cheap-price cutoff ``cheap_cutoff`` (also
    :attr:`cheap_cutoffs`, a dict to give to the chunks of a table: see
    :func:`mpi.screening.features`).

    Parameters
    ----------
    ds
        The Dataset described above (built by :meth:`from_arrays`).
    names
        The features of :meth:`to_frame`, in column order.
    """

    title = "Screening features"
    call = "mpi.screening.features"
    takes_groups = False

    def __init__(self, ds: xr.Dataset, names: Sequence[str]) -> None:
        self._ds = ds
        self._names = tuple(names)

    @classmethod
    def from_arrays(
        cls,
        student_ids: pd.Index,
        periods: Sequence[str] | None,
        values: Mapping[str, np.ndarray],
        *,
        rows: Mapping[str, np.ndarray],
        counts: Mapping[str, int],
        per_meal: Mapping[str, np.ndarray],
        settings: Mapping[str, Any],
    ) -> ScreeningFeatures:
        """Build the result from flat per-row arrays (rows: students x periods, C order).

        Parameters
        ----------
        student_ids
            The students, in row order.
        periods
            Month labels (``period="month"``), or None for one row per student.
        values
            Feature name -> float array of one value per row.
        rows
            Per-row variables (``no_transactions``, ``n_transactions``, ``active_days``,
            ``span_days``).
        counts
            The scalar counts of :data:`COUNTS`.
        per_meal
            ``n_off_hours`` and ``cheap_cutoff``, one value per meal type.
        settings
            The call's settings, kept as attributes (``id``, ``period``, ``start``, ``end``,
            ``duplicates``, ``holidays``; ``cheap_cutoffs``: ``"input"`` or ``"given"``;
            ``not_recorded``: the optional kinds the input does not record, comma-separated).

        Returns
        -------
        ScreeningFeatures
        """
        n = len(student_ids)
        coords: dict[str, Any] = {"student_id": student_ids.to_numpy()}
        dims: tuple[str, ...] = ("student_id",)
        shape: tuple[int, ...] = (n,)
        if periods is not None:
            coords["period"] = np.asarray(periods, object)
            dims, shape = ("student_id", "period"), (n, len(periods))
        coords["meal"] = list(MEALS)
        ds = xr.Dataset(coords=coords)
        names = [f.name for f in FEATURES if f.name in values]
        for name in names:
            f = _CATALOGUE[name]
            ds[name] = (dims, np.asarray(values[name], np.float64).reshape(shape))
            ds[name].attrs.update(
                long_name=text(f"feature.{name}", "en"), units=f.units, category=f.category,
                direction=f.direction, formula=f.description,
            )  # fmt: skip
        for name in _ROWS:
            ds[name] = (dims, np.asarray(rows[name]).reshape(shape))
            ds[name].attrs["long_name"] = text(f"screening_features.var.{name}", "en")
        for name in COUNTS:
            ds[name] = ((), int(counts[name]))
            ds[name].attrs["long_name"] = text(f"screening_features.var.{name}", "en")
        for name in _PER_MEAL:
            ds[name] = (("meal",), np.asarray(per_meal[name]))
            ds[name].attrs["long_name"] = text(f"screening_features.var.{name}", "en")
        ds.attrs.update({k: v for k, v in settings.items()})
        return cls(ds, names)

    # -- ResultBase hooks --------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._ds

    def _frame_variables(self) -> list[str]:
        return list(self._names)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        ds, a = self._ds, self._ds.attrs
        c = {k: int(ds[k]) for k in COUNTS}
        h = "screening_features.header"
        v = "screening_features.value"
        off = {m: int(x) for m, x in zip(MEALS, ds["n_off_hours"].values, strict=True)}
        return [
            (text(f"{h}.term", lang), text(f"{v}.term", lang, start=a["start"], end=a["end"])),
            (text(f"{h}.period", lang), text(f"{v}.period_{a['period']}", lang)),
            (text(f"{h}.students", lang),
             text(f"{v}.students", lang, n=c["n_students"], none=c["n_no_transactions"])),
            (text(f"{h}.transactions", lang),
             text(f"{v}.transactions", lang, n=c["n_input"], used=c["n_used"])),
            (text(f"{h}.duplicates", lang),
             text(f"{v}.duplicates_{a['duplicates']}", lang, n=c["n_duplicates"])),
            (text(f"{h}.outside_term", lang), f"{c['n_outside_term']:,}"),
            (text(f"{h}.not_in_students", lang), f"{c['n_not_in_students']:,}"),
            (text(f"{h}.ignored_kind", lang), f"{c['n_ignored_kind']:,}"),
            (text(f"{h}.off_hours", lang), text(f"{v}.off_hours", lang, **off)),
            (text(f"{h}.holidays", lang), f"{int(a['holidays']):,}"),
        ]  # fmt: skip

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        frame = self.to_frame()
        rows = []
        for name in self._names:
            f = _CATALOGUE[name]
            col = frame[name]
            rows.append({
                "feature": text(f"feature.{name}", lang),
                "category": text(f"screening_features.category.{f.category}", lang),
                "direction": f.direction,
                "mean": col.mean(),
                "median": col.median(),
                "missing": int(col.isna().sum()),
            })  # fmt: skip
        # the category is a row label (translated), so the table's values are the same numbers
        # in every language
        table = pd.DataFrame(rows).set_index(["category", "feature"])
        return [(text("screening_features.table.features", lang), label_table(table, lang))]

    def _notes(self, lang: str) -> list[str]:
        ds = self._ds
        cut = self.cheap_cutoffs
        given = ds.attrs.get("cheap_cutoffs") == "given"
        notes = [
            text("screening_features.note.rates", lang),
            text(f"screening_features.note.cheap{'_given' if given else ''}", lang, **cut),
            text("screening_features.note.topup", lang),
        ]
        missing = [k for k in str(ds.attrs.get("not_recorded", "")).split(", ") if k]
        if missing:
            sep = text("screening_features.separator", lang)
            kinds = sep.join(text(f"screening_features.kind.{k}", lang) for k in missing)
            notes.append(text("screening_features.note.not_recorded", lang, kinds=kinds))
        notes.append(text("screening_features.note.direction", lang))
        return notes

    # -- the table of features -----------------------------------------------------------------
    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """The features: one float64 column per feature, one row per student (and month).

        Parameters
        ----------
        variables
            Features to give (default: all, in catalogue order).
        level
            Unused (features have no sampling error); kept for the common interface.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``student_id`` (and ``period`` for monthly features).

        Raises
        ------
        ValidationError
            For a name that is not a feature of the result.
        """
        names = list(self._names) if variables is None else (
            [variables] if isinstance(variables, str) else [str(v) for v in variables]
        )  # fmt: skip
        unknown = [n for n in names if n not in self._names]
        if unknown:
            raise ValidationError(
                f"variables: {unknown} are not features of the result; available: "
                f"{', '.join(self._names)}"
            )
        ds = self._ds
        if "period" in ds.dims:
            index = pd.MultiIndex.from_product(
                [ds["student_id"].to_numpy(), ds["period"].to_numpy()],
                names=["student_id", "period"],
            )
        else:
            index = pd.Index(ds["student_id"].to_numpy(), name="student_id")
        return pd.DataFrame(
            {n: ds[n].to_numpy().reshape(-1).astype(np.float64) for n in names}, index=index
        )

    # -- conveniences ---------------------------------------------------------------------------
    @property
    def features(self) -> tuple[Feature, ...]:
        """The catalogue entries of the features of :meth:`to_frame`, in column order."""
        return tuple(_CATALOGUE[n] for n in self._names)

    @property
    def no_transactions(self) -> pd.Series:
        """True for the rows (students, or students and months) without any transaction."""
        flags = self._ds["no_transactions"].to_numpy().reshape(-1)
        return pd.Series(flags, index=self.to_frame([]).index, name="no_transactions")

    @property
    def cheap_cutoffs(self) -> dict[str, float]:
        """The cheap-price cutoff (yuan) of each meal type that the features used.

        Give it as ``cheap_cutoffs=`` to the chunks of a table (see
        :func:`mpi.screening.features`) so that they use the cutoffs of the whole table.
        """
        values = self._ds["cheap_cutoff"].values
        return {m: float(x) for m, x in zip(MEALS, values, strict=True)}

    @property
    def counts(self) -> dict[str, int]:
        """The counts of :data:`COUNTS` as a dict (what was given, used, left out)."""
        return {k: int(self._ds[k]) for k in COUNTS}

"""The report of :func:`mpi.merge_sources`: sources, coverage, duplicated keys, conflicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError

__all__ = ["MergeReport"]


@dataclass(repr=False)
class MergeReport(ResultBase):
    """What :func:`merge_sources` found: nothing is dropped without being counted here.

    A result like the estimators' (:class:`~mpi._common.result.ResultBase`): the counts are
    :meth:`to_dataset` (per source, per variable found in several sources, per wave) and
    :meth:`to_frame` (tidy), the tables below are attributes.

    Attributes
    ----------
    sources : pandas.DataFrame
        One row per source: ``kind`` (``"time"`` or ``"static"``), ``rows``, ``units``,
        ``records`` (rows kept), ``duplicated_keys``, ``rows_dropped``, ``only_here``
        (units found in no other source) and ``duplicates`` (the rule).
    coverage : pandas.DataFrame
        Units with a record per time-varying source (rows) and wave (columns); the last row
        ``"any"`` is the number of observed units per wave.
    duplicates : pandas.DataFrame
        One row per duplicated key: ``source``, ``unit``, ``time`` (NaN for static sources),
        ``rows``, ``rule`` and ``kept_index`` (the index label of the kept row).
    conflicts : pandas.DataFrame
        One row per conflicting key and variable: ``unit``, ``time``, ``variable``, ``rule``,
        the value of every source holding the variable (one column per source) and ``kept``.
    variables : pandas.DataFrame
        One row per variable found in two or more sources: ``sources``, ``rule``, ``rtol``,
        ``compared`` (keys with two or more values), ``differing`` (values not identical) and
        ``conflicts`` (differing beyond ``rtol``).
    only_in : dict of str to numpy.ndarray
        Ids of the units found in one source only, by source.
    units_by_n_sources : pandas.Series
        Number of units found in 1, 2, ... sources.
    """

    sources: pd.DataFrame
    coverage: pd.DataFrame
    duplicates: pd.DataFrame
    conflicts: pd.DataFrame
    variables: pd.DataFrame
    only_in: dict[str, np.ndarray] = field(default_factory=dict)
    units_by_n_sources: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64))
    n_units: int = 0
    n_times: int = 0

    @property
    def n_duplicated_keys(self) -> int:
        """Duplicated keys over all sources."""
        return len(self.duplicates)

    @property
    def n_conflicts(self) -> int:
        """Conflicting (key, variable) pairs over all variables."""
        return len(self.conflicts)

    @property
    def conflict_counts(self) -> pd.Series:
        """Conflicts per variable (variables found in two or more sources)."""
        return self.variables["conflicts"]

    title = "MergeReport"
    call = "mpi.merge_sources"

    # -- the result interface ----------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._dataset

    @cached_property
    def _dataset(self) -> xr.Dataset:
        src = self.sources
        counts = ["rows", "units", "records", "duplicated_keys", "rows_dropped", "only_here"]
        data: dict[str, Any] = {
            c: ("source", src[c].to_numpy(np.int64)) for c in counts if c in src
        }
        var = self.variables
        for c in ("compared", "differing", "conflicts"):
            data[c] = ("variable", var[c].to_numpy(np.int64))
        cov = self.coverage
        data["coverage"] = (("coverage_source", "time"), cov.to_numpy(np.int64))
        data["units_by_n_sources"] = ("n_sources", self.units_by_n_sources.to_numpy(np.int64))
        data["n_duplicated_keys"] = ((), self.n_duplicated_keys)
        data["n_conflicts"] = ((), self.n_conflicts)
        coords = {
            "source": [str(s) for s in src.index],
            "kind": ("source", src["kind"].astype(str).to_numpy()),
            "variable": [str(v) for v in var.index],
            "rule": ("variable", var["rule"].astype(str).to_numpy()),
            "coverage_source": [str(s) for s in cov.index],
            "time": cov.columns.to_numpy(),
            "n_sources": self.units_by_n_sources.index.to_numpy(),
        }
        attrs = {
            "title": "Counts of mpi.merge_sources: sources, duplicated keys, conflicts",
            "n_units": self.n_units,
            "n_times": self.n_times,
        }
        ds = xr.Dataset(data, coords=coords, attrs=attrs)
        for name, long_name in _LONG_NAMES.items():
            if name in ds:
                ds[name].attrs["long_name"] = long_name
        return ds

    def _header(self, lang: str) -> list[tuple[str, str]]:
        return [
            (text("result.header.sources", lang), ", ".join(map(str, self.sources.index))),
            (text("result.header.n_units", lang), f"{self.n_units:,}"),
            (text("result.header.n_waves", lang), f"{self.n_times:,}"),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        parts = [("sources", self.sources)]
        if len(self.variables):
            parts.append(("shared_variables", self.variables))
        if len(self.coverage):
            parts.append(("coverage", self.coverage))
        return [
            (text(f"result.table.{key}", lang), label_table(table, lang)) for key, table in parts
        ]

    def by_group(self) -> xr.Dataset:
        """Not available: a merge has no groups.

        Returns
        -------
        xarray.Dataset
            Never returns.

        Raises
        ------
        ValidationError
            Always; the counts per source, variable and wave are :meth:`to_dataset`.
        """
        raise ValidationError(
            f"the report of {self.call} has no groups (merging takes no by=), so by_group() is "
            "not available; the counts per source, variable and wave are in to_dataset() "
            "and to_frame()"
        )

    def _title(self, lang: str) -> str:
        return text(
            "result.title.MergeReport",
            lang,
            sources=len(self.sources),
            units=self.n_units,
            waves=self.n_times,
        )

    def _notes(self, lang: str) -> list[str]:
        counts = ", ".join(
            text("result.note.sources_count", lang, n=n, count=c)
            for n, c in self.units_by_n_sources.items()
        )
        return [
            "",
            text("result.note.duplicated_keys", lang, n=self.n_duplicated_keys),
            text("result.note.conflicts", lang, n=self.n_conflicts),
            text("result.note.units_by_sources", lang, counts=counts),
        ]

    def __repr__(self) -> str:
        return self.summary().text


_LONG_NAMES = {
    "rows": "rows of the source",
    "units": "units in the source",
    "records": "rows kept (duplicated keys resolved)",
    "duplicated_keys": "keys with more than one row in the source",
    "rows_dropped": "rows dropped by the duplicates rule",
    "only_here": "units found in no other source",
    "compared": "keys with values in two or more sources",
    "differing": "keys whose values are not identical",
    "conflicts": "keys whose values differ beyond rtol",
    "coverage": "units with a record per wave (last row 'any': observed units)",
    "units_by_n_sources": "units found in 1, 2, ... sources",
    "n_duplicated_keys": "duplicated keys over all sources",
    "n_conflicts": "conflicting (key, variable) pairs over all variables",
}

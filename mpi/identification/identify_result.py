"""The result of :func:`mpi.identification.identify.identify`: who is poor, unit by unit."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.chunked import is_lazy
from mpi._common.labels import measure_label, spec_text, text
from mpi._common.result import ResultBase, label_table
from mpi.errors import ValidationError

__all__ = ["IdentificationResult", "UNIT_VARIABLES", "unit_totals"]

#: Per-unit variables of :meth:`IdentificationResult.to_frame`, in order (then one
#: ``deprived_<indicator>`` column per indicator).
UNIT_VARIABLES = (
    "score",
    "score_numerator",
    "score_denominator",
    "poor",
    "vulnerable",
    "severe",
    "missing",
    "n_missing_indicators",
)


class IdentificationResult(ResultBase):
    """Unit-level Alkire-Foster identification (:func:`mpi.identification.identify.identify`).

    Attributes of :meth:`to_dataset` (dims ``unit`` or the ``unit=`` name, ``time`` for a
    panel, ``indicator``, and ``k`` when several cutoffs were given):

    ``score`` (float64), ``score_numerator`` and ``score_denominator`` (int64, the exact
    score; ``0/0`` and NaN for a dropped unit), ``poor``, ``vulnerable`` (``vulnerable <= c <
    k``) and ``severe`` (poor and ``c >= severe``), booleans per cutoff; ``deprived`` (bool,
    unit x indicator: the uncensored deprivations ``g_ij``), ``censored`` (``g_ij p_i``),
    ``missing`` (bool: dropped under the missing-value rule) and ``n_missing_indicators``
    (int16). A dropped unit is neither poor, vulnerable nor severe.

    Parameters
    ----------
    data
        The Dataset described above (kept, not copied).
    index
        The unit index for :meth:`to_frame` (the input's index or ids; a MultiIndex of
        unit and wave for a panel).
    k_dim
        Whether the call gave several cutoffs (a ``k`` dimension).
    totals
        The :func:`unit_totals` of ``data`` when they were computed already (a dask-backed
        result: block by block, without loading the per-unit arrays); default: computed from
        ``data`` when first needed.
    """

    title = "Unit-level identification"
    call = "mpi.identify"
    takes_groups = False

    def __init__(
        self,
        data: xr.Dataset,
        *,
        index: pd.Index,
        k_dim: bool,
        totals: xr.Dataset | None = None,
    ) -> None:
        self._ds = data
        self._index = index
        self._k_dim = k_dim
        self._totals = totals

    def _unit_totals(self) -> xr.Dataset:
        if self._totals is None:
            self._totals = unit_totals(self._ds)
        return self._totals

    @property
    def lazy(self) -> bool:
        """Whether the per-unit arrays are dask-backed (``identify`` on a dask Dataset):
        ``to_dataset()`` is lazy, ``summary()`` and ``shares()`` read only the totals
        computed at the call, and ``to_frame()`` computes."""
        return is_lazy(self._ds)

    def _data(self) -> xr.Dataset:
        return self._ds

    @property
    def k_dim(self) -> bool:
        """Whether the result has a ``k`` dimension (several cutoffs)."""
        return self._k_dim

    def __getitem__(self, name: str) -> xr.DataArray:
        """One variable of the result (``res["poor"]``)."""
        return self._ds[name]

    def _frame_variables(self) -> list[str]:
        return list(UNIT_VARIABLES)

    def to_frame(
        self,
        variables: Sequence[str] | None = None,
        *,
        level: float = 0.95,
        k: Any = None,
    ) -> pd.DataFrame:
        """One row per unit (per unit and wave for a panel), aligned with the input.

        Parameters
        ----------
        variables
            Columns to include (default: ``score``, ``score_numerator``,
            ``score_denominator``, ``poor``, ``vulnerable``, ``severe``, ``missing``,
            ``n_missing_indicators`` and one ``deprived_<indicator>`` column each).
        level
            Unused (identification has no sampling error); kept for the common interface.
        k
            With several cutoffs: the cutoff whose status columns to give (one row per
            unit). Default: all cutoffs, as a long table with ``k`` as the last index level.

        Returns
        -------
        pandas.DataFrame
            Indexed like the input (its index, or the ``unit=`` ids), so that
            ``data.join(result.to_frame())`` merges the status back.

        Notes
        -----
        On a lazy result (:attr:`lazy`: ``identify`` on a dask-backed Dataset) the frame is
        computed: a pandas DataFrame lives in memory, so select ``variables`` (and ``k``)
        first. The columns needed are computed together, in one pass over the blocks.
        For outputs bigger than memory keep :meth:`to_dataset` (lazy, chunked like the
        input) and write it block by block, e.g. ``res.to_dataset().to_zarr(path)``.
        """
        ds = self._ds
        if k is not None:
            if not self._k_dim:
                raise ValidationError(
                    f"k={k!r}: this result has one cutoff only; call to_frame() without k"
                )
            ks = ds["k"].values
            hit = np.flatnonzero(ks == float(_as_fraction(k)))
            if not hit.size:
                raise ValidationError(
                    f"k={k!r} is not a cutoff of this result ({ds.attrs['k']}); pass one of them"
                )
            ds = ds.isel(k=int(hit[0]))
        names = [str(v) for v in (variables or [*UNIT_VARIABLES, *self._deprived_names()])]
        if is_lazy(ds):  # one computation of the columns asked for, not one per column
            wanted = {"deprived" if n.startswith("deprived_") and n not in ds else n for n in names}
            ds = ds[[v for v in ds.data_vars if v in wanted]].compute()
        cols: dict[str, np.ndarray] = {}
        kdim = "k" in ds.dims
        n_k = ds.sizes["k"] if kdim else 1
        for name in names:
            if name.startswith("deprived_") and name not in ds:
                ind = name[len("deprived_") :]
                if ind not in ds["indicator"].values:
                    raise KeyError(f"{name!r}: no indicator {ind!r} in the result")
                da = ds["deprived"].sel(indicator=ind, drop=True)
            elif name in UNIT_VARIABLES:
                da = ds[name]
            else:
                raise KeyError(
                    f"{name!r} is not a column of the frame; available: "
                    f"{[*UNIT_VARIABLES, *self._deprived_names()]}"
                )
            order = [d for d in da.dims if d != "k"] + (["k"] if "k" in da.dims else [])
            values = np.asarray(da.transpose(*order).values).reshape(-1)
            cols[name] = values if "k" in da.dims or not kdim else np.repeat(values, n_k)
        if kdim:
            ks = ds["k"].values
            index = pd.MultiIndex.from_arrays(
                [
                    *[
                        np.repeat(self._index.get_level_values(i), n_k)
                        for i in range(self._index.nlevels)
                    ],
                    np.tile(ks, len(self._index)),
                ],
                names=[*self._index.names, "k"],
            )
        else:
            index = self._index
        return pd.DataFrame(cols, index=index)

    def _deprived_names(self) -> list[str]:
        return [f"deprived_{i}" for i in self._ds["indicator"].values]

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        spec = spec_text(a["spec"], self._ds.sizes["indicator"], a["n_dimensions"], lang)
        weight = a.get("weight") or text("result.value.none", lang)
        dropped = text(
            "result.value.dropped_rule",
            lang,
            n=int(self._unit_totals()["n_dropped"]),
            rule=a["missing"],
        )
        return [
            (text("result.header.spec", lang), spec),
            (text("common.k", lang), str(a["k"])),
            (text("result.header.sampling_weight", lang), str(weight)),
            (text("result.header.units", lang), f"{self._ds['missing'].shape[0]:,}"),
            *self._waves_line(lang),
            (text("result.header.units_dropped_missing", lang), dropped),
        ]

    def _waves_line(self, lang: str) -> list[tuple[str, str]]:
        time = self._ds.attrs.get("time_dim")
        if time is None:
            return []
        n = self._ds.sizes[time]
        return [
            (
                text("result.header.waves", lang),
                text("result.value.waves_along", lang, n=n, time=time),
            )
        ]

    def shares(self) -> xr.Dataset:
        """Weighted shares of the measured units (those not dropped): ``H`` (poor),
        ``vulnerable`` and ``severe``, per cutoff (and wave for a panel); these equal
        :func:`mpi.measure`'s.

        Returns
        -------
        xarray.Dataset
            ``H``, ``vulnerable``, ``severe`` (NaN where no unit was measured): the weighted
            sums of :func:`unit_totals` over the weight of the measured units.
        """
        sums = self._unit_totals()
        total = sums["weight"]
        return xr.Dataset(
            {name: sums[name] / total.where(total > 0) for name in ("poor", "vulnerable", "severe")}
        ).rename({"poor": "H"})

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        shares = self.shares()
        k_texts = str(self._ds.attrs["k"]).split(", ")
        if "k" not in shares.dims:  # one cutoff: a k dim of length 1 for the table
            shares = shares.expand_dims(k=[0.0])
        shares = shares.assign_coords(k=k_texts)
        table = shares.to_dataframe()[["H", "vulnerable", "severe"]]
        table = table.rename(
            columns={c: measure_label(c, lang, short=True) for c in ("H", "vulnerable", "severe")}
        )
        return [(text("result.table.headline_measures", lang), label_table(table, lang))]

    def __repr__(self) -> str:
        ds = self._ds
        sizes = ", ".join(f"{d}: {n}" for d, n in ds.sizes.items())
        totals = self._unit_totals()
        poor = totals["n_poor"].values
        n_poor = poor.tolist() if poor.ndim else int(poor)
        return (
            f"<IdentificationResult ({sizes}) spec={ds.attrs['spec']!r} k={ds.attrs['k']} "
            f"poor={n_poor} dropped={int(totals['n_dropped'])}>"
        )


def unit_totals(ds: xr.Dataset) -> xr.Dataset:
    """Additive totals of an identification Dataset (or of a block of its units).

    Parameters
    ----------
    ds
        The Dataset of an :class:`IdentificationResult` (all units, or a block of them).

    Returns
    -------
    xarray.Dataset
        Summed over the units (per cutoff, and per wave for a panel): ``poor``,
        ``vulnerable``, ``severe`` (sums of the sampling weights of those units; weight 1
        without a sampling weight), ``weight`` (of the units not dropped), ``n_poor`` (units,
        over every dimension but ``k``) and ``n_dropped``. The totals of disjoint blocks of
        units add up to the totals of their union.
    """
    w = ds["sampling_weight"] if "sampling_weight" in ds else xr.ones_like(ds["score"])
    w = w.where(~ds["missing"], 0.0)
    unit_dims = [d for d in ds["score"].dims if d != ds.attrs.get("time_dim")]
    out = {name: (ds[name] * w).sum(unit_dims) for name in ("poor", "vulnerable", "severe")}
    out["weight"] = w.sum(unit_dims)
    out["n_poor"] = ds["poor"].sum([d for d in ds["poor"].dims if d != "k"])
    out["n_dropped"] = ds["missing"].sum()
    return xr.Dataset(out)


def _as_fraction(value: Any) -> Fraction:
    """``value`` as an exact number for matching a ``k`` coordinate (``"1/3"`` -> 1/3)."""
    try:
        return Fraction(str(value)) if isinstance(value, str) else Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise ValidationError(
            f"k must be a number or a fraction such as '1/3'; got {value!r}"
        ) from None

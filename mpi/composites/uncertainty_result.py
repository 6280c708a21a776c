"""The result of :func:`mpi.composites.uncertainty.uncertainty`: rank distributions and Sobol
indices of a composite index over its construction choices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.composites.sobol import SobolIndices
from mpi.errors import ValidationError

__all__ = ["CompositeUncertaintyResult", "build_dataset", "UNIT_STATS", "SENSITIVITY"]

#: Per-unit columns of :meth:`CompositeUncertaintyResult.to_frame`.
UNIT_STATS = (
    "nominal_index",
    "nominal_rank",
    "mean_rank",
    "median_rank",
    "rank_q05",
    "rank_q95",
    "mean_abs_rank_shift",
)
#: Columns of :meth:`CompositeUncertaintyResult.sensitivity`.
SENSITIVITY = (
    "first_order",
    "first_order_lower",
    "first_order_upper",
    "total_order",
    "total_order_lower",
    "total_order_upper",
)
#: Rows of the summary's table of the units with the widest rank intervals.
WIDEST = 10
#: Variables holding each run's choices, by the key of the choices mapping.
_CHOICE_VARS = {
    "normalisation": ("normalisation_draws", ("run",)),
    "aggregation": ("aggregation_draws", ("run",)),
    "w": ("weight_draws", ("run", "indicator")),
    "W": ("dimension_weight_draws", ("run", "dimension")),
    "lo": ("lo_draws", ("run", "indicator")),
    "hi": ("hi_draws", ("run", "indicator")),
}


def _attrs(name: str) -> dict[str, str]:
    out = {"long_name": text(f"composite_uncertainty.var.{name}", "en")}
    if name not in ("block", "in_rank_stats", "normalisation_draws", "aggregation_draws"):
        out["units"] = "1"
    return out


def build_dataset(
    *,
    result: Any,
    factors: Sequence[Any],
    choices: dict[str, np.ndarray],
    ranks: np.ndarray,
    target: np.ndarray,
    nominal: np.ndarray,
    nominal_rank: np.ndarray,
    draws: int,
    sobol: bool,
    seed: int,
    sens: SobolIndices | None,
    unit_sens: SobolIndices | None,
) -> xr.Dataset:
    """The Dataset of a :class:`CompositeUncertaintyResult` from the runs.

    Parameters
    ----------
    result
        The :class:`~mpi.CompositeResult` analysed (unit ids, spec, plan).
    factors
        The factors (``name``, ``alternatives``, ``spread``) in design order.
    choices
        Each run's choices (see :func:`mpi.composites.uncertainty.choices_of`).
    ranks
        ``(runs, n)`` ranks of every run.
    target
        ``(runs,)`` mean absolute rank shift of every run.
    nominal, nominal_rank
        ``(n,)`` point index and its ranks.
    draws, sobol, seed
        The call's arguments.
    sens, unit_sens
        Sobol indices of ``target`` and of every unit's rank (None without ``sobol``).

    Returns
    -------
    xarray.Dataset
        Described in :class:`CompositeUncertaintyResult`.
    """
    plan = result.plan
    names = [f.name for f in factors]
    runs, n = ranks.shape
    stat_runs = 2 * draws if sobol else runs
    used = ranks[:stat_runs]
    block = np.full(runs, "MC", dtype=object)
    if sobol:
        block[:draws], block[draws : 2 * draws] = "A", "B"
        for i, name in enumerate(names):
            block[(2 + i) * draws : (3 + i) * draws] = f"AB:{name}"
    per_unit = {
        "nominal_index": nominal,
        "nominal_rank": nominal_rank,
        "mean_rank": used.mean(axis=0),
        "median_rank": np.median(used, axis=0),
        "rank_q05": np.quantile(used, 0.05, axis=0),
        "rank_q95": np.quantile(used, 0.95, axis=0),
        "mean_abs_rank_shift": np.abs(used - nominal_rank[None, :]).mean(axis=0),
    }
    data: dict[str, Any] = {k: ("unit", v) for k, v in per_unit.items()}
    data["rank_draws"] = (("run", "unit"), ranks)
    data["rank_shift"] = ("run", target)
    data["block"] = ("run", block.astype(str))
    data["in_rank_stats"] = ("run", np.arange(runs) < stat_runs)
    alts = {f.name: f.alternatives for f in factors if f.alternatives}
    for key, (var, dims) in _CHOICE_VARS.items():
        if key in choices:
            values = choices[key]
            if key in alts:
                values = np.asarray(alts[key], dtype=str)[values]
            data[var] = (dims, values)
    if sens is not None and unit_sens is not None:
        data["first_order"] = ("factor", sens.first)
        data["total_order"] = ("factor", sens.total)
        if sens.first_ci is not None and sens.total_ci is not None:
            data["first_order_lower"] = ("factor", sens.first_ci[0])
            data["first_order_upper"] = ("factor", sens.first_ci[1])
            data["total_order_lower"] = ("factor", sens.total_ci[0])
            data["total_order_upper"] = ("factor", sens.total_ci[1])
        data["unit_first_order"] = (("unit", "factor"), unit_sens.first.T)
        data["unit_total_order"] = (("unit", "factor"), unit_sens.total.T)
    ds = xr.Dataset(
        data,
        coords={
            "unit": np.asarray(result.index.index),
            "factor": names,
            "run": np.arange(runs),
            "indicator": list(plan.indicators),
            "dimension": list(plan.dimensions),
        },
    )
    for name in ds.data_vars:
        ds[name].attrs.update(_attrs(str(name)))
    spec = result.spec
    ds.attrs.update(
        {
            "title": text("composite_uncertainty.title", "en"),
            "Conventions": "CF-1.8",
            "spec": str(spec.name),
            "spec_title": str(spec.title),
            "source": "mpi.CompositeResult.uncertainty (Saltelli 2010 design; Jansen 1999)",
            "factors": ", ".join(names),
            "design": "saltelli" if sobol else "monte_carlo",
            "draws": int(draws),
            "runs": int(runs),
            "rank_stat_runs": int(stat_runs),
            "seed": int(seed),
            "n_bootstrap": int(sens.n_bootstrap) if sens is not None else 0,
            "confidence_level": float(sens.level) if sens is not None else float("nan"),
            "rank_shift_variance": float(sens.variance) if sens is not None else float("nan"),
        }
    )
    for f in factors:
        if f.alternatives:
            ds.attrs[f"{f.name}_alternatives"] = ", ".join(f.alternatives)
        else:
            ds.attrs[f"{f.name}_spread"] = float(f.spread)
    return ds


class CompositeUncertaintyResult(ResultBase):
    """Uncertainty and sensitivity of a composite index's ranks (:func:`uncertainty`).

    :meth:`to_dataset` has the dims ``unit``, ``factor``, ``run``, ``indicator`` and
    ``dimension``:

    * per unit: ``nominal_index``, ``nominal_rank`` (the spec's choices), ``mean_rank``,
      ``median_rank``, ``rank_q05``, ``rank_q95`` (numpy's linear quantiles) and
      ``mean_abs_rank_shift`` (mean of ``|rank_r - nominal_rank|``), over the runs with
      ``in_rank_stats`` (the ``2N`` runs of the matrices ``A`` and ``B`` of the Saltelli
      design, or every run of a plain Monte Carlo);
    * with ``sobol``: ``first_order`` and ``total_order`` (factor) of the mean absolute rank
      shift over the units (COINr's target), their bootstrap bounds ``*_lower``/``*_upper``,
      and ``unit_first_order``/``unit_total_order`` (unit x factor) of each unit's rank;
    * the runs: ``rank_draws`` (run x unit), ``rank_shift`` (run), ``block`` (``A``, ``B``,
      ``AB:<factor>`` or ``MC``), ``in_rank_stats`` and the choices drawn:
      ``normalisation_draws``, ``aggregation_draws`` (run), ``weight_draws`` (run x
      indicator), ``dimension_weight_draws`` (run x dimension), ``lo_draws``, ``hi_draws``
      (run x indicator), each present when its factor varied.

    Parameters
    ----------
    data
        The Dataset described above (kept, not copied).
    ids
        The unit ids, the index of :meth:`to_frame` (as in :meth:`mpi.CompositeResult.to_frame`,
        so ``table.join(u.to_frame())`` works); default: the ``unit`` coordinate.
    """

    title = "Uncertainty and sensitivity of the composite index ranks"
    call = "mpi.CompositeResult.uncertainty"
    takes_groups = False

    def __init__(self, data: xr.Dataset, ids: pd.Index | None = None) -> None:
        self._ds = data
        self._ids = pd.Index(data["unit"].to_numpy(), name="unit") if ids is None else ids

    def _data(self) -> xr.Dataset:
        return self._ds

    @property
    def factors(self) -> list[str]:
        """The factors that varied, in design order."""
        return [str(f) for f in self._ds["factor"].values]

    @property
    def rank_draws(self) -> np.ndarray:
        """Every run's ranks, ``(runs, units)`` (a copy)."""
        return self._ds["rank_draws"].to_numpy().copy()

    @property
    def choices(self) -> dict[str, np.ndarray]:
        """Every run's choices by variable name (``normalisation_draws`` ...), copies."""
        names = [v for v, _ in _CHOICE_VARS.values() if v in self._ds]
        return {n: self._ds[n].to_numpy().copy() for n in names}

    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """Per-unit rank statistics, one row per unit, indexed by the unit ids.

        Parameters
        ----------
        variables
            Columns among :data:`UNIT_STATS` (default: all of them).
        level
            Unused (the rank interval is the 5-95 % one); kept for the common interface.

        Returns
        -------
        pandas.DataFrame
            Indexed by the unit ids (those of :meth:`mpi.CompositeResult.to_frame`); columns
            ``nominal_index``, ``nominal_rank``, ``mean_rank``, ``median_rank``,
            ``rank_q05``, ``rank_q95``, ``mean_abs_rank_shift``.
        """
        names = list(UNIT_STATS) if variables is None else [str(v) for v in variables]
        unknown = [n for n in names if n not in UNIT_STATS]
        if unknown:
            raise ValidationError(
                f"variables: {unknown} are not columns of the rank statistics; available: "
                f"{', '.join(UNIT_STATS)}"
            )
        cols = {n: self._ds[n].to_numpy().copy() for n in names}
        return pd.DataFrame(cols, index=self._ids.copy())

    def sensitivity(self) -> pd.DataFrame:
        """Sobol indices of the mean absolute rank shift, one row per factor.

        Returns
        -------
        pandas.DataFrame
            Columns ``first_order``, ``total_order`` and, with a bootstrap, their lower and
            upper percentile bounds (:data:`SENSITIVITY` order).

        Raises
        ------
        ValidationError
            For a plain Monte Carlo run (``sobol=False``).
        """
        if "first_order" not in self._ds:
            raise ValidationError(
                "sensitivity(): this analysis ran without sobol; call "
                "uncertainty(..., sobol=True) for Sobol indices"
            )
        cols = [c for c in SENSITIVITY if c in self._ds]
        index = pd.Index(self.factors, name="factor")
        return pd.DataFrame({c: self._ds[c].to_numpy().copy() for c in cols}, index=index)

    def unit_sensitivity(self, order: str = "first") -> pd.DataFrame:
        """Sobol indices of every unit's rank, units x factors.

        Parameters
        ----------
        order
            ``"first"`` (first-order) or ``"total"``.

        Returns
        -------
        pandas.DataFrame
            Indexed by the unit ids; NaN for a unit whose rank never changed.
        """
        if order not in ("first", "total"):
            raise ValidationError(f"order: give 'first' or 'total'; got {order!r}")
        name = f"unit_{order}_order"
        if name not in self._ds:
            raise ValidationError(
                "unit_sensitivity(): this analysis ran without sobol; call "
                "uncertainty(..., sobol=True) for Sobol indices"
            )
        da = self._ds[name]
        return pd.DataFrame(
            da.to_numpy().copy(),
            index=self._ids.copy(),
            columns=pd.Index(self.factors, name="factor"),
        )

    # -- summary ----------------------------------------------------------------------------
    def _title(self, lang: str) -> str:
        return text("composite_uncertainty.title", lang)

    def _factor_text(self, lang: str) -> str:
        a = self._ds.attrs
        parts = []
        for f in self.factors:
            label = text(f"composite_uncertainty.factor.{f}", lang)
            if f"{f}_alternatives" in a:
                parts.append(
                    text(
                        "composite_uncertainty.value.alternatives",
                        lang,
                        factor=label,
                        alternatives=a[f"{f}_alternatives"],
                    )
                )
            else:
                parts.append(
                    text(
                        "composite_uncertainty.value.spread", lang, factor=label, x=a[f"{f}_spread"]
                    )
                )
        return "; ".join(parts)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        key = "composite_uncertainty"
        design = (
            text(f"{key}.value.design_saltelli", lang, n=a["draws"], runs=a["runs"], seed=a["seed"])
            if a["design"] == "saltelli"
            else text(f"{key}.value.design_mc", lang, runs=a["runs"], seed=a["seed"])
        )
        runs = text(
            f"{key}.value.rank_runs_{'ab' if a['design'] == 'saltelli' else 'all'}",
            lang,
            n=a["rank_stat_runs"],
        )
        kept = int(np.isfinite(self._ds["nominal_rank"].to_numpy()).sum())
        shift = float(
            self._ds["rank_shift"].to_numpy()[self._ds["in_rank_stats"].to_numpy()].mean()
        )
        spec = a["spec"] + (f": {a['spec_title']}" if a["spec_title"] else "")
        return [
            (text(f"{key}.header.spec", lang), spec),
            (text(f"{key}.header.units", lang), f"{kept:,}"),
            (text(f"{key}.header.factors", lang), self._factor_text(lang)),
            (text(f"{key}.header.design", lang), design),
            (text(f"{key}.header.rank_runs", lang), runs),
            (
                text(f"{key}.header.mean_shift", lang),
                text(f"{key}.value.mean_shift", lang, value=shift),
            ),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        out = []
        if "first_order" in self._ds:
            table = self.sensitivity()
            if "first_order_lower" in self._ds:
                title = text(
                    "composite_uncertainty.table.sensitivity",
                    lang,
                    level=self._ds.attrs["confidence_level"],
                )
            else:
                title = text("composite_uncertainty.table.sensitivity_plain", lang)
            out.append((title, label_table(table, lang)))
        frame = self.to_frame()
        frame = frame[frame["nominal_rank"].notna()]
        width = (frame["rank_q95"] - frame["rank_q05"]).to_numpy()
        order = np.lexsort((frame["nominal_rank"].to_numpy(), -width))[:WIDEST]
        widest = frame.iloc[order][
            ["nominal_rank", "median_rank", "rank_q05", "rank_q95", "mean_abs_rank_shift"]
        ]
        title = text("composite_uncertainty.table.widest", lang, n=len(widest))
        out.append((title, label_table(widest, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        key = "composite_uncertainty.note"
        notes = [text(f"{key}.ranks", lang)]
        notes.append(text(f"{key}.sobol" if "first_order" in self._ds else f"{key}.no_sobol", lang))
        factors = self.factors
        if any(f.endswith("weights") for f in factors):
            notes.append(text(f"{key}.weights", lang))
        if "goalposts" in factors:
            notes.append(text(f"{key}.goalposts", lang))
        return notes

    def __repr__(self) -> str:
        a = self._ds.attrs
        return (
            f"<CompositeUncertaintyResult spec={a['spec']!r} units={self._ds.sizes['unit']} "
            f"factors=[{a['factors']}] design={a['design']} runs={a['runs']}>"
        )

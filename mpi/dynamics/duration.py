r"""Duration-adjusted FGT poverty measures of an income variable on a panel (Foster 2009).

One numba kernel (:func:`mpi.kernels.chronic.duration_adjusted_stats`) runs over the units
with time inside and emits additive weighted sums per group cell; the measures are ratios
of those sums. The duration cutoff is decided on integers (:math:`m_i = \lceil \tau T_i
\rceil` with exact fractions), as in :func:`mpi.chronic`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from fractions import Fraction
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.labels import text
from mpi._common.panel_layout import (
    PanelLayout,
    check_balance,
    check_by_names,
    check_panel,
    flat_column,
    parallel_chunks,
    unit_groups,
    unit_weights,
)
from mpi._common.ratio import ratio
from mpi._common.table import Groups
from mpi._version import __version__
from mpi.dynamics._chronic_common import (
    GroupedResult,
    add_group_variables,
    annotate,
    duration_cutoff,
    min_observed_waves,
    require_units,
    split_groups,
    unit_counts,
)
from mpi.errors import DataError, ValidationError
from mpi.kernels import chronic as kch

__all__ = ["duration_adjusted", "DurationAdjustedResult"]

REF_FOSTER = (
    "Foster, J. E. (2009). A class of chronic poverty measures. In Addison, Hulme & Kanbur "
    "(eds.), Poverty Dynamics: Interdisciplinary Perspectives. Oxford University Press"
)


class DurationAdjustedResult(GroupedResult):
    """Result of :func:`duration_adjusted` (see its docstring for the variables)."""

    kind = "Duration-adjusted FGT poverty (Foster 2009)"
    headline = ("K", "H", "D", "G")
    call = "mpi.duration_adjusted"

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        rows = super()._header(lang)
        variable = text(
            "result.value.variable_line",
            lang,
            variable=a.get("variable"),
            line=a.get("line"),
            tau=a.get("tau"),
        )
        rows[0] = (text("result.header.variable", lang), variable)
        return rows

    def __repr__(self) -> str:
        a = self._ds.attrs
        k = self._ds["K"]
        vals = " ".join(
            f"K{float(al):g}={float(v):.4f}"
            for al, v in zip(k["alpha"].values, k.values, strict=True)
        )
        return (
            f"<mpi.DurationAdjustedResult variable={a.get('variable')!r} tau={a.get('tau')} "
            f"waves={a.get('n_waves')} {vals}>"
        )


def _poverty_line(line: Any, panel: xr.Dataset, layout: PanelLayout) -> tuple[np.ndarray, str]:
    T = layout.n_waves
    if isinstance(line, bool) or line is None:
        raise ValidationError(
            f"line must be a positive number, one value per wave or the name of a panel "
            f"variable along {layout.time_dim!r}; got {line!r}"
        )
    if isinstance(line, str):
        if line not in panel.variables:
            raise DataError(
                f"line={line!r} is not a variable of the panel; pass a number, an array with "
                f"one line per wave, or the name of a variable along {layout.time_dim!r}"
            )
        var = panel[line]
        if var.dims != (layout.time_dim,):
            raise DataError(
                f"poverty-line variable {line!r} has dims {var.dims}; it must vary along "
                f"({layout.time_dim!r},) only"
            )
        z = np.asarray(var.values, np.float64)
        text = line
    elif isinstance(line, Real):
        z = np.full(T, float(line))
        text = f"{float(line):g}"
    else:
        z = np.array(line, dtype=np.float64)
        if z.ndim != 1 or len(z) != T:
            raise ValidationError(
                f"line has shape {z.shape}; give one poverty line per wave ({T} values) or a scalar"
            )
        text = ", ".join(f"{v:g}" for v in z)
    if not (np.isfinite(z).all() and (z > 0).all()):
        raise ValidationError(
            f"poverty lines must be positive and finite; got {z.tolist()}. Gaps are "
            "normalised by the line, so a zero or negative line is undefined"
        )
    return z, text


def duration_adjusted(
    panel: xr.Dataset,
    variable: str,
    *,
    line: Any,
    tau: Any,
    alpha: float | Sequence[float] = (0, 1, 2),
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    balance: str = "balanced",
    min_waves: int | None = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> DurationAdjustedResult:
    r"""Duration-adjusted FGT measures of an income variable (Foster 2009).

    A wave is poor when :math:`\pi_{it} = 1[y_{it} < z_t]` (strict), with normalised gap
    :math:`\gamma_{it} = (z_t - y_{it})/z_t` capped to :math:`[0, 1]` (a negative income
    has gap 1) and :math:`\gamma^0 := \pi`. Unit :math:`i` is chronically poor when poor in
    at least :math:`\lceil \tau T_i \rceil` waves, :math:`\chi_i`; then

    .. math::

        K_\alpha(\tau) = E_s\Big[\frac{1}{T_i}\sum_t \gamma_{it}^\alpha \pi_{it}\chi_i\Big]
                       = H \cdot D \cdot G_\alpha,

    with :math:`H = E_s[\chi_i]`, :math:`D = E_s[\chi_i \delta_i]/H` and :math:`G_\alpha`
    the mean of :math:`\gamma^\alpha` over the poor waves of the chronically poor (each
    unit's waves weighted :math:`s_i/T_i`). :math:`K_0 = HD`; at :math:`\tau = 1/T` on a
    balanced panel :math:`K_\alpha = \frac{1}{T}\sum_t P_{\alpha,t}` (the mean per-wave FGT).

    Parameters
    ----------
    panel : xarray.Dataset
        Dims ``(unit, time)`` with ``variable`` over ``(unit, time)``; NaN = unobserved.
    variable : str
        Income or consumption (real terms). Infinite values are rejected.
    line : float, str or array
        Poverty line :math:`z_t > 0`: a scalar, the name of a panel variable along
        ``time`` (e.g. ``"poverty_line"``), or one value per wave.
    tau : Fraction, str or float
        Duration cutoff in ``(0, 1]`` (exact fraction; see :func:`chronic`).
    alpha : float or sequence of float
        FGT powers :math:`\alpha \ge 0` (default ``(0, 1, 2)``).
    weight, by, balance, min_waves, unit, time
        As in :func:`chronic`.

    Returns
    -------
    DurationAdjustedResult
        ``K`` and ``G`` along ``alpha``; scalars ``H`` and ``D``; along ``time``
        ``H_cross_section`` and ``FGT_cross_section`` (``alpha`` x ``time``) of the units
        used; with ``by``: ``K_by_group``, ``H_by_group``, ``D_by_group``, ``G_by_group``,
        ``n_used_by_group``, ``population_share``, ``group_contribution`` (along ``alpha``).

    References
    ----------
    Foster, J. E. (2009). A class of chronic poverty measures. In Addison, Hulme & Kanbur
    (eds.), Poverty Dynamics: Interdisciplinary Perspectives, OUP.
    """
    tau_f = duration_cutoff(tau)
    balance = check_balance(balance)
    alphas = _alphas(alpha)
    layout = check_panel(panel, unit=unit, time=time, min_waves=2)
    mw = min_observed_waves(balance, min_waves, layout.n_waves)
    z, line_text = _poverty_line(line, panel, layout)
    y = _incomes(panel, variable, layout)
    by_names, groups = unit_groups(panel, by, layout)
    check_by_names(by_names, ("alpha", "time", layout.time_dim), "duration_adjusted")
    sw = unit_weights(panel, weight, layout)
    if groups is None:
        cell = np.zeros(layout.n_units, np.int64)
        n_cells = 1
    else:
        cell = np.asarray(groups.codes, np.int64) - groups.offset
        n_cells = groups.n_cells
    ustat, tstat, count = kch.duration_adjusted_stats(
        y,
        z,
        sw,
        cell,
        n_cells,
        balance == "observed",
        mw,
        tau_f.numerator,
        tau_f.denominator,
        np.concatenate([[0.0], alphas]),
        parallel_chunks(layout.n_units),
    )
    counts = unit_counts(count)
    over = _measures(ustat.sum(0, keepdims=True))
    require_units(float(over["sw"][0]), counts, balance)
    ds = _dataset(over, tstat.sum(0), alphas, layout)
    if groups is not None:
        _add_groups(ds, _measures(ustat), over, count, groups)
    ds.attrs = _attrs(
        variable, line_text, tau_f, alphas, weight, by_names, layout, balance, mw, counts
    )
    ds = annotate(
        ds,
        {
            "K": "K_alpha = H * D * G_alpha; poor wave: income < line (strict)",
            "G": "normalised gap (z - y) / z capped to [0, 1]; gap^0 = 1 in poor waves",
        },
    )
    return DurationAdjustedResult(ds)


def _alphas(alpha: Any) -> np.ndarray:
    alphas = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    if alphas.ndim != 1 or alphas.size == 0 or not (np.isfinite(alphas) & (alphas >= 0)).all():
        raise ValidationError(f"alpha must be one or more finite numbers >= 0; got {alpha!r}")
    if len(np.unique(alphas)) != len(alphas):
        raise ValidationError(f"alpha repeats a value: {alpha!r}")
    return alphas


def _incomes(panel: xr.Dataset, variable: str, layout: PanelLayout) -> np.ndarray:
    """The income variable as float64 ``(unit, time)`` (NaN = unobserved), validated."""
    col = flat_column(panel, variable, layout, "income")
    if not (pd.api.types.is_numeric_dtype(col.dtype) and col.dtype.kind in "iuf"):
        raise DataError(f"income variable {variable!r} must be numeric; got dtype {col.dtype}")
    y = np.asarray(col.to_numpy(), np.float64).reshape(layout.n_units, layout.n_waves)
    if np.isinf(y).any():
        raise DataError(
            f"income variable {variable!r} holds infinite values; replace them by NaN "
            "(unobserved) or a finite value"
        )
    return y


def _measures(u: np.ndarray) -> dict[str, np.ndarray]:
    """Measures per cell (first axis) from the kernel's unit sums."""
    w, chi, dur = u[:, 0], u[:, 1], u[:, 2]
    gap = u[:, 4:]
    return {
        "sw": w,
        "gap": gap,
        "K": ratio(gap, w[:, None]),
        "H": ratio(chi, w),
        "D": ratio(dur, chi),
        "G": ratio(gap, dur[:, None]),
    }


def _dataset(
    over: dict[str, np.ndarray], tt: np.ndarray, alphas: np.ndarray, layout: PanelLayout
) -> xr.Dataset:
    """The overall measures and the per-wave cross sections (``tt``: sums by wave)."""
    ds = xr.Dataset(
        {
            "K": (("alpha",), over["K"][0]),
            "H": ((), float(over["H"][0])),
            "D": ((), float(over["D"][0])),
            "G": (("alpha",), over["G"][0]),
            "H_cross_section": (("time",), ratio(tt[:, 1], tt[:, 0])),
            "FGT_cross_section": (("alpha", "time"), ratio(tt[:, 2:].T, tt[None, :, 0])),
        },
        coords={"alpha": alphas, "time": layout.times},
    )
    if layout.time_dim != "time":
        ds = ds.rename({"time": layout.time_dim})
    return ds


def _add_groups(
    ds: xr.Dataset,
    cells: dict[str, np.ndarray],
    over: dict[str, np.ndarray],
    count: np.ndarray,
    groups: Groups,
) -> None:
    """Add the ``<name>_by_group`` variables, population shares and contributions."""
    total = float(over["sw"][0])
    grouped = {
        "K": (cells["K"], ["alpha"]),
        "H": (cells["H"], []),
        "D": (cells["D"], []),
        "G": (cells["G"], ["alpha"]),
        "n_used": (count[:, kch.C_USED], []),
        "population_share": (cells["sw"] / total, []),
        "group_contribution": (ratio(cells["gap"], over["gap"][0][None, :]), ["alpha"]),
    }
    add_group_variables(ds, grouped, lambda arr, dims: split_groups(groups, arr, dims))


def _attrs(
    variable: str,
    line_text: str,
    tau_f: Fraction,
    alphas: np.ndarray,
    weight: str | None,
    by_names: list[str],
    layout: PanelLayout,
    balance: str,
    mw: int,
    counts: dict[str, int],
) -> dict[str, Any]:
    return {
        "title": "Duration-adjusted FGT poverty measures (Foster 2009)",
        "institution": "",
        "source": f"xmpi {__version__}",
        "references": REF_FOSTER,
        "variable": str(variable),
        "line": line_text,
        "tau": fraction_text(tau_f),
        "min_poor_waves": (
            str(-(-tau_f.numerator * layout.n_waves // tau_f.denominator))
            if balance == "balanced"
            else "ceil(tau * T_i) per unit"
        ),
        "alpha": ", ".join(f"{a:g}" for a in alphas),
        "weight": weight or "none",
        "by": ", ".join(by_names) or "none",
        "unit_dim": str(layout.unit_dim),
        "time_dim": str(layout.time_dim),
        "n_units": layout.n_units,
        "n_waves": layout.n_waves,
        "waves": ", ".join(f"{v:g}" for v in layout.years),
        "balance": balance,
        "min_waves": mw,
        **counts,
    }

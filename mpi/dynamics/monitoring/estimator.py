"""The monitoring estimator :func:`monitoring`, written as named steps.

1. :func:`_check_arguments` and :func:`_monitored_waves`: the arguments and the waves from
   ``start``;
2. :func:`~mpi.dynamics.monitoring.inputs.read_inputs`: the panel variables the rules name;
3. :func:`~mpi.dynamics.monitoring.classify.classify`: the wave loop (identification,
   elimination, categories and reasons);
4. :func:`~mpi.dynamics.monitoring.counts.category_counts`: counts per wave, category and
   group;
5. :func:`_monitoring_dataset` and :func:`_monitoring_attrs`: the finished Dataset, from
   which the :class:`~mpi.MonitoringResult` is made.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.panel_layout import check_by_names, check_panel, unit_groups, unit_weights
from mpi._version import __version__
from mpi.dynamics.monitoring.categories import (
    CATEGORY_LABELS,
    CATEGORY_NAMES,
    REASONS,
    REFERENCES,
)
from mpi.dynamics.monitoring.classify import Classification, classify
from mpi.dynamics.monitoring.counts import category_counts, count_variables, group_variables
from mpi.dynamics.monitoring.inputs import MonitoringInputs, read_inputs
from mpi.dynamics.monitoring.result import MonitoringResult
from mpi.dynamics.monitoring.rules import MonitoringRules
from mpi.errors import DataError, ValidationError
from mpi.measurement.spec import Spec

__all__ = ["monitoring"]


def monitoring(
    panel: Any,
    rules: MonitoringRules,
    *,
    spec: Spec | None = None,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> MonitoringResult:
    """Relapse-prevention monitoring category of every unit-wave, with its reasons.

    Parameters
    ----------
    panel : xarray.Dataset
        Dims ``(unit, time)`` with calendar years as the ``time`` coordinate.
    rules : MonitoringRules
        The identification and elimination rules (lines, shares, variable names).
    spec : mpi.Spec, optional
        Indicators of 两不愁三保障 and safe water: a deprivation in any of
        ``rules.deprivations`` fires ``deprived`` and blocks elimination (elimination also
        needs them observed). Without a spec the rule is off.
    k : optional
        With a spec: ``deprived`` = AF-poor at cutoff ``k`` (all indicators) instead.
    weight : str, optional
        Fixed unit weight for the weighted counts (NaN: unit dropped from the counts).
    by : str or list of str, optional
        Unit groups for the group counts.
    unit, time : str
        Dimension names.

    Returns
    -------
    MonitoringResult

    Notes
    -----
    For unit :math:`i` and wave :math:`t \\ge` ``start`` with observed income, let
    :math:`C_{it}` (condition rules) and :math:`H_{it}` (hardship rules) be the rule
    disjunctions of :mod:`mpi.dynamics.monitoring`. A unit not monitored is identified when
    :math:`C_{it} \\lor H_{it}`, as ``unstable_exited`` if :math:`C_{it}` and it exited,
    ``edge`` if :math:`C_{it}` and it never exited, ``sudden_hardship`` otherwise. A monitored
    unit is eliminated when :math:`\\lnot(C \\lor H)` held (with observed income and
    indicators) in each of the last ``stable_waves`` waves after its identification and it
    has labour capacity (when ``no_labour_never_eliminated``).

    References
    ----------
    中央农村工作领导小组 (2021). 关于健全防止返贫动态监测和帮扶机制的指导意见
    (中农组发〔2021〕7号): the three monitored categories (脱贫不稳定户, 边缘易致贫户,
    突发严重困难户), the monitoring range and the conditions for marking a risk eliminated.
    国务院扶贫开发领导小组 (2020). 关于建立防止返贫监测和帮扶机制的指导意见.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")
    >>> rules = mpi.MonitoringRules(line="monitoring_line", income="income_per_capita",
    ...     start=2020, exited="poverty_status", exited_values=("exited",),
    ...     labour="labour_capacity")
    >>> res = mpi.monitoring(panel, rules, weight="weight")
    >>> res["share"].sel(time=2020).to_pandas()  # doctest: +SKIP
    """
    _check_arguments(rules, spec, k)
    lay = check_panel(panel, unit=unit, time=time, min_waves=1)
    if lay.n_units == 0:
        raise DataError("panel has no units; nothing to monitor")
    need = _monitored_waves(lay.years, rules.start)
    inputs = read_inputs(panel, rules, lay, need, spec=spec, k=k, unit=unit, time=time)
    sw = unit_weights(panel, weight, lay)
    by_names, groups = unit_groups(panel, by, lay)
    check_by_names(
        by_names, [unit, time, "category_name", "from_category", "to_category"], "monitoring"
    )
    classes = classify(inputs, rules, need)
    counts = category_counts(classes.category, sw, groups)
    ds = _monitoring_dataset(panel, lay, inputs, classes, rules, unit=unit, time=time)
    for name, variable in count_variables(counts, time).items():
        ds[name] = variable
    if groups is not None:
        for name, da in group_variables(counts, groups, time).items():
            ds[name] = da
    ds.attrs = _monitoring_attrs(
        lay, rules, spec, k, weight=weight, by_names=by_names, used=counts.used
    )
    return MonitoringResult(ds, rules)


def _check_arguments(rules: Any, spec: Any, k: Any) -> None:
    """The rules are MonitoringRules; ``spec`` a Spec or None; ``k`` only with a spec."""
    if not isinstance(rules, MonitoringRules):
        raise ValidationError(
            f"rules must be an mpi.MonitoringRules; got {type(rules).__name__}. Build one with "
            "mpi.MonitoringRules(line=..., income=...)"
        )
    if spec is not None and not isinstance(spec, Spec):
        raise ValidationError(f"spec must be an mpi.Spec or None; got {type(spec).__name__}")
    if k is not None and spec is None:
        raise ValidationError("k needs a spec (deprived = AF-poor at k); pass spec=...")


def _monitored_waves(years: np.ndarray, start: float | None) -> np.ndarray:
    """The waves from ``start`` on (all without ``start``); at least one."""
    need = np.ones(len(years), bool) if start is None else years >= start
    if not need.any():
        raise ValidationError(
            f"start={start:g} is after the last wave ({years[-1]:g}); nothing to monitor"
        )
    return need


def _monitoring_dataset(
    panel: xr.Dataset,
    lay: Any,
    inputs: MonitoringInputs,
    classes: Classification,
    rules: MonitoringRules,
    *,
    unit: Hashable,
    time: Hashable,
) -> xr.Dataset:
    """The unit-wave variables: category, reasons, episode flags, line, no labour."""
    ud = (unit, time)
    cat_attrs = {
        "long_name": "relapse-prevention monitoring category (防止返贫监测对象类型)",
        "flag_values": np.arange(-1, 5, dtype=np.int8),
        "flag_meanings": " ".join(CATEGORY_NAMES),
        "flag_meanings_zh": " ".join(CATEGORY_LABELS["zh"]),
    }
    no_labour = (
        inputs.no_labour.any(axis=1) if rules.labour is not None else np.zeros(lay.n_units, bool)
    )
    line_attrs = {
        "long_name": "monitoring line (监测范围) of the unit-wave",
        "units": "same as income",
    }
    data: dict[str, Any] = {
        "category": (ud, classes.category, cat_attrs),
        **{
            r: (ud, classes.flags[r], {"long_name": en, "long_name_zh": zh, "units": "1"})
            for r, (en, zh) in REASONS.items()
        },
        "monitored": (
            ud,
            classes.monitored,
            {"long_name": "in a monitoring episode after this wave", "units": "1"},
        ),
        "identified": (
            ud,
            classes.identified,
            {"long_name": "identified (a new episode) this wave", "units": "1"},
        ),
        "eliminated": (
            ud,
            classes.eliminated,
            {"long_name": "marked risk-eliminated this wave", "units": "1"},
        ),
        "line": (ud, np.ascontiguousarray(inputs.line), line_attrs),
        "no_labour": (
            (unit,),
            no_labour,
            {"long_name": "no labour capacity in some wave", "units": "1"},
        ),
    }
    coords: dict[str, Any] = {
        unit: panel[unit].values if unit in panel.coords else np.arange(lay.n_units),
        time: lay.times,
        "category_name": list(CATEGORY_NAMES),
        "from_category": list(CATEGORY_NAMES),
        "to_category": list(CATEGORY_NAMES),
    }
    return xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords)


def _monitoring_attrs(
    lay: Any,
    rules: MonitoringRules,
    spec: Spec | None,
    k: Any,
    *,
    weight: str | None,
    by_names: Sequence[str],
    used: np.ndarray,
) -> dict[str, Any]:
    """Dataset attributes: the call (rules as JSON, spec, start, weight, groups), the panel."""
    return {
        "title": "relapse-prevention monitoring categories",
        "institution": "",
        "source": f"xmpi {__version__}",
        "references": "\n".join(REFERENCES),
        "rules": json.dumps(rules.to_dict(), default=str, ensure_ascii=False),
        "spec": "none" if spec is None else (spec.name or "custom"),
        "k": "any deprivation" if k is None else fraction_text(spec.cutoff_fraction(k)),  # type: ignore[union-attr]
        "start": "first wave" if rules.start is None else f"{rules.start:g}",
        "weight": weight or "none",
        "by": ", ".join(by_names) or "none",
        "unit_dim": str(lay.unit_dim),
        "time_dim": str(lay.time_dim),
        "n_units": lay.n_units,
        "n_waves": lay.n_waves,
        "waves": ", ".join(f"{y:g}" for y in lay.years),
        "balance": "observed",
        "n_used": int(used.sum()),
        "n_dropped": int((~used).sum()),
    }

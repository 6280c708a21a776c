"""Relapse-prevention monitoring categories (防止返贫动态监测, methods.md §4.3–§4.5).

China's post-2020 mechanism monitors three kinds of households (三类监测对象) and marks them
risk-eliminated (标注风险消除) once their situation is stable. :func:`monitoring` assigns
every unit-wave of a panel one category,

=====  ====================  ==================  ==============================================
code   category              中文                meaning
=====  ====================  ==================  ==============================================
-1     ``unobserved``        无数据              income missing in a monitored wave (state kept)
0      ``not_monitored``     非监测对象          never identified, or a wave before ``start``
1      ``unstable_exited``   脱贫不稳定户        exited the poverty registry, identified again
2      ``edge``              边缘易致贫户        never exited (ordinary household), identified
3      ``sudden_hardship``   突发严重困难户      identified by a hardship rule only
4      ``risk_eliminated``   风险消除            identified before, since eliminated
=====  ====================  ==================  ==============================================

plus one boolean per identification rule (the *reasons*). Every threshold is a parameter of
:class:`MonitoringRules`; no line or share is built in. The rules (for a unit-wave with
observed income :math:`y_{it}`, line :math:`z_{it}` of its region and year):

* ``below_line``: :math:`y_{it} < z_{it}` (收入低于监测范围);
* ``near_line``: :math:`z_{it} \\le y_{it} < (1 + m) z_{it}` with ``margin`` :math:`m > 0`
  (收入不稳定, just above the range);
* ``deprived``: with a ``spec``, any selected indicator deprived (两不愁三保障及饮水安全未巩固),
  or, with ``k``, AF-poor at cutoff ``k``;
* ``expenditure``: rigid expenditure :math:`e_{it} > s_e\\, b_{it}` (刚性支出明显超过收入),
  with :math:`b_{it}` the previous wave's income (``income_base="previous"``, the current
  income when the previous one is missing) or the current income;
* ``disaster_loss``: loss :math:`l_{it} > s_l\\, b_{it}`;
* ``hardship_event``: any 0/1 event variable set (e.g. a department's large-medical flag);
* ``income_drop``: :math:`y_{it} < (1 - d)\\, y_{i,t-1}` (收入骤减).

The first three are *income/condition* rules, the last four *hardship* rules.

**Identification and precedence.** A unit not monitored is identified at the first wave a
rule fires. Its category is ``unstable_exited`` when an income/condition rule fires and the
unit has exited the registry at or before that wave (the ``exited`` flag, carried forward
once set), ``edge`` when an income/condition rule fires for a unit that never exited, and
``sudden_hardship`` when only hardship rules fire ("possibly above the monitoring range",
§4.4). The category is kept for the whole monitoring episode; the reason flags show which
rules fire in each wave (so a ``sudden_hardship`` unit may later be ``below_line``).

**Elimination.** A monitored unit is eliminated at wave :math:`t` when, in each of the last
``stable_waves`` waves (all after its identification wave), its income was observed and no
rule fired (income at or above the line and outside the margin, no hardship, no deprivation,
the selected indicators observed). Units with no labour capacity are never eliminated when
``no_labour_never_eliminated``. An eliminated unit is ``risk_eliminated`` until a rule fires
again (a new episode). A wave with missing income breaks the stable run.

The implementation is vectorised over units with a loop over waves (numpy); the counts per
wave, category and group are additive over units.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.panel_layout import (
    check_by_names,
    check_panel,
    static_column,
    unit_groups,
    unit_weights,
)
from mpi._version import __version__
from mpi.dynamics.result import DynamicsResult
from mpi.dynamics.states import panel_states
from mpi.errors import DataError, ValidationError
from mpi.measurement.spec import Spec

__all__ = [
    "monitoring",
    "MonitoringRules",
    "MonitoringResult",
    "CATEGORY_CODES",
    "CATEGORY_LABELS",
    "REASONS",
]

UNOBSERVED, NOT_MONITORED, UNSTABLE_EXITED, EDGE, SUDDEN_HARDSHIP, RISK_ELIMINATED = range(-1, 5)

#: category name -> code of the ``category`` variable.
CATEGORY_CODES: dict[str, int] = {
    "unobserved": UNOBSERVED,
    "not_monitored": NOT_MONITORED,
    "unstable_exited": UNSTABLE_EXITED,
    "edge": EDGE,
    "sudden_hardship": SUDDEN_HARDSHIP,
    "risk_eliminated": RISK_ELIMINATED,
}
_NAMES = tuple(CATEGORY_CODES)
#: Labels of the categories (in code order -1 .. 4).
CATEGORY_LABELS: dict[str, tuple[str, ...]] = {
    "en": _NAMES,
    "zh": ("无数据", "非监测对象", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户", "风险消除"),
}
#: Reason variables (identification rules): name -> (English, Chinese) description.
REASONS: dict[str, tuple[str, str]] = {
    "below_line": ("income below the monitoring line", "收入低于监测范围"),
    "near_line": ("income just above the line (within the margin)", "收入略高于监测范围、不稳定"),
    "deprived": (
        "two assurances, three guarantees or safe water not consolidated",
        "两不愁三保障及饮水安全未巩固",
    ),
    "expenditure": ("rigid expenditure above its share of income", "刚性支出明显超过收入"),
    "disaster_loss": ("disaster loss above its share of income", "灾害损失严重"),
    "hardship_event": ("hardship event reported", "突发严重困难事件"),
    "income_drop": ("income fell sharply", "收入大幅缩减"),
}
_CONDITION = ("below_line", "near_line", "deprived")
_HARDSHIP = ("expenditure", "disaster_loss", "hardship_event", "income_drop")

REFERENCES = (
    "国务院扶贫开发领导小组 (2020). 关于建立防止返贫监测和帮扶机制的指导意见 (国开发〔2020〕6号).",
    "中央农村工作领导小组 (2021). 关于健全防止返贫动态监测和帮扶机制的指导意见 (中农组发〔2021〕7号).",
    "xmpi methods.md §4.3-§4.5.",
)


# ------------------------------------------------------------------------------ rules
def _check_name(value: Any, argument: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{argument} must be the name of a panel variable (a non-empty string); got {value!r}"
        )
    return value


def _check_names(value: Any, argument: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = (value,)
    try:
        out = tuple(value)
    except TypeError:
        raise ValidationError(
            f"{argument} must be a variable name or a list of names; got {value!r}"
        ) from None
    for v in out:
        _check_name(v, f"{argument} entry", optional=False)
    if len(set(out)) != len(out):
        raise ValidationError(f"{argument} names a variable twice: {list(out)}")
    return out


def _check_number(
    value: Any, argument: str, *, low: float, low_open: bool, high: float | None = None, fix: str
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError(f"{argument} must be a number; got {value!r}. {fix}")
    x = float(value)
    bad = not math.isfinite(x) or (x <= low if low_open else x < low)
    bad = bad or (high is not None and x > high)
    if bad:
        rng = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high else "")
        raise ValidationError(f"{argument} must be finite and {rng}; got {value!r}. {fix}")
    return x


def _line_table(line: Any) -> pd.DataFrame:
    """Validate a monitoring-line table (columns year, line and optionally region)."""
    if isinstance(line, Mapping):
        line = pd.DataFrame({"year": list(line.keys()), "line": list(line.values())})
    df = pd.DataFrame(line).copy()
    cols = [str(c) for c in df.columns]
    missing = [c for c in ("year", "line") if c not in cols]
    extra = [c for c in cols if c not in ("year", "line", "region")]
    if missing or extra:
        raise ValidationError(
            f"line table must have the columns 'year', 'line' and optionally 'region'; got "
            f"{cols}. Rename the columns, e.g. table.rename(columns={{'county': 'region'}})"
        )
    df.columns = cols
    df = df[[c for c in ("region", "year", "line") if c in cols]].reset_index(drop=True)
    try:
        years = df["year"].to_numpy(np.float64)
        values = df["line"].to_numpy(np.float64)
    except (TypeError, ValueError):
        raise ValidationError(
            "line table: 'year' and 'line' must be numbers (calendar years, income per person)"
        ) from None
    if len(df) == 0:
        raise ValidationError("line table is empty; give at least one (year, line) row")
    if not np.isfinite(years).all():
        raise ValidationError("line table has missing years; every row needs its calendar year")
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        row = df[bad].iloc[0].to_dict()
        raise ValidationError(
            f"line table: every line must be a positive finite number; got the row {row}. "
            "Fill or drop that row"
        )
    df["year"], df["line"] = years, values
    keys = [c for c in ("region", "year") if c in df.columns]
    dup = df.duplicated(keys)
    if dup.any():
        raise ValidationError(
            f"line table repeats the key(s) {df.loc[dup, keys].head(3).to_dict('records')}; "
            "give one line per region and year"
        )
    if "region" in df.columns and df["region"].isna().any():
        raise ValidationError("line table has rows without a region; fill or drop them")
    return df


@dataclass(frozen=True, eq=False)
class MonitoringRules:
    """Identification and elimination rules of relapse-prevention monitoring (§4.4).

    Every threshold is a parameter; nothing is hard-coded. Variable names refer to the
    panel; time-varying ones have dims ``(unit, time)``, fixed ones ``(unit,)``.

    Parameters
    ----------
    line : float, str, pandas.DataFrame or dict
        The monitoring line (监测范围) in the units of ``income``: a number for all units
        and waves; the name of a panel variable along ``time`` (e.g. ``"monitoring_line"``),
        ``(unit,)`` or ``(unit, time)``; a table with columns ``year``, ``line`` and
        optionally ``region`` (then ``region`` names the unit variable it is keyed by); or
        a dict ``{year: line}``. A table must cover every wave from ``start`` on.
    income : str
        Per-capita income variable (e.g. ``"income_per_capita"``).
    region : str, optional
        Unit variable the table's ``region`` column refers to (e.g. ``"county"``).
    start : float, optional
        Calendar year of the first monitored wave (e.g. 2020); earlier waves are
        ``not_monitored`` and need no line. Default: the first wave.
    margin : float
        ``near_line`` fires for :math:`z \\le y < (1 + \\text{margin}) z`; 0 (default)
        switches the rule off.
    exited : str, optional
        Registry flag telling whether the unit has exited poverty registration (e.g.
        ``"poverty_status"`` with ``exited_values=("exited",)``, or ``"registered_poor"``
        after the last exits). Once set it is carried forward. ``None``: nobody exited
        (every identified unit is ``edge`` or ``sudden_hardship``).
    exited_values : tuple, optional
        Values of ``exited`` meaning "exited"; ``None``: the variable is 0/1 or boolean.
    deprivations : tuple of str, optional
        Indicator names of the ``spec`` given to :func:`monitoring` whose deprivation fires
        ``deprived`` (e.g. all of ``china_2b3g`` except ``"income"``); ``None``: all.
    expenditure : tuple of str
        Rigid-expenditure variables (medical out-of-pocket, schooling costs), summed.
    expenditure_share : float
        ``expenditure`` fires when the expenditure exceeds this share of the income base.
    loss, loss_share
        Disaster-loss variables and their share of the income base.
    events : tuple of str
        0/1 variables flagging a hardship event (e.g. a large medical spending flag).
    income_drop : float, optional
        ``income_drop`` fires when income falls below ``(1 - income_drop)`` times the
        previous wave's income; ``None`` (default) switches the rule off.
    income_base : {"previous", "current"}
        Income the shares refer to: the previous wave's (上年度收入, default; the current
        income when it is missing) or the current wave's.
    size : str, optional
        Household size; expenditure and losses are divided by it (household totals to per
        capita, to match a per-capita income).
    stable_waves : int
        Consecutive stable waves required for elimination (1 for annual data, 2 for
        semi-annual checks).
    labour, no_labour_values, no_labour_never_eliminated
        Labour-capacity variable, its values meaning "no labour capacity", and whether
        those units stay monitored (never eliminated; §4.4).

    Examples
    --------
    The bundled registry panel (``mpi.datasets.load("registry_panel", format="xarray")``):

    >>> rules = MonitoringRules(
    ...     line="monitoring_line", income="income_per_capita", start=2020,
    ...     exited="poverty_status", exited_values=("exited",), labour="labour_capacity",
    ...     deprivations=("food", "clothing", "compulsory_education", "basic_medical",
    ...                   "housing_safety", "drinking_water"))
    """

    line: Any
    income: str
    region: str | None = None
    start: float | None = None
    margin: float = 0.0
    exited: str | None = None
    exited_values: tuple | None = None
    deprivations: tuple[str, ...] | None = None
    expenditure: tuple[str, ...] = ()
    expenditure_share: float = 0.5
    loss: tuple[str, ...] = ()
    loss_share: float = 0.5
    events: tuple[str, ...] = ()
    income_drop: float | None = None
    income_base: str = "previous"
    size: str | None = None
    stable_waves: int = 1
    labour: str | None = None
    no_labour_values: tuple = ("none",)
    no_labour_never_eliminated: bool = True
    _table: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        s = object.__setattr__
        line = self.line
        if isinstance(line, pd.DataFrame | Mapping):
            table = _line_table(line)
            s(self, "_table", table)
            s(self, "line", table)
            if "region" in table.columns and self.region is None:
                raise ValidationError(
                    "line table has a 'region' column but region is None; pass region=<the "
                    "unit variable the table is keyed by>, e.g. region='county'"
                )
            if "region" not in table.columns and self.region is not None:
                raise ValidationError(
                    f"region={self.region!r} is given but the line table has no 'region' "
                    "column; add one or leave region out"
                )
        elif isinstance(line, str):
            _check_name(line, "line", optional=False)
        else:
            s(
                self,
                "line",
                _check_number(
                    line,
                    "line",
                    low=0,
                    low_open=True,
                    fix="Pass a positive number, a panel variable name or a table",
                ),
            )
        if not isinstance(line, pd.DataFrame | Mapping) and self.region is not None:
            raise ValidationError(
                f"region={self.region!r} needs a line table with a 'region' column; got "
                f"line={line!r}"
            )
        _check_name(self.income, "income", optional=False)
        for name in ("region", "exited", "size", "labour"):
            _check_name(getattr(self, name), name)
        for name in ("expenditure", "loss", "events"):
            s(self, name, _check_names(getattr(self, name), name))
        if self.deprivations is not None:
            s(self, "deprivations", _check_names(self.deprivations, "deprivations"))
            if not self.deprivations:
                raise ValidationError(
                    "deprivations is empty; name at least one indicator or pass None for all"
                )
        if self.start is not None:
            s(
                self,
                "start",
                _check_number(
                    self.start, "start", low=-math.inf, low_open=True, fix="Give a calendar year"
                ),
            )
        s(
            self,
            "margin",
            _check_number(
                self.margin, "margin", low=0, low_open=False, fix="Use 0 to switch the rule off"
            ),
        )
        for name in ("expenditure_share", "loss_share"):
            s(
                self,
                name,
                _check_number(
                    getattr(self, name),
                    name,
                    low=0,
                    low_open=True,
                    fix="A share of income, e.g. 0.5 (half of last year's income)",
                ),
            )
        if self.income_drop is not None:
            s(
                self,
                "income_drop",
                _check_number(
                    self.income_drop,
                    "income_drop",
                    low=0,
                    low_open=True,
                    high=1,
                    fix="A relative fall, e.g. 0.3 for a 30% drop; None switches the rule off",
                ),
            )
        if self.income_base not in ("previous", "current"):
            raise ValidationError(
                f"income_base must be 'previous' or 'current'; got {self.income_base!r}"
            )
        sw = self.stable_waves
        if isinstance(sw, bool) or not isinstance(sw, int | np.integer) or sw < 1:
            raise ValidationError(
                f"stable_waves must be an integer >= 1; got {sw!r}. Use 1 for annual waves, "
                "2 for semi-annual checks"
            )
        s(self, "stable_waves", int(sw))
        for name in ("exited_values", "no_labour_values"):
            v = getattr(self, name)
            if v is not None:
                v = (v,) if isinstance(v, str | int | float) else tuple(v)
                if not v:
                    raise ValidationError(f"{name} is empty; give at least one value")
                s(self, name, v)
        if self.no_labour_values is None:
            raise ValidationError("no_labour_values must name the 'no labour' value(s)")
        if not isinstance(self.no_labour_never_eliminated, bool | np.bool_):
            raise ValidationError(
                f"no_labour_never_eliminated must be True or False; got "
                f"{self.no_labour_never_eliminated!r}"
            )

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain (JSON-serialisable) dict; a line table becomes a list of records."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if not f.init:
                continue
            v = getattr(self, f.name)
            if isinstance(v, pd.DataFrame):
                v = {"table": v.to_dict("records")}
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitoringRules:
        """Rebuild rules from :meth:`to_dict` output."""
        data = dict(data)
        names = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValidationError(
                f"unknown MonitoringRules field(s) {unknown}; known: {sorted(names)}"
            )
        line = data.get("line")
        if isinstance(line, Mapping) and "table" in line:
            data["line"] = pd.DataFrame(list(line["table"]))
        return cls(**data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MonitoringRules):
            return NotImplemented
        return json.dumps(self.to_dict(), default=str, sort_keys=True) == json.dumps(
            other.to_dict(), default=str, sort_keys=True
        )

    __hash__ = None  # type: ignore[assignment]

    def _line_text(self) -> str:
        if self._table is not None:
            t = self._table
            reg = f" x {t['region'].nunique()} regions (by {self.region!r})" if self.region else ""
            yrs = sorted(set(t["year"]))
            return f"table of {len(t)} rows: years {yrs[0]:g}-{yrs[-1]:g}{reg}"
        return repr(self.line)

    def __repr__(self) -> str:
        rows = [("line", self._line_text()), ("income", repr(self.income))]
        rows.append(("start", "first wave" if self.start is None else f"{self.start:g}"))
        rows.append(("margin", f"{self.margin:g}" + (" (off)" if self.margin == 0 else "")))
        ex = "none (nobody exited)" if self.exited is None else repr(self.exited)
        if self.exited is not None and self.exited_values is not None:
            ex += f" in {list(self.exited_values)}"
        rows.append(("exited", ex))
        rows.append(
            (
                "deprivations",
                "all spec indicators"
                if self.deprivations is None
                else ", ".join(self.deprivations),
            )
        )
        if self.expenditure:
            rows.append(
                (
                    "expenditure",
                    f"{list(self.expenditure)} > "
                    f"{self.expenditure_share:g} x {self.income_base} income",
                )
            )
        if self.loss:
            rows.append(
                ("loss", f"{list(self.loss)} > {self.loss_share:g} x {self.income_base} income")
            )
        if self.events:
            rows.append(("events", ", ".join(self.events)))
        rows.append(
            (
                "income_drop",
                "off" if self.income_drop is None else f"> {self.income_drop:g} of previous income",
            )
        )
        if self.size:
            rows.append(("size", repr(self.size)))
        rows.append(("stable_waves", str(self.stable_waves)))
        lab = (
            "none given"
            if self.labour is None
            else (
                f"{self.labour!r} in {list(self.no_labour_values)}"
                + (" never eliminated" if self.no_labour_never_eliminated else "")
            )
        )
        rows.append(("no labour", lab))
        return "<mpi.MonitoringRules\n" + "\n".join(f"  {k:<13}{v}" for k, v in rows) + ">"


# ------------------------------------------------------------------------------ inputs
def _values(panel: xr.Dataset, name: str, lay: Any, role: str) -> np.ndarray:
    """A panel variable as a (N, T) array (broadcasting unit-only or time-only ones)."""
    if name not in panel.variables:
        close = [v for v in panel.variables if str(v).lower() == str(name).lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"{role} variable {name!r} is not in the panel.{hint} Add it (e.g. merge the "
            "department table) or change the rule"
        )
    var = panel[name]
    u, t = lay.unit_dim, lay.time_dim
    if not set(var.dims) <= {u, t}:
        raise DataError(
            f"{role} variable {name!r} has dims {var.dims}; it must vary over ({u!r}, {t!r}), "
            f"({u!r},) or ({t!r},)"
        )
    shape = (lay.n_units, lay.n_waves)
    if var.dims == (u, t):
        return var.values
    if var.dims == (t, u):
        return var.values.T
    if var.dims == (u,):
        return np.broadcast_to(var.values[:, None], shape)
    if var.dims == (t,):
        return np.broadcast_to(var.values[None, :], shape)
    return np.broadcast_to(var.values, shape)


def _numeric(arr: np.ndarray, name: str, role: str) -> np.ndarray:
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(
            f"{role} variable {name!r} must be numeric; got dtype {arr.dtype}. Convert it first"
        ) from None


def _isin(arr: np.ndarray, values: Sequence | None, name: str, role: str) -> np.ndarray:
    """Boolean array: values in ``values`` (or nonzero numeric/boolean when None)."""
    if values is None:
        if arr.dtype == bool:
            return np.asarray(arr)
        x = _numeric(arr, name, role)
        return np.isfinite(x) & (x != 0)
    flat = np.asarray(arr).reshape(-1)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    hit = np.append(pd.Index(uniques).isin(list(values)), False)  # last slot: missing
    return hit[codes].reshape(arr.shape)


def _resolve_line(
    panel: xr.Dataset, rules: MonitoringRules, lay: Any, need: np.ndarray
) -> np.ndarray:
    """The monitoring line of every unit-wave as float64 (N, T); waves not in ``need`` NaN."""
    n, T = lay.n_units, lay.n_waves
    years = lay.years
    if isinstance(rules.line, float):
        out = np.full((n, T), rules.line)
    elif isinstance(rules.line, str):
        out = _numeric(_values(panel, rules.line, lay, "line"), rules.line, "line")
        bad = need[None, :] & ~(np.isfinite(out) & (out > 0))
        if bad.any():
            i, t = (int(a[0]) for a in np.nonzero(bad))
            raise DataError(
                f"line variable {rules.line!r} has no positive line for the wave "
                f"{years[t]:g} (unit {lay.units[i]!r}: {out[i, t]!r}); fill it, or start "
                f"monitoring later with start=<first year with a line>"
            )
    else:
        table = rules._table
        assert table is not None
        cols = np.flatnonzero(need)
        if rules.region is None:
            lookup = dict(zip(table["year"], table["line"], strict=True))
            miss = [f"{years[t]:g}" for t in cols if years[t] not in lookup]
            if miss:
                raise DataError(
                    f"line table has no line for the wave(s) {miss} (it covers "
                    f"{sorted(lookup)}); add those years or set start= later"
                )
            row = np.array(
                [lookup.get(y, np.nan) if need[t] else np.nan for t, y in enumerate(years)]
            )
            out = np.broadcast_to(row[None, :], (n, T))
        else:
            static_column(panel, rules.region, lay, "region")
            reg = pd.Series(panel[rules.region].values)
            if reg.isna().any():
                i = int(np.flatnonzero(reg.isna().to_numpy())[0])
                raise DataError(
                    f"region variable {rules.region!r} is missing for {int(reg.isna().sum())} "
                    f"unit(s), e.g. unit {lay.units[i]!r}; their line cannot be looked up. "
                    "Fill the region or drop those units"
                )
            codes, uniq = pd.factorize(reg, sort=True)
            mat = np.full((len(uniq), T), np.nan)
            wide = table.pivot(index="region", columns="year", values="line")
            missing = []
            for r, lab in enumerate(uniq):
                for t in cols:
                    y = years[t]
                    v = wide.at[lab, y] if lab in wide.index and y in wide.columns else np.nan
                    if not np.isfinite(v):
                        missing.append((lab, float(y)))
                    mat[r, t] = v
            if missing:
                raise DataError(
                    f"line table has no line for {len(missing)} (region, year) pair(s) the "
                    f"panel needs, e.g. {missing[:4]}; add the rows (region = values of "
                    f"{rules.region!r}) or set start= later"
                )
            out = mat[codes]
    return out


# ------------------------------------------------------------------------------ result
class MonitoringResult(DynamicsResult):
    """Monitoring categories per unit-wave, their reasons, counts and transitions.

    ``to_dataset()`` holds ``category`` (unit, time) int8 with CF ``flag_values`` /
    ``flag_meanings``, one boolean per reason (``below_line``, ``near_line``,
    ``deprived``, ``expenditure``, ``disaster_loss``, ``hardship_event``,
    ``income_drop``), ``monitored``, ``identified`` and ``eliminated`` (unit, time),
    ``line`` (unit, time), ``no_labour`` (unit), and along (time, category_name):
    ``count`` (unweighted), ``weighted_count`` and ``share`` (of the weighted units), with
    ``by``: the same as ``group_count`` / ``group_weighted_count`` / ``group_share`` per
    group; along (time, from_category, to_category): ``transition_count`` and
    ``transition_weighted`` between consecutive waves (``time`` = the later wave).
    """

    kind = "Relapse-prevention monitoring (防止返贫动态监测)"
    headline = ("share",)

    def __init__(self, ds: xr.Dataset, rules: MonitoringRules) -> None:
        super().__init__(ds, None)
        self.rules = rules

    def categories(self, labels: str = "en") -> pd.DataFrame:
        """Wide table (units x waves) of the categories as pandas categoricals."""
        names = _labels(labels)
        cat = self._ds["category"]
        codes = cat.values.astype(np.int64) + 1
        u, t = cat.dims
        return pd.DataFrame(
            {
                tt: pd.Categorical.from_codes(codes[:, j], categories=list(names))
                for j, tt in enumerate(cat[t].values)
            },
            index=pd.Index(cat[u].values, name=u),
        ).rename_axis(columns=t)

    def to_frame(self, *, labels: str = "en", include_eliminated: bool = True) -> pd.DataFrame:  # type: ignore[override]
        """Long table of the monitored unit-waves with category and reasons as text.

        Rows: unit-waves whose category is ``unstable_exited``, ``edge`` or
        ``sudden_hardship`` (and ``risk_eliminated`` with ``include_eliminated``).
        Columns: unit, time, ``category``, ``reasons`` (the rules firing that wave, joined
        with "; "; empty when the unit is kept monitored without a rule firing),
        ``identified``, ``eliminated`` and one boolean column per reason.
        """
        names = _labels(labels)
        ds = self._ds
        cat = ds["category"].values
        u, t = ds["category"].dims
        keep = (cat >= UNSTABLE_EXITED) & (
            cat <= (RISK_ELIMINATED if include_eliminated else SUDDEN_HARDSHIP)
        )
        ii, tt = np.nonzero(keep)
        lang = 0 if labels == "en" else 1
        flags = {r: ds[r].values[ii, tt] for r in REASONS}
        text = np.full(len(ii), "", dtype=object)
        sep = "; " if labels == "en" else "；"
        for r, (en, zh) in REASONS.items():
            label = (en, zh)[lang]
            f = flags[r]
            text[f] = np.where(text[f] == "", label, text[f] + sep + label)
        out = pd.DataFrame(
            {
                u: ds[u].values[ii],
                t: ds[t].values[tt],
                "category": pd.Categorical.from_codes(cat[ii, tt] + 1, categories=list(names)),
                "reasons": text,
                "identified": ds["identified"].values[ii, tt],
                "eliminated": ds["eliminated"].values[ii, tt],
                **flags,
            }
        )
        return out

    def compare(self, other: Any, *, labels: str = "en") -> pd.DataFrame:
        """Cross-table of the computed categories (rows) against other labels (columns),
        e.g. a registry's ``monitoring`` variable, over the monitored waves (from
        ``start``) and unit-waves where ``other`` is not missing."""
        cat = self._ds["category"]
        other = (
            other.transpose(*cat.dims).values
            if isinstance(other, xr.DataArray)
            else np.asarray(other)
        )
        if other.shape != cat.shape:
            raise ValidationError(
                f"other has shape {other.shape}; expected {cat.shape} (unit, time)"
            )
        years = cat[cat.dims[1]].values.astype(np.float64)
        start = self._ds.attrs.get("start", "first wave")
        cols = np.ones(len(years), bool) if start == "first wave" else years >= float(start)
        mine = cat.values[:, cols].reshape(-1)
        theirs = pd.Series(other[:, cols].reshape(-1))
        ok = theirs.notna().to_numpy()
        names = list(_labels(labels))
        rows = pd.Categorical.from_codes(mine[ok] + 1, categories=names)
        return pd.crosstab(
            pd.Series(rows, name="computed"), theirs[ok].rename("other").to_numpy(), dropna=False
        ).rename_axis(columns="other")

    def _header(self) -> list[tuple[str, str]]:
        a = self._ds.attrs
        return [
            ("Waves", str(a.get("waves", ""))),
            ("Monitoring from", str(a.get("start"))),
            ("Spec", str(a.get("spec"))),
            ("Panel weight", str(a.get("weight", "none"))),
            ("Groups", str(a.get("by", "none"))),
            ("Units in the panel", f"{a.get('n_units', 0):,}"),
            ("Units used", f"{a.get('n_used', 0):,}"),
            ("Units dropped", f"{a.get('n_dropped', 0):,}"),
        ]

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        ds = self._ds
        return [
            ("share (weighted) by wave and category", ds["share"].to_pandas()),
            ("count (unweighted) by wave and category", ds["count"].to_pandas()),
        ]

    def __repr__(self) -> str:
        a = self._ds.attrs
        last = self._ds["share"].isel(time=-1)
        mon = float(last.sel(category_name=list(_NAMES[2:5])).sum())
        return (
            f"<mpi.MonitoringResult units={a.get('n_units', 0):,} waves={a.get('n_waves')} "
            f"start={a.get('start')} monitored_last_wave={mon:.4f}>"
        )


def _labels(labels: str) -> tuple[str, ...]:
    if labels not in CATEGORY_LABELS:
        raise ValidationError(f"labels must be 'en' or 'zh'; got {labels!r}")
    return CATEGORY_LABELS[labels]


# ------------------------------------------------------------------------------ estimator
def _deprivation(
    panel: xr.Dataset, spec: Spec, k: Any, rules: MonitoringRules, unit: Hashable, time: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    """(deprived, observed) booleans (N, T) from the spec: any selected indicator deprived
    (each indicator scored on its own, so a missing one does not hide the others), or
    AF-poor at ``k`` when ``k`` is given."""
    if k is not None:
        if rules.deprivations is not None:
            raise ValidationError(
                "pass either k (deprived = AF-poor at k over all the spec's indicators) or "
                "rules.deprivations (deprived = any of those indicators), not both"
            )
        st = panel_states(panel, spec, k=k, unit=unit, time=time, min_waves=1).state
        return st >= 2, st >= 0
    names = spec.names if rules.deprivations is None else list(rules.deprivations)
    unknown = [n for n in names if n not in spec.names]
    if unknown:
        raise ValidationError(
            f"rules.deprivations names {unknown}, not indicators of the spec; its indicators "
            f"are {spec.names}"
        )
    dep = obs = None
    for name in names:
        one = Spec([spec[name].replace(weight=1)], k=1, name=name)
        st = panel_states(panel, one, unit=unit, time=time, min_waves=1).state
        d, o = st >= 2, st >= 0
        dep = d if dep is None else dep | d
        obs = o if obs is None else obs & o
    assert dep is not None and obs is not None
    return dep, obs


def _share_rule(
    panel: xr.Dataset, names: tuple[str, ...], lay: Any, size: np.ndarray | None, role: str
) -> np.ndarray | None:
    if not names:
        return None
    total = None
    for name in names:
        x = _numeric(_values(panel, name, lay, role), name, role)
        if (x < 0).any():
            raise DataError(f"{role} variable {name!r} has negative values; amounts must be >= 0")
        total = (
            x.copy()
            if total is None
            else np.where(np.isnan(total), x, np.where(np.isnan(x), total, total + x))
        )
    assert total is not None
    return total / size if size is not None else total


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
    disjunctions of :mod:`mpi.monitoring`. A unit not monitored is identified when
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
    if not isinstance(rules, MonitoringRules):
        raise ValidationError(
            f"rules must be an mpi.MonitoringRules; got {type(rules).__name__}. Build one with "
            "mpi.MonitoringRules(line=..., income=...)"
        )
    if spec is not None and not isinstance(spec, Spec):
        raise ValidationError(f"spec must be an mpi.Spec or None; got {type(spec).__name__}")
    if k is not None and spec is None:
        raise ValidationError("k needs a spec (deprived = AF-poor at k); pass spec=...")
    lay = check_panel(panel, unit=unit, time=time, min_waves=1)
    n, T = lay.n_units, lay.n_waves
    if n == 0:
        raise DataError("panel has no units; nothing to monitor")
    years = lay.years
    need = np.ones(T, bool) if rules.start is None else years >= rules.start
    if not need.any():
        raise ValidationError(
            f"start={rules.start:g} is after the last wave ({years[-1]:g}); nothing to monitor"
        )

    # ---- inputs as (N, T) arrays (read only; never written) -----------------------
    income = _numeric(_values(panel, rules.income, lay, "income"), rules.income, "income")
    line = _resolve_line(panel, rules, lay, need)
    size = None
    if rules.size is not None:
        size = _numeric(_values(panel, rules.size, lay, "size"), rules.size, "size")
        bad = np.flatnonzero((size <= 0).ravel())
        if bad.size:
            raise DataError(
                f"size variable {rules.size!r} must be positive (a household size); found "
                f"{size.ravel()[bad[0]]:g} in {bad.size} unit-wave(s). Fix or set those to NaN"
            )
    expend = _share_rule(panel, rules.expenditure, lay, size, "expenditure")
    loss = _share_rule(panel, rules.loss, lay, size, "loss")
    event = None
    for name in rules.events:
        e = _isin(_values(panel, name, lay, "events"), None, name, "events")
        event = e if event is None else event | e
    exited = None
    if rules.exited is not None:
        ex = _isin(
            _values(panel, rules.exited, lay, "exited"), rules.exited_values, rules.exited, "exited"
        )
        exited = np.logical_or.accumulate(ex, axis=1)  # once exited, always exited
    no_labour = np.zeros((n, T), bool)
    if rules.labour is not None:
        no_labour = _isin(
            _values(panel, rules.labour, lay, "labour"),
            rules.no_labour_values,
            rules.labour,
            "labour",
        )
    if spec is not None:
        deprived, dep_obs = _deprivation(panel, spec, k, rules, unit, time)
    else:
        deprived = dep_obs = None
    sw = unit_weights(panel, weight, lay)
    by_names, groups = unit_groups(panel, by, lay)
    check_by_names(
        by_names, [unit, time, "category_name", "from_category", "to_category"], "monitoring"
    )

    # ---- wave loop, vectorised over units ------------------------------------------
    flags = {r: np.zeros((n, T), bool) for r in REASONS}
    category = np.zeros((n, T), np.int8)
    monitored = np.zeros((n, T), bool)
    identified = np.zeros((n, T), bool)
    eliminated = np.zeros((n, T), bool)
    mon = np.zeros(n, bool)  # in a monitoring episode
    ever = np.zeros(n, bool)  # eliminated and not identified again
    ep_cat = np.zeros(n, np.int8)
    run = np.zeros(n, np.int64)  # stable waves in a row since identification
    margin1 = 1.0 + rules.margin
    keep_no_labour = rules.labour is not None and rules.no_labour_never_eliminated
    for t in range(T):
        if not need[t]:
            continue
        y, z = income[:, t], line[:, t]
        obs = ~np.isnan(y)
        prev = income[:, t - 1] if t > 0 else np.full(n, np.nan)
        with np.errstate(invalid="ignore"):
            below = obs & (y < z)
            near = obs & (rules.margin > 0) & (y >= z) & (y < margin1 * z)
            base = y if rules.income_base == "current" else np.where(np.isnan(prev), y, prev)
            base = np.maximum(base, 0.0)
            if expend is not None:
                flags["expenditure"][:, t] = obs & (expend[:, t] > rules.expenditure_share * base)
            if loss is not None:
                flags["disaster_loss"][:, t] = obs & (loss[:, t] > rules.loss_share * base)
            if rules.income_drop is not None:
                flags["income_drop"][:, t] = obs & (y < (1.0 - rules.income_drop) * prev)
        flags["below_line"][:, t] = below
        flags["near_line"][:, t] = near
        if event is not None:
            flags["hardship_event"][:, t] = obs & event[:, t]
        verified = obs
        if deprived is not None:
            flags["deprived"][:, t] = obs & deprived[:, t]
            verified = obs & dep_obs[:, t]
        cond = below | near | flags["deprived"][:, t]
        hard = (
            flags["expenditure"][:, t]
            | flags["disaster_loss"][:, t]
            | flags["hardship_event"][:, t]
            | flags["income_drop"][:, t]
        )
        fire = cond | hard
        # elimination of units monitored before this wave
        stable = mon & verified & ~fire
        run = np.where(stable, run + 1, 0)
        elim = mon & (run >= rules.stable_waves)
        if keep_no_labour:
            elim &= ~no_labour[:, t]
        mon &= ~elim
        ever |= elim
        # identification (a new episode)
        new = ~mon & fire
        if exited is not None:
            kind = np.where(exited[:, t], UNSTABLE_EXITED, EDGE)
        else:
            kind = np.full(n, EDGE)
        ep_cat = np.where(new, np.where(cond, kind, SUDDEN_HARDSHIP), ep_cat).astype(np.int8)
        mon |= new
        ever &= ~new
        run = np.where(new, 0, run)
        identified[:, t], eliminated[:, t], monitored[:, t] = new, elim, mon
        category[:, t] = np.where(
            ~obs, UNOBSERVED, np.where(mon, ep_cat, np.where(ever, RISK_ELIMINATED, NOT_MONITORED))
        )

    # ---- counts (additive over units) ----------------------------------------------
    used = np.isfinite(sw)
    cell = (
        np.zeros(n, np.int64)
        if groups is None
        else np.asarray(groups.codes, np.int64) - groups.offset
    )
    n_cells = 1 if groups is None else groups.n_cells
    cnt, wcnt, tcnt, twgt = _counts(category, sw, cell, n_cells, used)
    tot_w = wcnt.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = wcnt / tot_w

    u_coord = panel[unit].values if unit in panel.coords else np.arange(n)
    t_coord = lay.times
    ud = (unit, time)
    cat_attrs = {
        "long_name": "relapse-prevention monitoring category (防止返贫监测对象类型)",
        "flag_values": np.arange(-1, 5, dtype=np.int8),
        "flag_meanings": " ".join(_NAMES),
        "flag_meanings_zh": " ".join(CATEGORY_LABELS["zh"]),
    }
    data: dict[str, Any] = {
        "category": (ud, category, cat_attrs),
        **{
            r: (ud, flags[r], {"long_name": en, "long_name_zh": zh, "units": "1"})
            for r, (en, zh) in REASONS.items()
        },
        "monitored": (
            ud,
            monitored,
            {"long_name": "in a monitoring episode after this wave", "units": "1"},
        ),
        "identified": (
            ud,
            identified,
            {"long_name": "identified (a new episode) this wave", "units": "1"},
        ),
        "eliminated": (
            ud,
            eliminated,
            {"long_name": "marked risk-eliminated this wave", "units": "1"},
        ),
        "line": (
            ud,
            np.ascontiguousarray(line),
            {"long_name": "monitoring line (监测范围) of the unit-wave", "units": "same as income"},
        ),
        "no_labour": (
            (unit,),
            no_labour.any(axis=1) if rules.labour is not None else np.zeros(n, bool),
            {"long_name": "no labour capacity in some wave", "units": "1"},
        ),
        "count": (
            (time, "category_name"),
            cnt.sum(axis=0),
            {"long_name": "units per category (unweighted)", "units": "1"},
        ),
        "weighted_count": (
            (time, "category_name"),
            wcnt.sum(axis=0),
            {"long_name": "units per category (sum of weights)", "units": "1"},
        ),
        "share": (
            (time, "category_name"),
            _share_all(wcnt),
            {"long_name": "weighted share of the units per category", "units": "1"},
        ),
        "transition_count": (
            (time, "from_category", "to_category"),
            tcnt.sum(axis=0),
            {
                "long_name": "units moving between categories from the previous wave (unweighted)",
                "units": "1",
            },
        ),
        "transition_weighted": (
            (time, "from_category", "to_category"),
            twgt.sum(axis=0),
            {
                "long_name": "units moving between categories from the previous wave (sum of weights)",
                "units": "1",
            },
        ),
    }
    coords: dict[str, Any] = {
        unit: u_coord,
        time: t_coord,
        "category_name": list(_NAMES),
        "from_category": list(_NAMES),
        "to_category": list(_NAMES),
    }
    ds = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords)
    if groups is not None:
        for name, arr, ln in (
            ("group_count", cnt, "units per category and group (unweighted)"),
            ("group_weighted_count", wcnt, "units per category and group (sum of weights)"),
            ("group_share", share, "weighted share of the group's units per category"),
        ):
            shaped = arr.reshape(groups.ext_shape + arr.shape[1:])
            known = shaped[tuple(slice(0, m) for m in groups.shape)]
            ds[name] = xr.DataArray(
                known,
                dims=[*groups.names, time, "category_name"],
                coords={
                    b: np.asarray(lab) for b, lab in zip(groups.names, groups.labels, strict=True)
                },
                attrs={"long_name": ln, "units": "1"},
            )
    ds.attrs = {
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
        "unit_dim": str(unit),
        "time_dim": str(time),
        "n_units": n,
        "n_waves": T,
        "waves": ", ".join(f"{y:g}" for y in years),
        "balance": "observed",
        "n_used": int(used.sum()),
        "n_dropped": int((~used).sum()),
    }
    return MonitoringResult(ds, rules)


def _share_all(wcnt: np.ndarray) -> np.ndarray:
    """Overall weighted shares per (time, category) from per-cell weighted counts."""
    w = wcnt.sum(axis=0)
    tot = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / tot


def _counts(
    category: np.ndarray, sw: np.ndarray, cell: np.ndarray, n_cells: int, used: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Additive statistics: per cell, wave and category the unweighted and weighted counts;
    per cell, wave and (from, to) pair the transition counts (wave 0: none)."""
    n, T = category.shape
    C = len(_NAMES)
    c = category[used].astype(np.int64) + 1
    w = sw[used]
    g = cell[used]
    idx = (g[:, None] * T + np.arange(T)[None, :]) * C + c
    size = n_cells * T * C
    cnt = np.bincount(idx.ravel(), minlength=size).reshape(n_cells, T, C)
    wcnt = np.bincount(idx.ravel(), weights=np.repeat(w, T), minlength=size).reshape(n_cells, T, C)
    size2 = n_cells * T * C * C
    if T > 1:
        pair = ((g[:, None] * T + np.arange(1, T)[None, :]) * C + c[:, :-1]) * C + c[:, 1:]
        tcnt = np.bincount(pair.ravel(), minlength=size2).reshape(n_cells, T, C, C)
        twgt = np.bincount(pair.ravel(), weights=np.repeat(w, T - 1), minlength=size2).reshape(
            n_cells, T, C, C
        )
    else:
        tcnt = np.zeros((n_cells, T, C, C), np.int64)
        twgt = np.zeros((n_cells, T, C, C))
    return cnt, wcnt, tcnt, twgt

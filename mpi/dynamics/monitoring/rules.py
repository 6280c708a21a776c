"""The rules of relapse-prevention monitoring: :class:`MonitoringRules` (methods.md §4.4).

Every threshold is a parameter of :class:`MonitoringRules`; the rules are validated when
they are made (names, numbers, the line table), before any panel is read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from mpi.errors import ValidationError

__all__ = ["MonitoringRules"]


# ------------------------------------------------------------------------------ checks
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
        self._check_line()
        self._check_variable_names()
        self._check_thresholds()
        self._check_value_lists()

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # the dataclass is frozen

    def _check_line(self) -> None:
        """``line``: a table (validated, with ``region`` consistent), a name or a number."""
        line = self.line
        if isinstance(line, pd.DataFrame | Mapping):
            table = _line_table(line)
            self._set("_table", table)
            self._set("line", table)
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
            fix = "Pass a positive number, a panel variable name or a table"
            self._set("line", _check_number(line, "line", low=0, low_open=True, fix=fix))
        if not isinstance(line, pd.DataFrame | Mapping) and self.region is not None:
            raise ValidationError(
                f"region={self.region!r} needs a line table with a 'region' column; got "
                f"line={line!r}"
            )

    def _check_variable_names(self) -> None:
        """Names of panel variables and of spec indicators."""
        _check_name(self.income, "income", optional=False)
        for name in ("region", "exited", "size", "labour"):
            _check_name(getattr(self, name), name)
        for name in ("expenditure", "loss", "events"):
            self._set(name, _check_names(getattr(self, name), name))
        if self.deprivations is not None:
            self._set("deprivations", _check_names(self.deprivations, "deprivations"))
            if not self.deprivations:
                raise ValidationError(
                    "deprivations is empty; name at least one indicator or pass None for all"
                )

    def _check_thresholds(self) -> None:
        """The start year, margin, shares, income drop, income base and stable waves."""
        if self.start is not None:
            fix = "Give a calendar year"
            self._set(
                "start", _check_number(self.start, "start", low=-math.inf, low_open=True, fix=fix)
            )
        fix = "Use 0 to switch the rule off"
        self._set("margin", _check_number(self.margin, "margin", low=0, low_open=False, fix=fix))
        for name in ("expenditure_share", "loss_share"):
            fix = "A share of income, e.g. 0.5 (half of last year's income)"
            self._set(name, _check_number(getattr(self, name), name, low=0, low_open=True, fix=fix))
        if self.income_drop is not None:
            fix = "A relative fall, e.g. 0.3 for a 30% drop; None switches the rule off"
            drop = _check_number(
                self.income_drop, "income_drop", low=0, low_open=True, high=1, fix=fix
            )
            self._set("income_drop", drop)
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
        self._set("stable_waves", int(sw))

    def _check_value_lists(self) -> None:
        """``exited_values``, ``no_labour_values`` as tuples; the no-labour switch a bool."""
        for name in ("exited_values", "no_labour_values"):
            v = getattr(self, name)
            if v is not None:
                v = (v,) if isinstance(v, str | int | float) else tuple(v)
                if not v:
                    raise ValidationError(f"{name} is empty; give at least one value")
                self._set(name, v)
        if self.no_labour_values is None:
            raise ValidationError("no_labour_values must name the 'no labour' value(s)")
        if not isinstance(self.no_labour_never_eliminated, bool | np.bool_):
            raise ValidationError(
                f"no_labour_never_eliminated must be True or False; got "
                f"{self.no_labour_never_eliminated!r}"
            )

    @property
    def line_table(self) -> pd.DataFrame | None:
        """The validated line table (columns ``[region,] year, line``), or None when
        ``line`` is a number or a variable name."""
        return self._table

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The rules as a plain (JSON-serialisable) dict.

        Returns
        -------
        dict
            One entry per field; tuples become lists and a line table becomes
            ``{"table": [records]}``.
        """
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
        """Rebuild rules from :meth:`to_dict` output.

        Parameters
        ----------
        data
            A dict as made by :meth:`to_dict` (also after a JSON round trip).

        Returns
        -------
        MonitoringRules
        """
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

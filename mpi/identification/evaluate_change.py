"""Changes over time in the targeting rates, with design-based standard errors.

The rounds are pooled in one data set with a round variable and evaluated with
``mpi.targeting(pooled, listed=..., poor=..., by=[round, ...], design=mpi.Design(...))``.
:meth:`TargetingResult.change <mpi.identification.evaluate_result.TargetingResult.change>`
(which calls :func:`targeting_change`) then gives, for every pair of rounds, the change
"later minus earlier" of each rate, per group of the other ``by`` variables, with the
standard error of the difference of the two estimates. Both estimates are
:class:`~mpi.survey.estimate.Estimate` objects of the same design, so the variance of the
difference is computed by the same linearisation (or replication) as the rates themselves,
covariance between rounds included: a panel of households in the same PSUs, or rounds that
revisit PSUs, give correlated rates and a smaller (or larger) variance than the sum of the two.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import t_ppf
from mpi._common.labels import text
from mpi._common.result import BOUND, ResultBase, check_level, column_label
from mpi.errors import ValidationError
from mpi.survey.estimate import Estimate, stack, standard_errors

__all__ = ["TargetingChangeResult", "targeting_change", "PERIOD"]

#: The dimension of the periods (pairs of rounds) in :class:`TargetingChangeResult`.
PERIOD = "period"
#: Variables changed by default (:meth:`TargetingResult.change`).
DEFAULT_VARIABLES = ("inclusion_error", "exclusion_error", "coverage", "leakage", "undercoverage")


class TargetingChangeResult(ResultBase):
    """Changes between rounds in the targeting rates (from :meth:`TargetingResult.change`).

    ``to_dataset()`` holds one variable per rate compared: the change ``later - earlier``
    with dims ``(period, <other by variables>)`` and the coordinates ``start`` and ``end``
    (the two rounds of each period) along ``period``; :attr:`se` its standard errors (NaN
    without a survey design); :meth:`ci` t intervals on the design degrees of freedom;
    :meth:`levels` the rates of the two rounds; :meth:`estimate` the changes as
    :class:`~mpi.survey.estimate.Estimate` objects for further contrasts (e.g. a
    difference in differences between two counties).

    Parameters
    ----------
    changes
        The changes (one variable per rate).
    se
        Their standard errors (NaN without a design).
    start, end
        The rates of the earlier and the later round of each period, shaped like ``changes``.
    estimates
        The changes as estimates, or None without a design.
    over
        The round variable.
    by
        The other group variables (the changes are per cell of them).
    df
        Design degrees of freedom (``-1`` without a design).
    info
        ``listed``, ``poor`` (the column names) and ``design`` (the variance method as a
        catalogue key and its fields, or None).
    """

    title = "Targeting over time: changes in the targeting rates"
    call = "mpi.TargetingResult.change"

    def __init__(
        self,
        changes: xr.Dataset,
        se: xr.Dataset,
        start: xr.Dataset,
        end: xr.Dataset,
        estimates: dict[str, Estimate] | None,
        over: str,
        by: Sequence[str],
        df: int,
        info: dict[str, Any],
    ) -> None:
        self._changes = changes
        self._se = se
        self._start = start
        self._end = end
        self._estimates = estimates
        self.over = over
        self.by = tuple(by)
        self.df = int(df)
        self._info = dict(info)

    # -- ResultBase hooks ------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._changes

    def _standard_errors(self) -> xr.Dataset:
        return self._se.copy(deep=True)

    def _grouped(self) -> xr.Dataset | None:
        return self._changes.transpose(*self.by, ...) if self.by else None

    def _title(self, lang: str) -> str:
        return text("targeting_change.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        ds = self._changes
        rounds = list(dict.fromkeys([*ds["start"].values.tolist(), *ds["end"].values.tolist()]))
        none = text("targeting_change.header.none", lang)
        design = self._info.get("design")
        lines = [
            (text("targeting_change.header.listed", lang), str(self._info["listed"])),
            (text("targeting_change.header.poor", lang), str(self._info["poor"])),
            (
                text("targeting_change.header.rounds", lang, over=column_label(self.over, lang)),
                ", ".join(map(str, rounds)),
            ),
            (text("targeting_change.header.groups", lang), ", ".join(self.by) or none),
        ]
        if design is None:
            lines.append(
                (
                    text("targeting_change.header.variance", lang),
                    text("targeting_change.header.no_design", lang),
                )
            )
        else:
            key, fields = design
            lines.append(
                (text("targeting_change.header.variance", lang), text(key, lang, **fields))
            )
            lines.append((text("targeting_change.header.df", lang), str(self.df)))
        return lines

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        level = 0.95
        ci = self.ci(level)
        parts = {
            "start": self._start, "end": self._end, "difference": self._changes, "se": self._se,
            "lower": ci.sel({BOUND: "lower"}, drop=True),
            "upper": ci.sel({BOUND: "upper"}, drop=True),
        }  # fmt: skip
        # one table per set of dimensions (the rates; rates by decile, ...)
        frames: dict[tuple, list[pd.DataFrame]] = {}
        for name in self._changes.data_vars:
            cols = {c: src[name].reset_coords(drop=True) for c, src in parts.items()}
            rest = tuple(str(d) for d in self._changes[name].dims if d not in (PERIOD, *self.by))
            order = [*self.by, PERIOD, *rest]
            frame = xr.Dataset(cols).to_dataframe(dim_order=order)[list(parts)].reset_index()
            frame.insert(0, "variable", text(f"targeting.var.{name}", lang))
            frames.setdefault(rest, []).append(frame)
        title = text("targeting_change.table.changes", lang, level=level)
        out = []
        for rest, group in frames.items():
            keys = ["variable", *self.by, PERIOD, *rest]
            table = pd.concat(group, ignore_index=True).set_index(keys)
            table.index = table.index.set_names(
                [
                    text(f"targeting_change.column.{k}", lang) if k in ("variable", PERIOD)
                    else column_label(k, lang)
                    for k in keys
                ]
            )  # fmt: skip
            table.columns = [text(f"targeting_change.column.{c}", lang) for c in parts]
            out.append((title, table))
        return out

    def _notes(self, lang: str) -> list[str]:
        notes = [text("targeting_change.note.definition", lang)]
        if self._estimates is None:
            notes.append(text("targeting_change.note.no_design", lang))
        n_nan = int(sum(int(np.isnan(v.values).sum()) for v in self._changes.data_vars.values()))
        if n_nan:
            notes.append(text("targeting_change.note.undefined", lang, n=n_nan))
        return notes

    # -- the interface -----------------------------------------------------------------------
    def ci(self, level: float = 0.95) -> xr.Dataset:
        """t intervals ``change ± t_{df} se`` with a ``bound`` dim (``lower``, ``upper``).

        Parameters
        ----------
        level
            Confidence level, strictly between 0 and 1.

        Returns
        -------
        xarray.Dataset
            The changes' variables with a leading ``bound`` dim. The quantile is Student's t
            on the design degrees of freedom (as :func:`mpi.pairwise`, R ``svycontrast``,
            Stata ``lincom``); NaN without a design.
        """
        level = check_level(level)
        t = float(t_ppf(0.5 + level / 2, self.df)) if self.df > 0 else np.nan
        est, se = self._changes, self._se
        out = xr.concat([est - t * se, est + t * se], dim=pd.Index(["lower", "upper"], name=BOUND))
        out.attrs.update(confidence_level=level, interval="t (Wald): change ± t_df se")
        return out

    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """Tidy table: one row per change.

        Parameters
        ----------
        variables
            Rates to include (default: all the result's).
        level
            Confidence level of ``lower`` and ``upper`` (the t intervals of :meth:`ci`).

        Returns
        -------
        pandas.DataFrame
            Columns ``measure``, ``period``, the other ``by`` variables, ``estimate`` (the
            change), ``se``, ``lower``, ``upper``.
        """
        return super().to_frame(variables, level=level)

    def by_group(self) -> xr.Dataset:
        """The changes per group: the other ``by`` variables first, then ``period``.

        Returns
        -------
        xarray.Dataset
            A copy.

        Raises
        ------
        ValidationError
            When the rounds were the only ``by`` variable.
        """
        if not self.by:
            raise ValidationError(
                f"by_group(): these changes have no groups besides the rounds {self.over!r}; "
                f"evaluate with mpi.targeting(..., by=[{self.over!r}, 'county']) for changes "
                "per county"
            )
        return super().by_group()

    def levels(self) -> xr.Dataset:
        """The rates of the two rounds of each period.

        Returns
        -------
        xarray.Dataset
            The result's variables with a leading dim ``endpoint`` (``start``: the rate in
            the earlier round, ``end``: in the later), so that ``change = end - start``.
        """
        side = pd.Index(["start", "end"], dtype=object, name="endpoint")
        out = xr.concat([self._start, self._end], dim=side)
        return out.copy(deep=True)

    def estimate(self, name: str) -> Estimate:
        """One variable's changes as an :class:`~mpi.survey.estimate.Estimate`.

        Parameters
        ----------
        name
            A variable of :meth:`to_dataset`.

        Returns
        -------
        Estimate
            Dims ``(period, <other by variables>)``; arithmetic on it keeps the design
            covariance (e.g. ``e.sel(county="A") - e.sel(county="B")``).

        Raises
        ------
        ValidationError
            Without a survey design, or for a name not in the result.
        """
        if self._estimates is None:
            raise ValidationError(
                "estimate(): these changes have no survey design; pass design=mpi.Design("
                "weight, strata=..., psu=...) to mpi.targeting"
            )
        if name not in self._estimates:
            raise ValidationError(
                f"name={name!r} is not a variable of these changes; choose from "
                f"{', '.join(self._estimates)}"
            )
        return self._estimates[name]

    def __repr__(self) -> str:
        ds = self._changes
        periods = ", ".join(map(str, ds[PERIOD].values))
        head = ""
        first = next(iter(ds.data_vars))
        if ds[first].ndim == 1 and ds.sizes[PERIOD] == 1:
            v = float(ds[first].values[0])
            s = float(self._se[first].values[0])
            head = f": {first} {v:+.4f} (se {s:.4f})"
        return (
            f"<mpi.TargetingChangeResult over={self.over!r}, period(s) {periods}, "
            f"variables={list(ds.data_vars)}{head}>"
        )


def _variables(variables: Any, available: Sequence[str]) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    bad = [n for n in names if n not in available]
    if bad or not names:
        raise ValidationError(
            f"variables={variables!r}: {bad or 'none given'} are not rates or totals of "
            f"mpi.targeting; choose from {', '.join(available)}"
        )
    if len(set(names)) != len(names):
        raise ValidationError(f"variables={variables!r} names a variable twice; give each once")
    return names


def _rounds(ds: xr.Dataset, over: str, rounds: Sequence[Hashable] | None) -> list[Any]:
    have = ds[over].values.tolist()
    if rounds is None:
        labels = have
    else:
        labels = [rounds] if isinstance(rounds, str) else list(rounds)
        bad = [r for r in labels if r not in have]
        if bad:
            raise ValidationError(
                f"rounds={rounds!r}: {bad!r} are not values of {over!r}; choose from {have!r}"
            )
        if len(set(labels)) != len(labels):
            raise ValidationError(f"rounds={rounds!r} gives a round twice; give each once")
    if len(labels) < 2:
        raise ValidationError(
            f"change() needs two or more rounds of {over!r}; got {labels!r}. Evaluate the pooled "
            f"rounds with mpi.targeting(..., by=[{over!r}, ...])"
        )
    return labels


def targeting_change(
    data: xr.Dataset,
    estimates: dict[str, Estimate] | None,
    by: Sequence[str],
    over: str,
    *,
    kind: Literal["total", "insequence"] = "total",
    variables: Sequence[str] = DEFAULT_VARIABLES,
    rounds: Sequence[Hashable] | None = None,
    df: int = -1,
    info: dict[str, Any] | None = None,
) -> TargetingChangeResult:
    """Changes ``later - earlier`` of targeting rates between rounds, with their SEs.

    Called by :meth:`TargetingResult.change`; see there for the user's arguments.

    Parameters
    ----------
    data
        The :class:`TargetingResult`'s Dataset (the rates, with a dim per ``by`` variable).
    estimates
        The rates and totals as estimates (None without a design).
    by
        The result's group variables; ``over`` must be one of them.
    over
        The round variable.
    kind
        ``"total"``: first to last round; ``"insequence"``: every consecutive pair.
    variables
        The rates (or totals) changed.
    rounds
        The rounds in time order (default: all, in the order of ``data[over]``).
    df
        Design degrees of freedom of the t intervals (``-1`` without a design).
    info
        ``listed``, ``poor`` and ``design`` for the summary.

    Returns
    -------
    TargetingChangeResult

    Notes
    -----
    For a rate :math:`R` in rounds :math:`a` (earlier) and :math:`b` (later),
    :math:`\\Delta = \\hat R_b - \\hat R_a` and, with a design,

    .. math:: \\widehat V(\\Delta) = \\widehat V(\\hat R_a) + \\widehat V(\\hat R_b)
              - 2\\,\\widehat{\\operatorname{Cov}}(\\hat R_a, \\hat R_b),

    computed in one step as the variance of the difference of the two
    :class:`~mpi.survey.estimate.Estimate` objects: under linearisation the influence PSU
    totals :math:`z_{hi} = z^{(b)}_{hi} - z^{(a)}_{hi}` with
    :math:`z^{(r)}_{hi} = (y^{(r)}_{hi} - \\hat R_r x^{(r)}_{hi}) / \\hat X_r` for the ratio
    :math:`\\hat R_r = \\hat Y_r / \\hat X_r` of the totals of round *r* (zero outside it),
    and :math:`\\widehat V = \\sum_h \\frac{n_h}{n_h-1}\\sum_i (z_{hi} - \\bar z_h)^2`; under
    replication the difference recomputed on every replicate.
    """
    if kind not in ("total", "insequence"):
        raise ValidationError(f"kind must be 'total' or 'insequence'; got {kind!r}")
    if not by:
        raise ValidationError(
            "change() needs the rounds as a group variable: evaluate the pooled rounds with "
            "mpi.targeting(..., by='year') (or by=['year', 'county'] for changes per county)"
        )
    if over not in by:
        raise ValidationError(
            f"over={over!r} must be one of the result's by variables {list(by)}; evaluate "
            f"with mpi.targeting(..., by=[{over!r}, ...])"
        )
    clash = [b for b in by if b != over and b in (PERIOD, "start", "end", "endpoint")]
    if clash:
        raise ValidationError(
            f"by variable(s) {clash} clash with the names of the changes' dimension and "
            "coordinates ('period', 'start', 'end', 'endpoint'); rename them in the data"
        )
    available = [
        str(n) for n in data.data_vars if n != "n_units" and (estimates is None or n in estimates)
    ]
    names = _variables(variables, available)
    labels = _rounds(data, over, rounds)
    pairs = (
        [(labels[0], labels[-1])]
        if kind == "total"
        else [(labels[i], labels[i + 1]) for i in range(len(labels) - 1)]
    )
    pidx = pd.Index([f"{a}-{b}" for a, b in pairs], dtype=object, name=PERIOD)
    extra = {
        "start": (PERIOD, np.asarray([a for a, _ in pairs])),
        "end": (PERIOD, np.asarray([b for _, b in pairs])),
    }
    others = [b for b in by if b != over]

    def at(da: xr.DataArray, lab: Any) -> xr.DataArray:
        return da.sel({over: lab}, drop=True)

    changes, start, end, se = xr.Dataset(), xr.Dataset(), xr.Dataset(), xr.Dataset()
    ests: dict[str, Estimate] = {}
    for name in names:
        da = data[name]
        lo = xr.concat([at(da, a) for a, _ in pairs], dim=pidx)
        hi = xr.concat([at(da, b) for _, b in pairs], dim=pidx)
        start[name], end[name] = lo, hi
        changes[name] = hi - lo
        if estimates is not None:
            e = estimates[name]

            def pick(lab: Any, e: Estimate = e) -> Estimate:
                return e.sel(**{over: lab}).drop_coords([over])

            ests[name] = stack([pick(b) - pick(a) for a, b in pairs], pidx).assign_coords(**extra)
    dims = (PERIOD, *others)
    if estimates is not None:
        values = standard_errors([ests[n] for n in names])
        for name, v in zip(names, values, strict=True):
            got = xr.DataArray(np.asarray(v, np.float64), dims=ests[name].dims)
            se[name] = got.transpose(*changes[name].dims).assign_coords(changes[name].coords)
    else:
        for name in names:
            se[name] = xr.full_like(changes[name], np.nan, dtype=np.float64)
    for ds in (changes, start, end, se):
        ds.coords.update({c: xr.Variable(d, v) for c, (d, v) in extra.items()})
    for name in names:
        label = text(f"targeting.var.{name}", "en")
        units = str(data[name].attrs.get("units", ""))
        changes[name].attrs.update(long_name=text("targeting_change.var", "en", name=label),
                                   units=units)  # fmt: skip
        se[name].attrs.update(long_name=text("targeting_change.var_se", "en", name=label),
                              units=units)  # fmt: skip
    info = dict(info or {})
    design = info.get("design")
    changes.attrs.update(
        over=over,
        kind=kind,
        rounds=", ".join(map(str, labels)),
        listed=str(info.get("listed", "")),
        poor=str(info.get("poor", "")),
        design=text(design[0], "en", **design[1]) if design else "",
        design_df=int(df),
    )
    start, end, changes, se = (ds.transpose(*dims, ...) for ds in (start, end, changes, se))
    return TargetingChangeResult(
        changes, se, start, end, ests if estimates is not None else None, over, others, df, info,
    )  # fmt: skip

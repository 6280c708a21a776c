r"""Decomposing a change in poverty into entries, exits and the ongoing poor.

Between two waves :math:`t_1 < t_2` of a panel every unit observed in both waves belongs to
one *dynamic group* :math:`g` with weighted population share :math:`\pi_g`
(:math:`\sum_g \pi_g = 1`): ``PP`` (poor in both waves, the ongoing poor or *stayers*),
``PN`` (exiters), ``NP`` (entrants) and ``NN`` (never poor in the pair). Writing
:math:`\bar A_g^{t}` for the mean deprivation score of group :math:`g` at wave :math:`t`,

.. math::

    H_1 = \pi_{PP} + \pi_{PN}, \qquad H_2 = \pi_{PP} + \pi_{NP}, \qquad
    \Delta H = \pi_{NP} - \pi_{PN} = (1 - H_1) P_e - H_1 P_x,

with the entry and exit probabilities :math:`P_e = \pi_{NP} / (1 - H_1)` and
:math:`P_x = \pi_{PN} / H_1`, and

.. math::

    \Delta M_0 = \underbrace{\pi_{NP} \bar A_{NP}^{t_2}}_{\text{entry}}
    - \underbrace{\pi_{PN} \bar A_{PN}^{t_1}}_{\text{exit}}
    + \underbrace{\pi_{PP} (\bar A_{PP}^{t_2} - \bar A_{PP}^{t_1})}_{\text{stayers}} .

Entrants split into *re-entrants* (返贫) and *first-time entrants* (致贫), whose terms add
up to the entry term. The same identity holds for every censored headcount ratio
:math:`h_j` and, weighted by :math:`w_j`, the indicator terms add up to the
:math:`M_0` terms. See :func:`decompose_change`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.panel_layout import PanelLayout, check_balance, parallel_chunks, static_column
from mpi._common.ratio import ratio
from mpi._common.result import label_table
from mpi.dynamics._decompose_measures import decomposition_measures
from mpi.dynamics.result import DynamicsResult, panel_attrs
from mpi.dynamics.states import PanelStates, panel_states
from mpi.dynamics.states_chunked import block_sums
from mpi.errors import DataError, ValidationError
from mpi.kernels import decompose as kdec
from mpi.measurement.spec import Spec

__all__ = ["decompose_change", "DecompositionResult", "DECOMPOSE_BALANCE", "DYNAMIC_GROUPS"]

#: Balance policies of :func:`decompose_change`.
DECOMPOSE_BALANCE = ("balanced", "pairs")
#: Labels of the ``group`` dimension.
DYNAMIC_GROUPS = ("PP", "PN", "NP", "NN")

REFERENCES = (
    "Alkire, S., Foster, J. E., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P. (2015). "
    "Multidimensional Poverty Measurement and Analysis, ch. 9.3 'Changes over time by dynamic "
    "subgroups'. Oxford University Press.",
    "Apablaza, M. and Yalonetzky, G. (2013). Decomposing multidimensional poverty dynamics. "
    "Young Lives Working Paper 101.",
)

_TITLE = "Decomposition of the change in multidimensional poverty: entries, exits and stayers"

# name -> (long_name, units, formula); units "1" marks a dimensionless share or index.
# fmt: off
_META: dict[str, tuple[str, str | None, str]] = {
    "delta_M0": ("change in the adjusted headcount ratio", "1", "M0_2 - M0_1 = entry - exit + stayers"),
    "entry": ("entry term of the M0 change (added)", "1", "pi_NP * A_NP(t2)"),
    "reentry": ("re-entry term (poor at an earlier wave or flagged by history)", "1", "pi_NP_re * A_NP_re(t2)"),
    "first_entry": ("first-entry term (never observed poor before t1)", "1", "pi_NP_new * A_NP_new(t2)"),
    "exit": ("exit term of the M0 change (a positive magnitude, subtracted)", "1", "pi_PN * A_PN(t1)"),
    "stayers": ("change in intensity among the ongoing poor", "1", "pi_PP * (A_PP(t2) - A_PP(t1))"),
    "delta_H": ("change in the multidimensional headcount ratio", "1", "H2 - H1 = H_entry - H_exit"),
    "H_entry": ("share of entrants (added to H)", "1", "pi_NP = (1 - H1) * P_e"),
    "H_reentry": ("share of re-entrants", "1", "pi_NP_re"),
    "H_first_entry": ("share of first-time entrants", "1", "pi_NP_new"),
    "H_exit": ("share of exiters (subtracted from H)", "1", "pi_PN = H1 * P_x"),
    "P_e": ("entry probability (poor at t2 among the non-poor at t1)", "1", "pi_NP / (1 - H1)"),
    "P_x": ("exit probability (non-poor at t2 among the poor at t1)", "1", "pi_PN / H1"),
    "H1": ("headcount ratio at the first wave of the pair", "1", "pi_PP + pi_PN"),
    "H2": ("headcount ratio at the second wave of the pair", "1", "pi_PP + pi_NP"),
    "M0_1": ("adjusted headcount ratio at the first wave of the pair", "1", "pi_PP A_PP(t1) + pi_PN A_PN(t1)"),
    "M0_2": ("adjusted headcount ratio at the second wave of the pair", "1", "pi_PP A_PP(t2) + pi_NP A_NP(t2)"),
    "A1": ("intensity at the first wave of the pair", "1", "M0_1 / H1"),
    "A2": ("intensity at the second wave of the pair", "1", "M0_2 / H2"),
    "delta_A": (
        "change in intensity",
        "1",
        "A2 - A1 = intensity_stayers + intensity_composition + intensity_entry - intensity_exit",
    ),
    "intensity_stayers": ("intensity change among the ongoing poor", "1", "pi_PP (A_PP(t2) - A_PP(t1)) / H2"),
    "intensity_composition": ("reweighting of the ongoing poor", "1", "pi_PP A_PP(t1) (1/H2 - 1/H1)"),
    "intensity_entry": ("intensity brought in by entrants (added)", "1", "pi_NP A_NP(t2) / H2"),
    "intensity_exit": ("intensity taken out by exiters (subtracted)", "1", "pi_PN A_PN(t1) / H1"),
    "mean_score_reentry": ("mean deprivation score of re-entrants at t2", "1", "A_NP_re(t2)"),
    "mean_score_first_entry": ("mean deprivation score of first-time entrants at t2", "1", "A_NP_new(t2)"),
    "share": ("population share of the dynamic group", "1", "pi_g"),
    "mean_score_t1": ("mean deprivation score of the dynamic group at t1", "1", "A_g(t1)"),
    "mean_score_t2": ("mean deprivation score of the dynamic group at t2", "1", "A_g(t2)"),
    "n_obs": ("units in the dynamic group (unweighted)", None, "count"),
    "n_used": ("units used for the pair (unweighted)", None, "count"),
    "h_1": ("censored headcount ratio at t1", "1", "pi_PP g_PP(t1) + pi_PN g_PN(t1)"),
    "h_2": ("censored headcount ratio at t2", "1", "pi_PP g_PP(t2) + pi_NP g_NP(t2)"),
    "delta_h": ("change in the censored headcount ratio", "1", "h_2 - h_1 = entry_h - exit_h + stayers_h"),
    "entry_h": ("entry term of the censored headcount change (added)", "1", "pi_NP g_NP(t2)"),
    "reentry_h": ("re-entry term of the censored headcount change", "1", "pi_NP_re g_NP_re(t2)"),
    "first_entry_h": ("first-entry term of the censored headcount change", "1", "pi_NP_new g_NP_new(t2)"),
    "exit_h": ("exit term of the censored headcount change (subtracted)", "1", "pi_PN g_PN(t1)"),
    "stayers_h": ("censored headcount change among the ongoing poor", "1", "pi_PP (g_PP(t2) - g_PP(t1))"),
    "population_share": ("population share of the group among the units used", "1", "v_g"),
}
# fmt: on

_TERMS = ("delta_M0", "entry", "reentry", "first_entry", "exit", "stayers")
_HEADCOUNT = (
    "H1",
    "H2",
    "delta_H",
    "H_entry",
    "H_reentry",
    "H_first_entry",
    "H_exit",
    "P_e",
    "P_x",
)
_INTENSITY = (
    "A1", "A2", "delta_A", "intensity_stayers", "intensity_composition", "intensity_entry",
    "intensity_exit",
)  # fmt: skip
_GROUPED = ("share", "mean_score_t1", "mean_score_t2", "n_obs")
_INDICATOR = (
    "h_1",
    "h_2",
    "delta_h",
    "entry_h",
    "reentry_h",
    "first_entry_h",
    "exit_h",
    "stayers_h",
)


class DecompositionResult(DynamicsResult):
    """Result of :func:`decompose_change`.

    ``to_dataset()`` holds the decomposition (see :func:`decompose_change` for the
    variables). With ``by`` every variable has the group dimensions and :attr:`overall`
    gives the same result for all units together.
    """

    kind = "Change decomposition: entries, exits and stayers"
    headline = (
        "delta_M0", "entry", "reentry", "first_entry", "exit", "stayers",
        "delta_H", "H1", "H2", "M0_1", "M0_2",
    )  # fmt: skip

    def __init__(
        self,
        ds: xr.Dataset,
        states: PanelStates | None = None,
        overall: DecompositionResult | None = None,
    ) -> None:
        super().__init__(ds, states)
        self._overall = overall

    @property
    def overall(self) -> DecompositionResult:
        """The decomposition for all units together (``self`` without ``by``)."""
        return self if self._overall is None else self._overall

    def _grouped(self) -> xr.Dataset | None:
        # with by, the result itself is the decomposition per group (overall: all units)
        return None if self._overall is None else self._ds

    def _table(self, names: Sequence[str], lang: str) -> pd.DataFrame:
        sub = self._ds[[n for n in names if n in self._ds]].reset_coords(drop=True)
        if not sub.sizes:
            table = pd.Series({n: float(sub[n]) for n in sub.data_vars}).to_frame("value")
        else:
            table = sub.to_dataframe()
        return label_table(table, lang)

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        parts = []
        if self._overall is not None:
            parts.append(("all_units_change", self._overall._table(_TERMS, lang)))
        parts += [
            ("change_terms", self._table(_TERMS, lang)),
            ("change_headcount", self._table(_HEADCOUNT, lang)),
            ("change_intensity", self._table(_INTENSITY, lang)),
        ]
        if self._ds.attrs.get("by", "none") == "none":
            parts.append(("dynamic_groups", self._table(_GROUPED, lang)))
            parts.append(("change_indicators", self._table(_INDICATOR, lang)))
        return [(text(f"result.table.{key}", lang), table) for key, table in parts]


def _history_flags(panel: xr.Dataset, name: Hashable, states: PanelStates) -> np.ndarray:
    static_column(panel, name, states.layout, "history")
    values = panel[name].values
    if values.dtype == bool:
        return np.ascontiguousarray(values, np.uint8)
    if np.issubdtype(values.dtype, np.number):
        ok = np.isin(values, (0, 1))
        if ok.all():
            return np.ascontiguousarray(values != 0, np.uint8)
        i = int(np.flatnonzero(~ok)[0])
        raise DataError(
            f"history variable {name!r} must be boolean (True = the unit was poor before the "
            f"panel window, e.g. a registry 'exited poverty' flag); found the value {values[i]!r} "
            f"for unit {states.layout.units[i]!r}. Recode it to True/False (missing -> False)"
        )
    raise DataError(
        f"history variable {name!r} must be boolean (True = the unit was poor before the panel "
        f"window); got dtype {values.dtype}. Recode it, e.g. panel[{name!r}] == 'yes'"
    )


def _wave_index(value: Any, years: np.ndarray, argument: str, time: Hashable) -> int:
    try:
        y = float(value)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{argument} must be a wave's year (a number on the {time!r} coordinate); got {value!r}"
        ) from None
    hit = np.flatnonzero(years == y)
    if not len(hit):
        raise ValidationError(
            f"{argument}={value!r} is not a wave of the panel; its waves are "
            f"{[float(v) if v % 1 else int(v) for v in years]}. Pass one of them"
        )
    return int(hit[0])


_EXTRA_DIMS = {name: ("group",) for name in _GROUPED} | {
    name: ("indicator",) for name in _INDICATOR
}


def _dataset(
    fin: dict[str, np.ndarray],
    states: PanelStates,
    *,
    grouped: bool,
    chained: bool,
    pairs: tuple[np.ndarray, np.ndarray],
    attrs: dict,
) -> xr.Dataset:
    lay = states.layout
    tdim = lay.time_dim
    data = {}
    for name, arr in fin.items():
        extra = _EXTRA_DIMS.get(name, ())
        if chained:
            dims = [tdim, *extra]
        else:
            arr = arr[:, 0]
            dims = list(extra)
        da = states.split_cells(arr, dims) if grouped else xr.DataArray(arr[0], dims=dims)
        long_name, units, formula = _META[name]
        da.attrs = {"long_name": long_name, "formula": formula}
        if units is not None:
            da.attrs["units"] = units
        data[name] = da
    ds = xr.Dataset(data)
    ind = [i.name for i in states.spec]
    coords: dict[str, Any] = {
        "group": ("group", list(DYNAMIC_GROUPS)),
        "indicator": ("indicator", ind),
        "indicator_weight": ("indicator", [float(i.weight) for i in states.spec]),
    }
    t1, t2 = pairs
    if chained:
        coords[tdim] = (tdim, lay.times[t2])
        coords["start"] = (tdim, lay.times[t1])
    else:
        coords["start"] = lay.times[t1[0]]
        coords["end"] = lay.times[t2[0]]
    ds = ds.assign_coords(coords)
    ds["group"].attrs = {
        "long_name": "dynamic group",
        "description": "PP poor at both waves (ongoing poor), PN exiters, NP entrants, NN never poor",
    }
    ds["start"].attrs = {"long_name": "first wave of the pair"}
    if chained:
        ds[tdim].attrs = {"long_name": "second (later) wave of the pair"}
    else:
        ds["end"].attrs = {"long_name": "second wave of the pair"}
    ds.attrs = attrs
    return ds


def decompose_change(
    panel: xr.Dataset,
    spec: Spec | None = None,
    *,
    start: Any = None,
    end: Any = None,
    k: Any = None,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    chained: bool = False,
    balance: str = "balanced",
    history: Hashable | None = None,
    unit: Hashable = "unit",
    time: Hashable = "time",
) -> DecompositionResult:
    r"""Decompose the change in poverty between waves into entries, exits and stayers.

    For a pair of waves :math:`t_1 < t_2`, each unit observed in both belongs to a dynamic
    group: ``PP`` poor at both waves (the ongoing poor), ``PN`` exiters, ``NP`` entrants,
    ``NN`` never poor; :math:`\pi_g` is the weighted share of group :math:`g`,
    :math:`\bar A_g^{t}` its mean deprivation score at :math:`t` and
    :math:`\bar g_{j,g}^{t}` its deprivation rate in indicator :math:`j`. Then exactly
    (methods §2.3 items 1-5, Alkire et al. 2015 §9.3.4):

    .. math::

        \Delta H &= \pi_{NP} - \pi_{PN} = (1 - H_1) P_e - H_1 P_x, \quad
        P_e = \frac{\pi_{NP}}{1 - H_1},\ P_x = \frac{\pi_{PN}}{H_1} \\
        \Delta M_0 &= \text{entry} - \text{exit} + \text{stayers}
        = \pi_{NP} \bar A_{NP}^{t_2} - \pi_{PN} \bar A_{PN}^{t_1}
        + \pi_{PP} (\bar A_{PP}^{t_2} - \bar A_{PP}^{t_1}) \\
        \Delta h_j &= \pi_{NP} \bar g_{j,NP}^{t_2} - \pi_{PN} \bar g_{j,PN}^{t_1}
        + \pi_{PP} (\bar g_{j,PP}^{t_2} - \bar g_{j,PP}^{t_1}),
        \qquad \textstyle\sum_j w_j \Delta h_j = \Delta M_0 \ \text{(term by term)} \\
        \Delta A &= \frac{\pi_{PP}}{H_2}(\bar A_{PP}^{t_2} - \bar A_{PP}^{t_1})
        + \pi_{PP} \bar A_{PP}^{t_1}\Big(\frac{1}{H_2} - \frac{1}{H_1}\Big)
        + \frac{\pi_{NP} \bar A_{NP}^{t_2}}{H_2} - \frac{\pi_{PN} \bar A_{PN}^{t_1}}{H_1}

    where :math:`h_j` is the *censored* headcount ratio (deprived in :math:`j` and poor).
    **Sign convention:** ``exit`` (and ``exit_h``, ``H_exit``, ``intensity_exit``) is a
    non-negative magnitude that is *subtracted*: ``delta_M0 = entry - exit + stayers``.

    Entrants are split (methods §2.3 item 6) into *re-entrants* ``NP_re`` (返贫: non-poor
    at :math:`t_1`, poor at :math:`t_2`, and poor at some *observed* wave before
    :math:`t_1`, or flagged by ``history``) and *first-time entrants* ``NP_new`` (致贫:
    never observed poor before :math:`t_1`). ``reentry + first_entry = entry``. The split
    is left-censored: poverty before the panel's first wave (or in unobserved waves) is
    unknown, so without ``history`` a past poor met only before the window counts as a
    first-time entrant, and every entrant of the first pair is a first-time entrant.

    Parameters
    ----------
    panel : xarray.Dataset or mpi.PanelStates
        A panel, or the states :func:`mpi.panel_states` computed from one (then ``spec``
        may be omitted and the other arguments must match).
        Dims ``(unit, time)``: indicator variables over both, weight, groups and
        ``history`` over ``unit``; the ``time`` coordinate holds the waves' calendar years.
        Never modified.
    spec : mpi.Spec, optional
        Indicators, weights and the poverty cutoff.
    start, end : number, optional
        Years of the two waves (default: the first and last wave); both must be waves of
        the panel and ``start < end``. With ``chained=True`` they bound the chain.
    k : optional
        Poverty cutoff overriding ``spec.k``.
    weight : str, optional
        Fixed panel weight over ``unit``; units with a missing weight are dropped and
        counted (``n_no_weight``).
    by : str or list of str, optional
        Groups over ``unit``. Every variable gains the group dimensions;
        ``population_share`` holds :math:`v_g` (the group's share of the units used), so
        :math:`\sum_g v_g\,X_g = X` for every term :math:`X` (units with a missing group
        count only in the total). :attr:`DecompositionResult.overall` gives the whole
        population.
    chained : bool
        ``False``: one decomposition of ``start`` -> ``end``. ``True``: one per pair of
        consecutive waves in ``[start, end]`` ("insequence"), along the ``time`` dimension
        labelled by the *later* wave of each pair (coordinate ``start`` holds the earlier
        one). On a balanced panel the pairs' ``delta_M0`` (and ``delta_H``) add up to the
        total change.
    balance : {"balanced", "pairs"}
        ``"balanced"`` (default): only units observed (every indicator present) in *every*
        wave of the panel are used, the same units for every pair. ``"pairs"``: each pair
        uses the units observed in both of its waves (methods §2.3 item 7), so chained
        pairs may use different units and their changes need not add up. Units dropped
        by the policy are counted (``n_unbalanced``).
    history : str, optional
        Name of a boolean variable over ``unit`` (e.g. a registry flag "exited poverty
        before the window", 脱贫户); an entrant with ``True`` is a re-entrant even when no
        earlier poor wave is observed.
    unit, time : str
        Dimension names of the panel.

    Returns
    -------
    DecompositionResult
        ``.to_dataset()`` variables (over ``time`` when chained, and the ``by`` dims):
        ``delta_M0``, ``entry``, ``reentry``, ``first_entry``, ``exit``, ``stayers``;
        ``delta_H``, ``H_entry`` (:math:`\pi_{NP}`), ``H_reentry``, ``H_first_entry``,
        ``H_exit`` (:math:`\pi_{PN}`), ``P_e``, ``P_x``, ``H1``, ``H2``, ``M0_1``,
        ``M0_2``; ``A1``, ``A2``, ``delta_A`` and its terms ``intensity_stayers``,
        ``intensity_composition``, ``intensity_entry``, ``intensity_exit``; along
        ``group`` (PP, PN, NP, NN): ``share``, ``mean_score_t1``, ``mean_score_t2``
        (uncensored scores), ``n_obs``; ``mean_score_reentry``,
        ``mean_score_first_entry``; along ``indicator``: ``h_1``, ``h_2``, ``delta_h``,
        ``entry_h``, ``reentry_h``, ``first_entry_h``, ``exit_h``, ``stayers_h``;
        ``n_used`` (units per pair) and, with ``by``, ``population_share``. Empty groups
        give NaN means; a pair without units gives NaN everywhere. Attributes include
        ``balance``, ``n_used`` (units used in at least one pair), ``n_dropped``,
        ``n_no_weight`` and ``n_unbalanced``.

    Raises
    ------
    ValidationError
        ``start``/``end`` not waves or not increasing, unknown ``balance``, bad ``spec``.
    DataError
        Malformed panel, weight or groups; a ``history`` variable that is not boolean.

    References
    ----------
    Alkire, S., Foster, J. E., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P. (2015).
    *Multidimensional Poverty Measurement and Analysis*, §9.3.4. Oxford University Press.

    Apablaza, M. and Yalonetzky, G. (2013). Decomposing multidimensional poverty dynamics.
    Young Lives Working Paper 101.

    Examples
    --------
    >>> import mpi
    >>> panel = mpi.datasets.load("registry_panel", format="xarray")
    >>> res = mpi.decompose_change(panel, mpi.presets.china_2b3g(), weight="weight")
    >>> ds = res.to_dataset()
    >>> bool(abs(ds.delta_M0 - (ds.entry - ds.exit + ds.stayers)) < 1e-12)
    True
    """
    check_balance(balance, DECOMPOSE_BALANCE)
    if not isinstance(chained, bool | np.bool_):
        raise ValidationError(f"chained must be True or False; got {chained!r}")
    states = panel_states(panel, spec, k=k, weight=weight, by=by, unit=unit, time=time, min_waves=2)
    lay = states.layout
    reserved = {"group", "indicator", "start", "end", str(lay.time_dim)}
    clash = [b for b in states.by if b in reserved]
    if clash:
        raise ValidationError(
            f"by variable(s) {clash} clash with the result's dimensions/coordinates "
            f"{sorted(reserved)}; rename them first, e.g. panel.rename({{{clash[0]!r}: ...}})"
        )
    i1, i2, t1, t2 = _pairs(start, end, chained, lay)
    if history is not None and isinstance(panel, PanelStates):
        _history(panel, history, states)  # raises: the flags are a variable of the panel
    if history is not None:
        static_column(panel, history, lay, "history")

    def block_stats(ps: PanelStates, block: xr.Dataset) -> tuple[np.ndarray, ...]:
        hist = _history(block, history, ps)
        return decomposition_statistics(ps, t1, t2, balance=balance, history=hist)

    hnames = [] if history is None else [history]
    stats, counts, info = block_sums(
        states, block_stats, extra=panel if hnames else None, extra_names=hnames, with_block=True
    )
    d = len(states.spec)
    n_used = int(info[kdec.USED])
    attrs = panel_attrs(
        states,
        title=_TITLE,
        references=REFERENCES,
        balance=balance,
        n_used=n_used,
        n_dropped=lay.n_units - n_used,
        n_no_weight=int(info[kdec.NO_WEIGHT]),
        n_unbalanced=int(info[kdec.UNBALANCED]),
        chained=str(bool(chained)).lower(),
        start=float(lay.years[i1]),
        end=float(lay.years[i2]),
        history=str(history) if history is not None else "none",
        sign_convention="delta_M0 = entry - exit + stayers; exit terms are positive magnitudes",
        left_censoring=(
            "re-entrants are entrants poor at an observed earlier wave of the panel"
            + (" or flagged by history" if history is not None else "")
            + "; poverty before the first wave is unknown"
        ),
    )
    total = stats.sum(0, keepdims=True)
    tcounts = counts.sum(0, keepdims=True)
    fin_all = decomposition_measures(total, tcounts, states.denom, d)
    ds_all = _dataset(
        fin_all, states, grouped=False, chained=chained, pairs=(t1, t2), attrs=dict(attrs)
    )
    overall = DecompositionResult(ds_all, states)
    if not states.by:
        return overall
    fin = decomposition_measures(stats, counts, states.denom, d)
    fin["population_share"] = ratio(stats[..., kdec.SUMW].sum(-1), total[..., kdec.SUMW].sum(-1))
    ds = _dataset(fin, states, grouped=True, chained=chained, pairs=(t1, t2), attrs=dict(attrs))
    return DecompositionResult(ds, states, overall=overall)


def _pairs(
    start: Any, end: Any, chained: bool, lay: PanelLayout
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Wave indices of ``start`` and ``end`` and the first / second wave of each pair."""
    i1 = 0 if start is None else _wave_index(start, lay.years, "start", lay.time_dim)
    i2 = lay.n_waves - 1 if end is None else _wave_index(end, lay.years, "end", lay.time_dim)
    if i1 >= i2:
        raise ValidationError(
            f"start must be an earlier wave than end; got start={lay.years[i1]:g}, "
            f"end={lay.years[i2]:g}. Swap them or pick other waves"
        )
    if chained:
        t1 = np.arange(i1, i2, dtype=np.int64)
        t2 = t1 + 1
    else:
        t1 = np.array([i1], np.int64)
        t2 = np.array([i2], np.int64)
    return i1, i2, t1, t2


def _history(panel: Any, history: Hashable | None, states: PanelStates) -> np.ndarray:
    """The ``history`` flags per unit (zeros without ``history``)."""
    if history is None:
        return np.zeros(states.layout.n_units, np.uint8)
    if isinstance(panel, PanelStates):
        raise ValidationError(
            "history= reads a variable of the panel; pass the panel (not PanelStates) to use it"
        )
    return _history_flags(panel, history, states)


def decomposition_statistics(
    states: PanelStates,
    t1: np.ndarray,
    t2: np.ndarray,
    *,
    balance: str = "balanced",
    history: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Additive statistics of :func:`decompose_change` (see :mod:`mpi.kernels.decompose`).

    Returns ``stats[n_cells, P, 5, 3 + 2d]``, ``counts[n_cells, P, 5]`` and
    ``info[3]`` (units without weight, dropped by the balance policy, used).
    """
    check_balance(balance, DECOMPOSE_BALANCE)
    n = states.layout.n_units
    hist = np.zeros(n, np.uint8) if history is None else np.ascontiguousarray(history, np.uint8)
    n_chunks = parallel_chunks(n)
    return kdec.decompose_statistics(
        states.state,
        states.num,
        states.pattern,
        states.weight,
        states.cell,
        hist,
        np.ascontiguousarray(t1, np.int64),
        np.ascontiguousarray(t2, np.int64),
        balance == "balanced",
        states.n_cells,
        len(states.spec),
        n_chunks,
    )

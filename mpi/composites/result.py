"""The result of :func:`mpi.composite`: a composite index, unit by unit, with its parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.composites.uncertainty import method_doc
from mpi.composites.uncertainty import uncertainty as run_uncertainty
from mpi.composites.uncertainty_result import CompositeUncertaintyResult
from mpi.errors import ValidationError

__all__ = ["CompositeResult", "GROUP_COUNTS", "frame_column", "variable_attrs"]

#: Count columns of :meth:`CompositeResult.groups` (after the means).
GROUP_COUNTS = ("n_units", "n_dropped", "weight_total")
#: Per-unit columns of :meth:`CompositeResult.to_frame` that are not dimension names.
_UNIT_COLUMNS = ("index", "rank", "dropped", "weight")
_PREFIXES = ("score_", "contribution_", "share_", "dimension_")
#: Rows of the summary's tables of units (top and bottom) and of groups.
TOP = 10
MAX_GROUPS = 40


def frame_column(dimension: str) -> str:
    """Column of a dimension's score in :meth:`CompositeResult.to_frame` and ``groups()``.

    Parameters
    ----------
    dimension
        A dimension name.

    Returns
    -------
    str
        The name itself, or ``"dimension_<name>"`` when the name is one of the other columns
        (``index``, ``rank``, ``n_units`` ...) or starts like them (``score_`` ...).
    """
    taken = dimension in (*_UNIT_COLUMNS, *GROUP_COUNTS) or dimension.startswith(_PREFIXES)
    return f"dimension_{dimension}" if taken else dimension


class CompositeResult(ResultBase):
    """A composite index (:func:`mpi.composite`): index, ranks, scores and contributions.

    :meth:`to_dataset` has the dim ``unit`` (coordinate: the unit ids), ``dimension`` and
    ``indicator``, with ``index``, ``rank`` (1 = highest, ties share the lowest rank, NaN for
    a dropped unit), ``dropped`` (bool), ``dimension_score`` (unit x dimension),
    ``indicator_score``, ``contribution`` and ``share`` (unit x indicator; the contributions
    of a unit sum to its index, the shares to 1) and ``weight`` when a weight was given; the
    attributes hold the spec's name, title and source, the method and the counts
    (``n_units``, ``n_dropped``, ``n_missing_weight``, ``n_missing_group``, and per indicator
    ``n_capped_<i>``, ``n_imputed_<i>``, ``n_below_<i>``, ``n_above_<i>``, ``n_floored_<i>``;
    ``n_floored_dimension_<d>`` and their total ``n_floored``).

    The index has no sampling error (the units are taken as the population):
    :attr:`has_inference` is False. Rank uncertainty over the method's choices is
    :func:`mpi.composites.uncertainty` (it uses :attr:`plan`).

    Parameters
    ----------
    data
        The Dataset described above (kept, not copied).
    ids
        The unit ids, the index of :meth:`to_frame`.
    groups
        The weighted group means (:meth:`groups`), overall row last.
    by
        The ``by`` variable names (empty without groups).
    plan
        The engine's :class:`~mpi.composites.engine.Plan` of the computation.
    spec
        The :class:`~mpi.composites.spec.CompositeSpec`.
    """

    title = "Composite index"
    call = "mpi.composite"

    def __init__(
        self,
        data: xr.Dataset,
        *,
        ids: pd.Index,
        groups: pd.DataFrame,
        by: Sequence[str],
        plan: Any,
        spec: Any,
    ) -> None:
        self._ds = data
        self._ids = ids
        self._groups = groups
        self._by = list(by)
        #: The engine's plan (transformed values, goalposts, weights): the point computation
        #: is ``engine.evaluate(result.plan)``; the uncertainty analysis varies its choices.
        self.plan = plan
        #: The :class:`~mpi.composites.spec.CompositeSpec` of the index.
        self.spec = spec

    def _data(self) -> xr.Dataset:
        return self._ds

    def __getitem__(self, name: str) -> xr.DataArray:
        """One variable of the result (``res["rank"]``), a copy."""
        return self._ds[name].copy(deep=True)

    @property
    def index(self) -> pd.Series:
        """The index of every unit (NaN for a dropped unit), indexed by the unit ids.

        Returns
        -------
        pandas.Series
            Named ``"index"``.
        """
        return pd.Series(self._ds["index"].to_numpy().copy(), index=self._ids, name="index")

    @property
    def by(self) -> list[str]:
        """The ``by`` variables of the call (empty without groups)."""
        return list(self._by)

    # -- tables -----------------------------------------------------------------------------
    def _dimension_columns(self) -> dict[str, str]:
        return {str(d): frame_column(str(d)) for d in self._ds["dimension"].values}

    def _unit_columns(self) -> dict[str, tuple[str, Any]]:
        """Column name -> (variable, selection) of every column :meth:`to_frame` can give."""
        ds = self._ds
        out: dict[str, tuple[str, Any]] = {
            name: (name, None) for name in _UNIT_COLUMNS if name in ds
        }
        out |= {col: ("dimension_score", d) for d, col in self._dimension_columns().items()}
        for var, prefix in (
            ("indicator_score", "score_"),
            ("contribution", "contribution_"),
            ("share", "share_"),
        ):
            out |= {f"{prefix}{i}": (var, str(i)) for i in ds["indicator"].values}
        return out

    def to_frame(
        self, variables: Sequence[str] | None = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """One row per unit, indexed by the unit ids (``table.join(result.to_frame())``).

        Parameters
        ----------
        variables
            Columns to give, from ``index``, ``rank``, ``dropped``, ``weight`` (when a
            weight was given), the dimension names (their scores; ``dimension_<name>`` for
            a name taken by another column), ``score_<indicator>``,
            ``contribution_<indicator>`` and ``share_<indicator>``. Default: ``index``,
            ``rank`` and the dimension scores.
        level
            Unused (the index has no sampling error); kept for the common interface.

        Returns
        -------
        pandas.DataFrame
            Indexed by the unit ids: the table's index, the Dataset's coordinate or the
            ``id`` column (units left out for a missing weight are not in it).

        Raises
        ------
        ValidationError
            For a column that the result does not have.
        """
        available = self._unit_columns()
        if variables is None:
            names = ["index", "rank", *self._dimension_columns().values()]
        elif isinstance(variables, str):
            names = [variables]
        else:
            names = [str(v) for v in variables]
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ValidationError(
                f"variables: {unknown} are not columns of the result; available: "
                f"{', '.join(available)}"
            )
        cols = {}
        for name in names:
            var, sel = available[name]
            da = self._ds[var] if sel is None else self._ds[var].sel({_sel_dim(var): sel})
            cols[name] = da.to_numpy().copy()
        return pd.DataFrame(cols, index=self._ids.copy())

    def groups(self, *, overall: bool = True) -> pd.DataFrame:
        """Weighted means by group: index, dimension and indicator scores, with counts.

        Parameters
        ----------
        overall
            Add the overall row (all units), labelled ``"all"``, last.

        Returns
        -------
        pandas.DataFrame
            One row per combination of the ``by`` variables that occurs (sorted), indexed
            by them; columns ``index``, the dimension scores (named as in
            :meth:`to_frame`), ``score_<indicator>``, ``n_units`` (units measured),
            ``n_dropped`` (dropped by the missing-value rule) and ``weight_total`` (their
            total weight). Without ``by``: the overall row only. The means are
            :math:`\\bar y_g = \\sum_{i \\in g} w_i y_i / \\sum_{i \\in g} w_i` over the
            units measured (an indicator score over the units that have it).
        """
        out = self._groups.copy(deep=True)
        return out if overall or not self._by else out.iloc[:-1]

    def uncertainty(
        self,
        *,
        draws: int = 1000,
        normalisation: Sequence[str] | None = None,
        weights: float | Mapping[str, float] | None = None,
        aggregation: Sequence[str] | None = None,
        goalposts: float | None = None,
        sobol: bool = True,
        seed: int = 0,
        bootstrap: int = 200,
        progress: bool | None = None,
    ) -> CompositeUncertaintyResult:
        return run_uncertainty(
            self,
            draws=draws,
            normalisation=normalisation,
            weights=weights,
            aggregation=aggregation,
            goalposts=goalposts,
            sobol=sobol,
            seed=seed,
            bootstrap=bootstrap,
            progress=progress,
        )

    uncertainty.__doc__ = method_doc()  # the function's docstring, without ``result``

    def _grouped(self) -> xr.Dataset | None:
        if not self._by:
            return None
        g = self._groups.iloc[:-1]
        dims = [str(d) for d in self._ds["dimension"].values]
        inds = [str(i) for i in self._ds["indicator"].values]
        cols = self._dimension_columns()
        ds = xr.Dataset(
            {
                "index": ("group", g["index"].to_numpy()),
                "dimension_score": (("group", "dimension"), g[[cols[d] for d in dims]].to_numpy()),
                "indicator_score": (
                    ("group", "indicator"),
                    g[[f"score_{i}" for i in inds]].to_numpy(),
                ),
                **{c: ("group", g[c].to_numpy()) for c in GROUP_COUNTS},
            },
            coords={"dimension": dims, "indicator": inds},
        )
        if isinstance(g.index, pd.MultiIndex):
            coords = xr.Coordinates.from_pandas_multiindex(g.index, "group")
            ds = ds.assign_coords(coords).unstack("group")
        else:
            ds = ds.assign_coords(group=np.asarray(g.index)).rename(group=self._by[0])
        for name, da in ds.data_vars.items():
            da.attrs.update(self._ds[name].attrs if name in self._ds else variable_attrs(str(name)))
        ds.attrs.update({k: v for k, v in self._ds.attrs.items() if not k.startswith("n_")})
        return ds

    # -- summary ----------------------------------------------------------------------------
    def _title(self, lang: str) -> str:
        return text("composite.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        spec = text("composite.value.spec", lang, name=a["spec"], title=a["title"] or "-")
        counts = text(
            "composite.value.spec_counts",
            lang,
            n_indicators=self._ds.sizes["indicator"],
            n_dimensions=self._ds.sizes["dimension"],
        )
        mean = text(f"composite.mean.{a['mean']}", lang)
        if a["floor"] != "none":
            mean = text("composite.value.floor", lang, mean=mean, floor=float(a["floor"]))
        weight = a["weight"] or text("composite.value.equal_weights", lang)
        overall = self._groups["index"].iloc[-1]
        lines = [
            (text("composite.header.spec", lang), f"{spec} ({counts})"),
            (
                text("composite.header.units", lang),
                text("composite.value.units", lang, n=a["n_units"], ranked=a["n_ranked"]),
            ),
            (
                text("composite.header.dropped", lang),
                text(
                    "composite.value.dropped",
                    lang,
                    n=a["n_dropped"],
                    rule=text(f"composite.missing.{a['missing']}", lang),
                    weight=a["n_missing_weight"],
                ),
            ),
            (text("composite.header.weight", lang), str(weight)),
            (
                text("composite.header.normalisation", lang),
                text(f"composite.normalisation.{a['normalisation']}", lang),
            ),
            (text("composite.header.mean", lang), mean),
            (text("composite.header.scale", lang), f"{a['scale']:g}"),
            (text("composite.header.index_mean", lang), f"{overall:.4f}"),
        ]
        if self._by:
            value = text(
                "composite.value.groups",
                lang,
                names=", ".join(self._by),
                n=len(self._groups) - 1,
                missing=a["n_missing_group"],
            )
            lines.append((text("composite.header.groups", lang), value))
        return lines

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        frame = self.to_frame()
        ranked = frame[frame["rank"].notna()]
        order = np.lexsort((np.arange(len(ranked)), ranked["rank"].to_numpy()))
        ranked = ranked.iloc[order][["rank", "index", *frame.columns[2:]]]
        ranked = ranked.assign(rank=ranked["rank"].astype(np.int64))
        if len(ranked) <= 2 * TOP:
            out = [(text("composite.table.ranked", lang), label_table(ranked, lang))]
        else:
            out = [
                (text("composite.table.top", lang, n=TOP), label_table(ranked.iloc[:TOP], lang)),
                (
                    text("composite.table.bottom", lang, n=TOP),
                    label_table(ranked.iloc[-TOP:], lang),
                ),
            ]
        if self._by:
            cols = ["index", *self._dimension_columns().values(), *GROUP_COUNTS]
            g = self._groups[cols]
            if len(g) - 1 > MAX_GROUPS:
                g = pd.concat([g.iloc[:MAX_GROUPS], g.iloc[-1:]])
            g = g.rename(index={text("composite.overall", "en"): text("composite.overall", lang)})
            out.append((text("composite.table.groups", lang), label_table(g, lang)))
        return out

    def _notes(self, lang: str) -> list[str]:
        a = self._ds.attrs
        inds = [str(i) for i in self._ds["indicator"].values]
        dims = [str(d) for d in self._ds["dimension"].values]

        def counts(prefix: str, names: list[str], key: str = "{}") -> tuple[int, str]:
            pairs = [(n, int(a.get(f"{prefix}{key.format(n)}", 0))) for n in names]
            pairs = [(n, c) for n, c in pairs if c]
            detail = "; ".join(
                text("result.value.name_count", lang, name=n, count=f"{c:,}") for n, c in pairs
            )
            return sum(c for _, c in pairs), detail

        notes = []
        for what, key in (("n_capped_", "capped"), ("n_imputed_", "imputed")):
            n, detail = counts(what, inds)
            if n:
                notes.append(text(f"composite.note.{key}", lang, n=n, detail=detail))
        below, _ = counts("n_below_", inds)
        above, _ = counts("n_above_", inds)
        if below or above:
            detail = "; ".join(
                text(
                    "composite.value.below_above",
                    lang,
                    name=i,
                    below=int(a[f"n_below_{i}"]),
                    above=int(a[f"n_above_{i}"]),
                )
                for i in inds
                if a[f"n_below_{i}"] or a[f"n_above_{i}"]
            )
            key = "clipped" if a["clip"] == "true" else "beyond"
            notes.append(
                text(f"composite.note.{key}", lang, below=below, above=above, detail=detail)
            )
        n_ind, d_ind = counts("n_floored_", inds)
        n_dim, d_dim = counts("n_floored_dimension_", dims)
        if n_ind or n_dim:
            detail = "; ".join(d for d in (d_ind, d_dim) if d)
            floor = float(a["floor"])
            notes.append(
                text("composite.note.floored", lang, floor=floor, n=n_ind + n_dim, detail=detail)
            )
        if self._by and len(self._groups) - 1 > MAX_GROUPS:
            notes.append(
                text("composite.note.groups_shown", lang, shown=MAX_GROUPS, n=len(self._groups) - 1)
            )
        notes.append(text("composite.note.population", lang))
        return notes

    def __repr__(self) -> str:
        a = self._ds.attrs
        index = self._ds["index"].to_numpy()
        spread = ""
        if np.isfinite(index).any():
            spread = (
                f" index: min={np.nanmin(index):.4g} mean={self._groups['index'].iloc[-1]:.4g}"
                f" max={np.nanmax(index):.4g}"
            )
        by = f" by={self._by}" if self._by else ""
        return (
            f"<CompositeResult spec={a['spec']!r} units={a['n_units']} dropped={a['n_dropped']} "
            f"normalisation={a['normalisation']} mean={a['mean']}{by}{spread}>"
        )


def _sel_dim(var: str) -> str:
    return "dimension" if var == "dimension_score" else "indicator"


def variable_attrs(name: str) -> dict[str, str]:
    """CF-style attributes of a variable of the result: ``long_name`` and ``units``.

    Parameters
    ----------
    name
        A variable of :meth:`CompositeResult.to_dataset` or :meth:`CompositeResult.by_group`.

    Returns
    -------
    dict
        ``long_name`` (English, from the label catalogue) and ``units`` (``"1"``:
        dimensionless) for the index, ranks, scores, contributions and shares.
    """
    out = {"long_name": text(f"composite.var.{name}", "en")}
    if name in ("index", "rank", "dimension_score", "indicator_score", "contribution", "share"):
        out["units"] = "1"
    return out

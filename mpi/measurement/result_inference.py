"""Standard errors, confidence intervals and covariances of :class:`mpi.MeasureResult`."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.dist import t_ppf
from mpi.errors import ValidationError
from mpi.measurement.cell_totals import Inference
from mpi.measurement.change import ChangeResult, change
from mpi.measurement.estimands import ESTIMANDS, PROPORTIONS, estimates
from mpi.measurement.finalize import CELL_DIM, VARIABLE_ATTRS
from mpi.survey.design import ReplicateDesign
from mpi.survey.estimate import PSU, Estimate, standard_errors
from mpi.survey.hypothesis import WaldTest, pairwise, wald_test

__all__ = ["InferenceMixin", "confidence_interval"]


def confidence_interval(
    value: xr.DataArray,
    se: xr.DataArray,
    df: xr.DataArray | int,
    *,
    level: float,
    logit: bool,
) -> xr.DataArray:
    """Wald or logit-transformed t interval; returns a DataArray with dim ``bound``.

    The logit interval is :math:`\\operatorname{expit}\\big(\\operatorname{logit}\\hat p \\pm
    t_{df}\\, \\widehat{se}/(\\hat p(1-\\hat p))\\big)` (R ``svyciprop(method="logit")``,
    Stata ``mpitb``); it stays inside (0, 1). An estimate with zero standard error gets the
    degenerate interval ``[p, p]``.
    """
    if not 0 < level < 1:
        raise ValidationError(f"level must be in (0, 1), e.g. 0.95; got {level!r}")
    df_arr = xr.DataArray(df) if not isinstance(df, xr.DataArray) else df
    dfv = df_arr.where(df_arr > 0)
    t = xr.apply_ufunc(lambda d: t_ppf(0.5 + level / 2, d), dfv)
    if logit:
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = (value > 0) & (value < 1)
            lg = np.log(value / (1 - value))
            half = t * se / (value * (1 - value))
            lo = (1 / (1 + np.exp(-(lg - half)))).where(inside)
            hi = (1 / (1 + np.exp(-(lg + half)))).where(inside)
        flat = se == 0
        lo = xr.where(flat, value, lo)
        hi = xr.where(flat, value, hi)
    else:
        lo, hi = value - t * se, value + t * se
    out = xr.concat([lo, hi], dim=pd.Index(["lower", "upper"], name="bound"))
    return out.transpose("bound", ...)


class InferenceMixin:
    """Design-based inference on top of the additive statistics (needs ``design=``).

    The class it is mixed into (:class:`~mpi.MeasureResult`) provides these read-only
    attributes: ``statistics``, ``inference``, ``spec``, ``missing``, ``k_dim``, ``by``,
    ``cell_dims``, ``above_severe`` and ``missing_group_statistics``.
    """

    statistics: xr.Dataset
    inference: Inference | None
    spec: Any
    missing: str
    k_dim: bool
    by: list[str]
    cell_dims: list[str]
    above_severe: np.ndarray | None
    missing_group_statistics: xr.Dataset | None

    @property
    def has_design(self) -> bool:
        """Whether the result was computed with a survey design (and so has SEs)."""
        return self.inference is not None

    @cached_property
    def _estimates(self) -> dict[str, Estimate]:
        return estimates(
            self.statistics,
            self.inference,
            self.spec,
            missing=self.missing,
            k_dim=self.k_dim,
            cell_dims=self.cell_dims,
            above_severe=self.above_severe,
            missing_group=self.missing_group_statistics,
        )

    def estimate(self, name: str) -> Estimate:
        """One estimand as an :class:`~mpi.Estimate` (value plus linearisation or
        replicates), for derived quantities with correct standard errors.

        Parameters
        ----------
        name : str
            An estimand: a variable of :attr:`se`, or ``absolute_contribution``.

        Returns
        -------
        Estimate
            Its value (dims as in :meth:`to_dataset`) and perturbations.

        Examples
        --------
        >>> import warnings, mpi
        >>> warnings.simplefilter("ignore", mpi.MissingDataWarning)
        >>> df = mpi.datasets.load("dhs_rounds")
        >>> res = mpi.measure(df, mpi.presets.global_mpi_2018(), by="round",
        ...                   design=mpi.Design("weight", strata="stratum", psu="psu"))
        >>> m0 = res.estimate("M0")
        >>> gap = m0.sel(round=2020) - m0.sel(round=2015)   # rounds share PSUs: covariance
        >>> print(f"{float(gap.value):.4f} (se {float(gap.se):.4f})")
        -0.0643 (se 0.0181)
        """
        ests = self._estimates
        if name not in ests:
            raise KeyError(f"{name!r} is not an estimand; choose from {', '.join(ests)}")
        return ests[name]

    @property
    def design(self):
        """The survey design passed to :func:`mpi.measure` (None without one)."""
        return self.inference.design if self.inference is not None else None

    @property
    def df(self) -> int:
        """Design degrees of freedom (PSUs - strata; replicates - 1 for replicate designs)."""
        return self._need_design().engine.df

    def domain_df(self) -> xr.DataArray:
        """Degrees of freedom of every group as a domain: its PSUs minus their strata (as R
        ``degf(subset(design, ...))``).

        Returns
        -------
        xarray.DataArray
            Integer degrees of freedom along the group dims.
        """
        like = self.statistics["SUMW"]
        return self._need_design().domain_df(self.cell_dims, like)

    def _need_design(self) -> Inference:
        """The result's inference; raises when it has no survey design."""
        if self.inference is None:
            raise ValidationError(
                "this result has no survey design; pass design=mpi.Design(weight, strata=..., "
                "psu=...) to mpi.measure to get standard errors"
            )
        return self.inference

    def _with_coords(self, ds: xr.Dataset) -> xr.Dataset:
        return ds.assign_coords(self._coords_for(set(ds.dims)))

    def _coords_for(self, dims: set) -> dict:
        """The estimates' coordinates that lie along ``dims``."""
        base = self._data()  # type: ignore[attr-defined]
        return {c: v.variable for c, v in base.coords.items() if set(v.dims) <= dims}

    @cached_property
    def _se(self) -> xr.Dataset:
        method = self._need_design().engine.kind
        ests = self._estimates
        names = [n for n in ESTIMANDS if n in ests]
        ses = standard_errors([ests[n] for n in names])
        data = {}
        for name, se in zip(names, ses, strict=True):
            base = VARIABLE_ATTRS[name]
            long_name = f"Standard error of {base['long_name'][0].lower()}{base['long_name'][1:]}"
            attrs = {"long_name": long_name, "units": base["units"], "method": method}
            data[name] = xr.Variable(ests[name].dims, se, attrs)
        dims = {d for v in data.values() for d in v.dims}
        return xr.Dataset(data, coords=self._coords_for(dims), attrs=self._design_attrs())

    @property
    def se(self) -> xr.Dataset:
        """Design-based standard errors, one variable per estimand, same shape as the
        estimates in :meth:`to_dataset` (a copy)."""
        return self._se.copy(deep=True)

    def _design_attrs(self) -> dict[str, str]:
        inf = self._need_design()
        eng = inf.engine
        label = getattr(eng, "label", "Taylor linearisation from PSU totals")
        design = inf.design
        if isinstance(design, ReplicateDesign):  # do not list hundreds of weight names
            text = (
                f"ReplicateDesign(weight={design.weight!r}, type={design.type!r}, "
                f"{len(design.replicate_weights)} replicate weights, mse={design.mse})"
            )
        else:
            text = repr(design)
        return {"variance_method": label, "design": text, "design_df": str(eng.df)}

    def ci(
        self,
        level: float = 0.95,
        method: Literal["logit", "wald"] = "logit",
        *,
        df: Literal["design", "domain"] | int = "design",
    ) -> xr.Dataset:
        """Confidence intervals for every estimand, with a ``bound`` dim (lower, upper).

        Parameters
        ----------
        level : float
            Confidence level.
        method : {"logit", "wald"}
            ``"logit"``: for shares (everything except ``intensity_variance``), the
            interval of the logit transform mapped back, so it stays in (0, 1) (R
            ``svyciprop(method="logit")``, Stata ``mpitb``); ``"wald"``: estimate +/- t se.
        df : {"design", "domain"} or int
            Degrees of freedom of the t quantile: the whole design's (Stata's ``svy``
            convention, default), each group's own PSUs minus strata (R's
            ``svyby(..., svyciprop)``), or a number.

        Returns
        -------
        xarray.Dataset
            One variable per estimand with a leading ``bound`` dim (``lower``, ``upper``).
        """
        if method not in ("logit", "wald"):
            raise ValidationError(f"method must be 'logit' or 'wald'; got {method!r}")
        self._need_design()
        if df == "design":
            dfv: xr.DataArray | int = self.df
        elif df == "domain":
            dfv = self.domain_df() if self.by else self.df
        elif isinstance(df, int | np.integer) and df > 0:
            dfv = int(df)
        else:
            raise ValidationError(
                f"df must be 'design', 'domain' or a positive integer; got {df!r}"
            )
        ests = self._estimates
        out = {}
        for name in ESTIMANDS:
            if name not in ests:
                continue
            e = ests[name]
            logit = method == "logit" and name in PROPORTIONS
            out[name] = confidence_interval(e.value, self._se[name], dfv, level=level, logit=logit)
            out[name].attrs.update(
                long_name=f"{level:.0%} confidence interval ({'logit' if logit else 'Wald'}): "
                + VARIABLE_ATTRS[name]["long_name"],
                units="1",
            )
        ds = xr.Dataset(out)
        ds.attrs.update(self._design_attrs(), confidence_level=str(level), ci_method=method)
        return self._with_coords(ds)

    def wald_test(
        self,
        variable: str = "M0",
        over: str | None = None,
        labels: list | None = None,
        *,
        method: Literal["F", "adjusted", "chi2"] = "F",
        **select,
    ) -> WaldTest:
        """Wald test that ``variable`` is equal across the values of ``over``.

        ``over`` defaults to the first ``by`` variable (or ``k``); ``select`` fixes other
        dimensions (e.g. ``k=1/3``, ``indicator="water"``); whatever remains is tested
        jointly. See :func:`mpi.wald_test` for the three methods.

        Parameters
        ----------
        variable : str
            The estimand compared.
        over : str, optional
            The dimension compared (default: the first ``by`` variable, else ``k``).
        labels : sequence, optional
            Values of ``over`` to compare (default: all).
        method : {"F", "adjusted", "chi2"}
            Reference distribution of the statistic (see :func:`mpi.wald_test`).
        **select
            Values of the other dimensions to fix.

        Returns
        -------
        WaldTest
            The statistic, its degrees of freedom, the p-value and the contrasts.

        Examples
        --------
        >>> import pandas as pd, mpi
        >>> df = pd.DataFrame({"d1": [1, 1, 1, 1, 1, 0, 0, 0], "d2": [1, 1, 1, 0, 0, 0, 0, 0],
        ...                    "g": list("AABBAABB"), "s": [1, 1, 1, 1, 2, 2, 2, 2],
        ...                    "psu": [101, 101, 102, 102, 201, 201, 202, 202], "w": 1.0})
        >>> spec = mpi.Spec.from_dimensions({"x": ["d1", "d2"]}, k=0.5)
        >>> res = mpi.measure(df, spec, by="g", design=mpi.Design("w", strata="s", psu="psu"))
        >>> t = res.wald_test("M0", over="g")
        >>> round(t.statistic, 6), round(t.p_value, 6)
        (0.222222, 0.683772)
        """
        over, est = self._compared(variable, over, select)
        return wald_test(est, over, labels, method=method)

    def pairwise(
        self,
        variable: str = "M0",
        over: str | None = None,
        labels: list | None = None,
        *,
        level: float = 0.95,
        **select,
    ) -> pd.DataFrame:
        """Pairwise differences of ``variable`` across ``over`` with SE, t, p and CI
        (see :func:`mpi.pairwise`).

        Parameters
        ----------
        variable : str
            The estimand compared.
        over : str, optional
            The dimension compared (default: the first ``by`` variable, else ``k``).
        labels : sequence, optional
            Values of ``over`` to compare (default: all).
        level : float
            Confidence level of the intervals.
        **select
            Values of the other dimensions to fix.

        Returns
        -------
        pandas.DataFrame
            One row per pair: ``a``, ``b``, ``difference``, ``se``, ``t``, ``p_value``,
            ``lower``, ``upper``.
        """
        over, est = self._compared(variable, over, select)
        return pairwise(est, over, labels, level=level)

    def _compared(self, variable: str, over: str | None, select: dict) -> tuple[str, Estimate]:
        """The dimension compared (default: first ``by`` variable, else ``k``) and the
        estimate with the other dimensions fixed by ``select``."""
        est = self.estimate(variable)
        default = self.cell_dims[0] if self.by else "k"
        return over or default, est.sel(**select) if select else est

    def change(
        self,
        over: str,
        *,
        years: dict | None = None,
        kind: Literal["total", "insequence"] = "total",
        variables: tuple[str, ...] | list[str] = ("M0", "H", "A"),
    ) -> ChangeResult:
        """Changes between rounds with SEs and the decomposition of ΔM0; see
        :func:`mpi.change`.

        Parameters
        ----------
        over : str
            The round variable (one of the ``by`` variables).
        years : mapping, optional
            Calendar year of each round (default: the round values themselves).
        kind : {"total", "insequence"}
            First to last round, or every consecutive pair.
        variables : sequence of str
            Estimands to compare.

        Returns
        -------
        ChangeResult
            The changes, their standard errors and the decomposition.
        """
        return change(self, over, years=years, kind=kind, variables=variables)  # type: ignore[arg-type]

    def vcov(self, variables: str | list[str] = ("H", "A", "M0")) -> pd.DataFrame:  # type: ignore[assignment]
        """Full variance-covariance matrix across estimands, groups and cutoffs.

        Rows and columns are labelled by a MultiIndex ``(variable, <groups…>, k, indicator,
        dimension)`` (levels that do not apply are empty).

        Parameters
        ----------
        variables : str or list of str
            The estimands.

        Returns
        -------
        pandas.DataFrame
            The square covariance matrix.

        Examples
        --------
        >>> import pandas as pd, mpi
        >>> spec = mpi.Spec.from_dimensions({"a": ["a1"], "b": ["b1"]}, k=0.5)
        >>> df = pd.DataFrame({"a1": [1, 0, 1, 0], "b1": [1, 1, 0, 0], "w": 1.0})
        >>> res = mpi.measure(df, spec, design=mpi.Design("w"))
        >>> res.vcov(["H", "M0"]).shape
        (2, 2)
        """
        eng = self._need_design().engine
        names = [variables] if isinstance(variables, str) else list(variables)
        ests = self._estimates
        unknown = [n for n in names if n not in ests]
        if unknown:
            raise ValidationError(
                f"variables {unknown} are not estimands of this result; choose from "
                f"{', '.join(ests)}"
            )
        levels = [*self.by, "k", "indicator", "dimension"]
        cols, vals, labels = [], [], []
        for n in names:
            e = ests[n]
            value = e.value  # a new DataArray at every read of the property: read once
            dims = list(value.dims)
            v, pert = e.flat()
            cols.append(pert)
            vals.append(v)
            # a sparse table's cells by position (their labels are tuples of the by variables)
            cells = value.indexes[CELL_DIM] if CELL_DIM in dims else None
            idx = (
                pd.MultiIndex.from_product(
                    [range(value.sizes[d]) if d == CELL_DIM else value[d].values for d in dims],
                    names=dims,
                )
                if dims
                else [()]
            )
            # one cutoff without a k dim: its value labels every entry
            k_one = float(value["k"]) if "k" not in dims and "k" in value.coords else None
            for key in idx:
                key = key if isinstance(key, tuple) else (key,)
                lab = dict(zip(dims, key, strict=True))
                if cells is not None:
                    lab.update(zip(self.by, cells[lab.pop(CELL_DIM)], strict=True))
                if k_one is not None:
                    lab["k"] = k_one
                labels.append((n, *[lab.get(lv, "") for lv in levels]))
        pert = np.concatenate(cols, axis=1)
        value = np.concatenate(vals)
        mat = eng.matrix(pert) if eng.lead == PSU else eng.matrix(pert, value)
        index = pd.MultiIndex.from_tuples(labels, names=["variable", *levels])
        keep = [i for i, lv in enumerate(levels) if any(lab[i + 1] != "" for lab in labels)]
        if not getattr(self, "k_dim", True):
            keep = [i for i in keep if levels[i] != "k"]
        index = index.droplevel([levels[i] for i in range(len(levels)) if i not in keep])
        return pd.DataFrame(mat, index=index, columns=index)

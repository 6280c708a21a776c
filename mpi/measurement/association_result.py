"""The result of :func:`mpi.association`: pairwise association and redundancy of indicators."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.exact import fraction_text
from mpi._common.labels import spec_text, text
from mpi._common.result import ResultBase, label_table
from mpi._version import __version__
from mpi.errors import ValidationError
from mpi.measurement.spec import Spec

__all__ = ["AssociationResult", "REFERENCES", "PAIR_COLUMNS"]

REFERENCES = (
    "Alkire, S., Foster, J., Seth, S., Santos, M.E., Roche, J.M., Ballon, P. (2015). "
    "Multidimensional Poverty Measurement and Analysis. Oxford University Press, ch. 7 "
    "(redundancy R0). "
    "Suppa, N. (2023). mpitb: A toolbox for multidimensional poverty indices. "
    "The Stata Journal 23(3)."
)

#: Columns of :meth:`AssociationResult.to_frame` after the two indicators.
PAIR_COLUMNS = ["cramers_v", "phi", "redundancy", "both_deprived", "n_obs"]


class AssociationResult(ResultBase):
    """Pairwise association and redundancy of the deprivation indicators of a spec.

    Returned by :func:`mpi.association`. The measures live in an :class:`xarray.Dataset` with
    dimensions ``(indicator, indicator2)``; see :meth:`to_dataset` and :meth:`to_frame`.
    They describe the sample: there are no standard errors (``has_inference`` is False) and
    no groups.

    Attributes
    ----------
    spec : mpi.Spec
        The specification.
    censored : bool
        Whether the deprivations were censored (poor units only).
    k : fractions.Fraction or None
        The poverty cutoff used for censoring (``None`` when uncensored).
    weight : str or None
        Sampling-weight variable.
    missing : str
        ``"pairwise"`` or ``"listwise"`` (always ``"listwise"`` when censored).
    n_units : int
        Units in the data.
    n_dropped : int
        Units used for no indicator (missing values under listwise deletion, a missing
        sampling weight, or no indicator observed).
    history : str
        When and how the result was computed.
    """

    title = "Association between deprivation indicators"
    call = "mpi.association"

    def __init__(
        self,
        dataset: xr.Dataset,
        *,
        spec: Spec,
        censored: bool,
        k: Fraction | None,
        weight: str | None,
        missing: str,
        n_units: int,
        n_dropped: int,
        history: str,
    ) -> None:
        self.spec = spec
        self.censored = censored
        self.k = k
        self.weight = weight
        self.missing = missing
        self.n_units = int(n_units)
        self.n_dropped = int(n_dropped)
        self.history = history
        dataset.attrs.update(
            title=f"Association between deprivation indicators: {spec.name or 'custom spec'}",
            Conventions="CF-1.11",
            institution="xmpi",
            source=f"xmpi {__version__}",
            spec=spec.name or "custom",
            spec_title=spec.title or "",
            deprivations=self._kind,
            k=fraction_text(k) if k is not None else "",
            sampling_weight=weight or "none (equal weights)",
            missing=missing,
            n_units=self.n_units,
            n_dropped=self.n_dropped,
            references=REFERENCES,
            history=history,
        )
        self._ds = dataset

    @property
    def _kind(self) -> str:
        return self._deprivations("en")

    def _deprivations(self, lang: str) -> str:
        """Which deprivations are associated, in ``lang`` (``"uncensored (g_ij)"`` ...)."""
        if self.censored:
            return text("result.value.censored", lang, k=fraction_text(self.k))  # type: ignore[arg-type]
        return text("result.value.uncensored", lang)

    # -- data ----------------------------------------------------------------------------
    def _data(self) -> xr.Dataset:
        return self._ds

    def __getitem__(self, name: str) -> xr.DataArray:
        """One variable of :meth:`to_dataset` (a copy)."""
        return self._ds[name].copy(deep=True)

    @property
    def headcount(self) -> xr.DataArray:
        """Uncensored (or censored) headcount ratio of every indicator."""
        return self["censored_headcount" if self.censored else "uncensored_headcount"]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the pairs ``j < l`` (upper triangle, spec order).

        One row per pair of indicators with every measure of the pair as a column (the
        natural table of this result: there is no single estimate per row, and the measures
        have no standard errors).

        Returns
        -------
        pandas.DataFrame
            Columns ``indicator, indicator2, cramers_v, phi, redundancy, both_deprived,
            n_obs``.
        """
        names = self.spec.names
        j, l_ = np.triu_indices(len(names), k=1)
        data: dict[str, Any] = {
            "indicator": [names[i] for i in j],
            "indicator2": [names[i] for i in l_],
        }
        for name in PAIR_COLUMNS:
            data[name] = self._ds[name].values[j, l_]
        return pd.DataFrame(data)

    # -- presentation ---------------------------------------------------------------------
    def _max(self, name: str) -> tuple[float, str]:
        frame = self.to_frame()
        values = frame[name].to_numpy(dtype=float)
        if not np.isfinite(values).any():
            return float("nan"), ""
        i = int(np.nanargmax(values))
        return float(values[i]), f"{frame['indicator'][i]}/{frame['indicator2'][i]}"

    def _header(self, lang: str) -> list[tuple[str, str]]:
        n_obs = np.diagonal(self._ds["n_obs"].values)

        def label(key: str) -> str:
            return text(f"result.header.{key}", lang)

        spec = spec_text(self.spec.name, len(self.spec), len(self.spec.dimensions), lang)
        used = text(
            "result.value.units_per_indicator",
            lang,
            low=int(n_obs.min()),
            high=int(n_obs.max()),
        )
        return [
            (label("spec"), spec),
            (label("deprivations"), self._deprivations(lang)),
            (label("sampling_weight"), self.weight or text("result.value.none", lang)),
            (label("missing_values"), self.missing),
            (label("units"), f"{self.n_units:,}"),
            (label("units_used"), used),
            (label("units_dropped"), f"{self.n_dropped:,}"),
        ]

    def _pairs(self) -> pd.DataFrame:
        frame = self.to_frame().sort_values("cramers_v", ascending=False, kind="stable")
        return frame.set_index(["indicator", "indicator2"])

    def _indicators(self) -> pd.DataFrame:
        ds = self._ds
        head = "censored_headcount" if self.censored else "uncensored_headcount"
        return pd.DataFrame(
            {
                "dimension": ds["indicator_dimension"].values,
                "headcount": ds[head].values,
                "n_obs": np.diagonal(ds["n_obs"].values),
            },
            index=pd.Index(self.spec.names, name="indicator"),
        )

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        kind = "censored" if self.censored else "uncensored"
        pairs = self._pairs().rename(columns={"redundancy": "R0", "both_deprived": "p11"})
        return [
            (text(f"result.table.{kind}_headcounts", lang), label_table(self._indicators(), lang)),
            (text("result.table.association_pairs", lang), label_table(pairs, lang)),
        ]

    def _no_inference_message(self) -> str:
        return (
            f"this {type(self).__name__} has no standard errors: mpi.association describes "
            "the association in the sample"
        )

    def by_group(self) -> xr.Dataset:
        """Not available: :func:`association` takes no groups.

        Returns
        -------
        xarray.Dataset
            Never; select a group's units and call :func:`association` on them.

        Raises
        ------
        ValidationError
            Always.
        """
        raise ValidationError(
            "by_group() has no groups to give: mpi.association takes no by=; select a "
            "group's units and call mpi.association on them"
        )

    def __repr__(self) -> str:
        v, v_pair = self._max("cramers_v")
        r, r_pair = self._max("redundancy")
        kind = f"censored k={fraction_text(self.k)}" if self.censored else "uncensored"  # type: ignore[arg-type]
        v_txt = f"max V={v:.4f}" + (f" ({v_pair})" if v_pair else "")
        r_txt = f"max R0={r:.4f}" + (f" ({r_pair})" if r_pair else "")
        return (
            f"<mpi.AssociationResult spec={self.spec.name or 'custom'!r}, {kind}, "
            f"{len(self.spec)} indicators, n={self.n_units - self.n_dropped:,}: "
            f"{v_txt}, {r_txt}>"
        )

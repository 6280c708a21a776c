"""A transparent multi-signal hardship score: a composite index over card-record features.

:func:`signal_score` ranks students by a weighted mean of their features' percentile ranks,
category by category (consumption, living habits, study behaviour, background: the four
categories of UESTC's "smart aid" screening). The score is a
:class:`~mpi.composites.spec.CompositeSpec` run through :func:`mpi.composite`, so the
normalisation, the means, the missing-value rule and the Euler contributions (the reasons a
student is listed) are the composite engine's, written once. The default weights are data
(``default_signals.yml`` next to this module, :func:`default_signals`).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mpi._common.labels import text
from mpi._common.result import ResultBase, label_table
from mpi.composites.compute import as_spec, composite
from mpi.composites.result import CompositeResult
from mpi.composites.spec import CompositeSpec
from mpi.errors import ValidationError
from mpi.screening.rules import feature_frame

__all__ = ["default_signals", "signal_score", "SignalScore", "DEFAULT_SIGNALS_FILE"]

#: Share of the highest scores whose mean contributions the summary shows.
TOP_SHARE = 0.1
#: The file of the default spec, in this package.
DEFAULT_SIGNALS_FILE = "default_signals.yml"


def default_signals() -> CompositeSpec:
    """The default spec of :func:`signal_score` (``mpi/screening/default_signals.yml``).

    One dimension per category of features, each an arithmetic mean of the percentile
    ranks (``rank`` normalisation) of its features, oriented by the features' directions in
    :data:`~mpi.screening.features_catalogue.FEATURES` so that a higher score means more
    likely in hardship:

    - consumption (weight 3/5): ``canteen_spending`` (-), ``price_median`` (-),
      ``cheap_meal_share`` (+), ``supermarket_spending`` (-), 1/4 each;
    - living (3/20): ``meals_per_active_day`` (-), ``breakfast_regularity`` (-),
      ``shower_visits`` (-), ``holiday_presence`` (+), 1/4 each;
    - study (1/20): ``library_visits`` (-);
    - background (1/5): ``rural`` (+), ``registered_poor`` (+), 1/2 each.

    Study behaviour weighs little: in the ``campus_card`` data library use hardly depends on
    the budget. Missing values: ``reweight`` (a feature's weight is
    shared among the other features of its category).

    Returns
    -------
    CompositeSpec
        Edit it with :meth:`~mpi.composites.spec.CompositeSpec.replace`, or write it with
        :meth:`~mpi.composites.spec.CompositeSpec.to_yaml`, edit the file and pass the path.
    """
    source = resources.files(__package__).joinpath(DEFAULT_SIGNALS_FILE)
    return CompositeSpec.from_yaml(source.read_text(encoding="utf-8"))


def _renormalised(weights: list[Fraction | float]) -> list[Fraction | float]:
    total = sum(weights, Fraction(0))
    return [w / total for w in weights]


def available_spec(
    spec: CompositeSpec, frame: pd.DataFrame
) -> tuple[CompositeSpec, tuple[str, ...]]:
    """``spec`` without the indicators that ``frame`` lacks or has only missing values for.

    The weights of the remaining indicators of a dimension are rescaled to sum to 1, and so
    are the weights of the remaining dimensions (a dimension left with no indicator goes).

    Parameters
    ----------
    spec : CompositeSpec
        The spec (the default of :func:`signal_score`).
    frame : pandas.DataFrame
        The features.

    Returns
    -------
    tuple
        The spec to run (``spec`` itself when nothing is left out) and the names left out.

    Raises
    ------
    ValidationError
        When no indicator is left.
    """
    absent = tuple(
        i.name for i in spec.indicators if i.name not in frame.columns or frame[i.name].isna().all()
    )
    if not absent:
        return spec, ()
    keep = [i for i in spec.indicators if i.name not in absent]
    if not keep:
        raise ValidationError(
            f"feat: none of the features of the spec {spec.name!r} has a value "
            f"({', '.join(absent)}); compute them with mpi.screening.features or give a spec "
            "over the features you have"
        )
    used = {i.dimension for i in keep}
    dims = [d for d in spec.dimensions if d.name in used]
    dims = [
        dataclasses.replace(d, weight=w)
        for d, w in zip(dims, _renormalised([d.weight for d in dims]), strict=True)
    ]
    inds = []
    for d in dims:
        members = [i for i in keep if i.dimension == d.name]
        for i, w in zip(members, _renormalised([i.weight for i in members]), strict=True):
            inds.append(dataclasses.replace(i, weight=w))
    return spec.replace(indicators=tuple(inds), dimensions=tuple(dims)), absent


def signal_score(feat: Any, spec: CompositeSpec | str | Path | None = None) -> SignalScore:
    """A transparent multi-signal score: higher means more likely in financial hardship.

    Parameters
    ----------
    feat : ScreeningFeatures or pandas.DataFrame
        Features of :func:`mpi.screening.features` (or its ``to_frame()``): one row per
        student (or student and month). Not modified.
    spec : CompositeSpec, str or pathlib.Path, optional
        The score: a composite spec whose indicators are feature names, with direction
        ``+`` for a feature whose higher values suggest hardship and ``-`` for the opposite
        (a YAML path or text with ``kind: composite`` works too). Default:
        :func:`default_signals`, without the features that ``feat`` lacks or has no value
        for (e.g. the background features when ``features`` had no ``students``; their
        weight goes to the other features of the category, or to the other categories: see
        :func:`available_spec`; listed in :attr:`SignalScore.left_out`). A spec you give is
        run as it is.

    Returns
    -------
    SignalScore
        ``scores``, ``contributions`` (the reasons), ``spec`` and ``composite``.

    Raises
    ------
    ValidationError
        For features without a column of the spec, a bad spec, or a feature that is not
        numeric (from :func:`mpi.composite`).

    Warns
    -----
    MissingDataWarning
        When a student has no value for any feature of a category (no score; from
        :func:`mpi.composite`).

    Notes
    -----
    With the spec's normalisation (default ``rank``: the percentile rank
    :math:`s_{ij} = (r_{ij} - 1)/(n_j - 1)` of :math:`d_j x_{ij}` among the :math:`n_j`
    students with a value, average ranks for ties, :math:`d_j` the direction), category
    weights :math:`W_g` and feature weights :math:`w_j` (summing to 1 in each category), the
    score is

    .. math:: S_i = \\sum_g W_g \\sum_{j \\in g} w_j s_{ij}

    and feature :math:`j` contributes :math:`c_{ij} = W_g w_j s_{ij}` (Euler contributions
    of :func:`mpi.composite`), so :math:`\\sum_j c_{ij} = S_i`. A missing value: the
    feature's weight is shared among the category's other features (``missing: reweight``).
    The score is relative (ranks within the students scored): compare students scored
    together.

    References
    ----------
    OECD and JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User
    Guide*. OECD Publishing, Paris.

    Examples
    --------
    >>> import pandas as pd
    >>> from mpi.composites.spec import CompositeIndicator, CompositeSpec
    >>> feat = pd.DataFrame({"canteen_spending": [150.0, 400.0, 300.0],
    ...                      "cheap_meal_share": [0.5, 0.1, 0.2]},
    ...                     index=pd.Index([1, 2, 3], name="student_id"))
    >>> spec = CompositeSpec("demo", [
    ...     CompositeIndicator("canteen_spending", "consumption", "1/2", "-"),
    ...     CompositeIndicator("cheap_meal_share", "consumption", "1/2", "+")],
    ...     normalisation="rank")
    >>> signal_score(feat, spec).scores.tolist()
    [1.0, 0.0, 0.5]
    """
    frame = feature_frame(feat)
    left_out: tuple[str, ...] = ()
    if spec is None:
        run, left_out = available_spec(default_signals(), frame)
    else:
        run = as_spec(spec)
    result = composite(frame, run)
    return SignalScore(result, left_out=left_out)


class SignalScore(ResultBase):
    """The result of :func:`signal_score`: scores and their reasons (contributions).

    :meth:`to_dataset` has the dims ``student`` (the ids of the features' rows) and
    ``feature``, with ``score`` (NaN for a student without a score), ``contribution``
    (student x feature: the Euler contributions, summing to the score) and ``category_score``
    (student x category), and the spec's name and counts in its attributes.

    Parameters
    ----------
    result : CompositeResult
        The composite index of the features.
    left_out : tuple of str
        Features of the default spec left out (not in the features, or all missing).
    """

    title = "Multi-signal hardship score"
    call = "mpi.screening.signal_score"
    takes_groups = False

    def __init__(self, result: CompositeResult, *, left_out: tuple[str, ...] = ()) -> None:
        #: The :class:`~mpi.composites.result.CompositeResult` (index, ranks, scores, groups).
        self.composite = result
        #: Features of the default spec left out (absent or all missing).
        self.left_out = tuple(left_out)
        frame = result.to_frame(
            ["index", *(f"contribution_{n}" for n in result.spec.indicator_names)]
        )
        self._ids = frame.index
        self._scores = frame["index"].to_numpy()
        self._contrib = frame.drop(columns="index").to_numpy()
        ds = result.to_dataset()
        attrs = {
            "spec": result.spec.name,
            "n_students": int(ds.attrs["n_units"]),
            "n_scored": int(ds.attrs["n_ranked"]),
            "n_without_score": int(ds.attrs["n_dropped"]),
            "left_out": ", ".join(self.left_out),
        }
        ids = self._ids.to_flat_index() if isinstance(self._ids, pd.MultiIndex) else self._ids
        self._ds = xr.Dataset(
            {
                "score": (("student",), self._scores),
                "contribution": (("student", "feature"), self._contrib),
                "category_score": (("student", "category"), ds["dimension_score"].to_numpy()),
            },
            coords={
                "student": np.asarray(ids),
                "feature": list(result.spec.indicator_names),
                "category": list(result.spec.dimension_names),
            },
            attrs=attrs,
        )

    def _data(self) -> xr.Dataset:
        return self._ds

    @property
    def spec(self) -> CompositeSpec:
        """The spec that was run (the default without the features left out, or yours)."""
        return self.composite.spec

    @property
    def scores(self) -> pd.Series:
        """The score of every student (higher = more likely in hardship; NaN: no score).

        Returns
        -------
        pandas.Series
            Indexed like the features, named ``"signal_score"``.
        """
        return pd.Series(self._scores.copy(), index=self._ids.copy(), name="signal_score")

    @property
    def contributions(self) -> pd.DataFrame:
        """Each feature's contribution to each student's score (the reasons).

        Returns
        -------
        pandas.DataFrame
            Indexed like the features, one column per feature of the spec; a row sums to the
            student's score (NaN for a student without a score).
        """
        return pd.DataFrame(
            self._contrib.copy(), index=self._ids.copy(), columns=list(self.spec.indicator_names)
        )

    def to_frame(self, variables: Any = None, *, level: float = 0.95) -> pd.DataFrame:
        """One row per student: the score and the contributions (``contribution_<feature>``).

        Parameters
        ----------
        variables : sequence of str, optional
            Columns to give (default: all).
        level : float
            Unused (the score has no sampling error); kept for the common interface.

        Returns
        -------
        pandas.DataFrame
            Indexed like the features.
        """
        out = self.contributions.add_prefix("contribution_")
        out.insert(0, "signal_score", self._scores.copy())
        if variables is None:
            return out
        names = [variables] if isinstance(variables, str) else [str(v) for v in variables]
        unknown = [n for n in names if n not in out.columns]
        if unknown:
            raise ValidationError(
                f"variables: {unknown} are not columns; available: {', '.join(out.columns)}"
            )
        return out[names]

    # -- summary ------------------------------------------------------------------------
    def _title(self, lang: str) -> str:
        return text("screening_scores.signal.title", lang)

    def _header(self, lang: str) -> list[tuple[str, str]]:
        a = self._ds.attrs
        return [
            (text("screening_scores.header.spec", lang), a["spec"]),
            (text("screening_scores.header.students", lang), f"{a['n_students']:,}"),
            (text("screening_scores.header.without_score", lang), f"{a['n_without_score']:,}"),
            (
                text("screening_scores.header.normalisation", lang),
                text(f"composite.normalisation.{self.spec.normalisation}", lang),
            ),
        ]

    def _tables(self, lang: str) -> list[tuple[str, pd.DataFrame]]:
        spec = self.spec
        dim_weight = {d.name: float(d.weight) for d in spec.dimensions}
        # mean contributions among the TOP_SHARE highest scores (the students a list takes)
        scored = np.flatnonzero(~np.isnan(self._scores))
        top = scored[np.argsort(-self._scores[scored], kind="stable")]
        top = top[: max(1, int(np.ceil(TOP_SHARE * len(top))))]
        mean_c = (
            self._contrib[top].mean(axis=0) if len(top) else np.full(len(spec.indicators), np.nan)
        )
        table = pd.DataFrame(
            {
                "category": [i.dimension for i in spec.indicators],
                "direction": ["+" if i.direction == 1 else "-" for i in spec.indicators],
                "weight": [dim_weight[i.dimension] * float(i.weight) for i in spec.indicators],
                "mean_contribution": mean_c,
            },
            index=pd.Index(list(spec.indicator_names), name="feature"),
        )
        return [(text("screening_scores.signal.table", lang), label_table(table, lang))]

    def _notes(self, lang: str) -> list[str]:
        notes = [text("screening_scores.signal.note", lang)]
        if self.left_out:
            notes.append(
                text("screening_scores.signal.left_out", lang, names=", ".join(self.left_out))
            )
        return notes

    def __repr__(self) -> str:
        a = self._ds.attrs
        return (
            f"<SignalScore {a['spec']}: {a['n_scored']:,} of {a['n_students']:,} students "
            f"scored, {len(self.spec.indicators)} features>"
        )

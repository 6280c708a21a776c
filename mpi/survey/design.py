"""Survey designs: ``mpi.Design`` (the ``svyset`` of xmpi) and replicate-weight designs.

A design says how the units were sampled, so that :func:`mpi.measure` can give design-based
standard errors. Three kinds exist:

* :class:`Design` -- stratified multi-stage sample described by its first stage (strata,
  primary sampling units, finite-population correction); variances by Taylor linearisation
  from PSU totals of the additive statistics (R ``survey::svydesign``, Stata ``svyset``).
* :meth:`Design.bootstrap` -- the same design with Rao-Wu rescaling bootstrap replicates
  drawn from the PSU totals (R ``as.svrepdesign(type="subbootstrap")``).
* :class:`ReplicateDesign` -- user-supplied replicate weights (JK1, JKn, BRR, Fay,
  bootstrap), as shipped with DHS, ACS and many statistics-office files (R
  ``survey::svrepdesign``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from mpi import kernels
from mpi._common.progress import check_progress
from mpi._common.table import Table
from mpi.errors import DataError, ValidationError

__all__ = ["Design", "BootstrapDesign", "ReplicateDesign", "LONELY_PSU"]

#: Policies for strata with a single PSU (as R ``options(survey.lonely.psu=)``).
LONELY_PSU = ("fail", "adjust", "average", "remove", "certainty")
_REP_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")


@dataclass(frozen=True)
class Design:
    """A stratified cluster sample, described by its first stage.

    Parameters
    ----------
    weight : str or None
        Sampling-weight variable (inverse inclusion probability; person weights for
        person-level measures). ``None``: every unit weighs 1.
    strata : str, optional
        Stratum variable. ``None``: one stratum.
    psu : str, optional
        Primary-sampling-unit (cluster) variable. ``None``: every unit is its own PSU.
    fpc : str, optional
        Finite-population correction, constant within a stratum: either the number of PSUs
        in the stratum's population (values > 1) or the first-stage sampling fraction
        (values in (0, 1]). ``None``: sampling with replacement (no correction).
    lonely_psu : {"fail", "adjust", "average", "remove", "certainty"}
        What to do with a stratum that has one PSU, as R ``survey``: ``"fail"`` raises;
        ``"adjust"`` centres the lone PSU at the mean of all PSU totals instead of its
        stratum mean; ``"average"`` scales the variance of the other strata up by
        ``n_strata / n_strata_with_2+_PSUs``; ``"remove"`` and ``"certainty"`` let the
        stratum contribute no variance.
    nest : bool
        ``True``: PSU labels are only unique within a stratum (PSU 1 of stratum A differs
        from PSU 1 of stratum B). ``False`` (default): a PSU label appearing in two strata is
        an error, as in R.
    rounds : str, optional
        For several survey rounds pooled in one data set: the round variable. Each round is
        then its own sample drawn in the same strata (its PSUs per stratum fixed by the
        design, so a round's standard errors equal those of analysing it alone), and a PSU
        label met in two rounds is a *revisited* cluster: the covariance between rounds is
        estimated from the revisited clusters (Kish's overlapping-samples formula, below).
        Without ``rounds`` the pooled file is one sample and rounds are domains of it (R
        ``svyby`` on the pooled design), which is exact for a panel of PSUs but treats how
        many of a stratum's PSUs fell in each round as random.

    Notes
    -----
    The linearised variance of an estimate :math:`\\hat\\theta` with PSU-level influence
    totals :math:`u_{hi}` (stratum *h*, PSU *i*, :math:`n_h` PSUs, sampling fraction
    :math:`f_h`) is

    .. math::

        \\widehat{V}(\\hat\\theta) = \\sum_h (1-f_h)\\frac{n_h}{n_h-1}
        \\sum_{i=1}^{n_h} (u_{hi} - \\bar u_h)^2

    and the design degrees of freedom are the number of PSUs minus the number of strata.
    With ``rounds``, strata and PSUs are taken per round, and rounds *r* and *s* of
    stratum *h* with :math:`m_h \\ge 2` revisited clusters add the covariance

    .. math::

        \\widehat{C}_h(\\hat\\theta_r, \\hat\\theta_s) = \\frac{m_h}{m_h - 1}
        \\sum_{i \\in r \\cap s} (u_{rhi} - \\bar u_{rh})(u_{shi} - \\bar u_{sh})

    (means over the revisited clusters; Kish 1965, sec. 12.4), scaled by
    :math:`\\sqrt{(1-f_{rh})(1-f_{sh})}` with a finite-population correction.

    References
    ----------
    Wolter, K. M. (2007). *Introduction to Variance Estimation*, 2nd ed. Springer, ch. 6.
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    Kish, L. (1965). *Survey Sampling*. Wiley, sec. 12.4 (overlapping samples).

    Examples
    --------
    >>> import mpi
    >>> mpi.Design("weight", strata="stratum", psu="cluster")
    Design(weight='weight', strata='stratum', psu='cluster', fpc=None, lonely_psu='fail', nest=False, rounds=None)
    """

    weight: str | None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: Literal["fail", "adjust", "average", "remove", "certainty"] = "fail"
    nest: bool = False
    rounds: str | None = None

    def __post_init__(self) -> None:
        if self.lonely_psu not in LONELY_PSU:
            raise ValidationError(
                f"lonely_psu must be one of {', '.join(LONELY_PSU)}; got {self.lonely_psu!r}"
            )
        for arg in ("weight", "strata", "psu", "fpc", "rounds"):
            v = getattr(self, arg)
            if v is not None and (not isinstance(v, Hashable) or isinstance(v, list | tuple)):
                raise ValidationError(f"{arg} must be the name of one variable; got {v!r}")

    @property
    def variables(self) -> list[Hashable]:
        """Design variables that must be in the data."""
        return [
            v for v in (self.weight, self.strata, self.psu, self.fpc, self.rounds) if v is not None
        ]

    def bootstrap(
        self,
        replicates: int = 1000,
        *,
        seed: int | None = None,
        mse: bool = False,
        progress: bool | None = None,
    ) -> BootstrapDesign:
        """The design with Rao-Wu rescaling bootstrap variance (``n_h - 1`` PSUs drawn).

        Replicate *b* multiplies every unit of PSU *i* in stratum *h* by
        :math:`1 - \\lambda_h + \\lambda_h \\frac{n_h}{n_h - 1} r_{hib}` with
        :math:`r_{hib}` the number of times the PSU was drawn and
        :math:`\\lambda_h = \\sqrt{1-f_h}`. Because the statistics are additive, replicates
        are formed from PSU totals, not by re-running the estimator.

        Parameters
        ----------
        replicates
            Number of bootstrap replicates (at least 2).
        seed
            Seed of the random draws (None: not reproducible).
        mse
            Centre the variance on the full-sample estimate (``True``) rather than on the
            replicates' mean.
        progress
            A progress bar over the replicate draws, on stderr: ``None`` when stderr is a
            terminal, ``True`` always, ``False`` never. The estimates are the same either way.

        Returns
        -------
        BootstrapDesign

        References
        ----------
        Rao, J. N. K., Wu, C. F. J. and Yue, K. (1992). Some recent work on resampling
        methods for complex surveys. *Survey Methodology* 18(2), 209-217.
        """
        if not isinstance(replicates, int | np.integer) or replicates < 2:
            raise ValidationError(f"replicates must be an integer >= 2; got {replicates!r}")
        if self.rounds is not None:
            raise ValidationError(
                "the Rao-Wu bootstrap resamples one sample; with rounds= (separate samples "
                "sharing clusters) use the linearised variance or the rounds' replicate weights"
            )
        check_progress(progress)
        return BootstrapDesign(self, int(replicates), seed, bool(mse), progress)


@dataclass(frozen=True)
class BootstrapDesign:
    """A :class:`Design` with Rao-Wu bootstrap variance (made by :meth:`Design.bootstrap`)."""

    design: Design
    replicates: int
    seed: int | None
    mse: bool = False
    progress: bool | None = field(default=None, compare=False)

    @property
    def weight(self) -> str | None:
        """The sampling-weight variable of the design."""
        return self.design.weight

    @property
    def variables(self) -> list[Hashable]:
        """Design variables that must be in the data."""
        return self.design.variables


@dataclass(frozen=True)
class ReplicateDesign:
    """A design given by replicate weights (R ``svrepdesign``).

    Parameters
    ----------
    weight : str
        Full-sample weight variable.
    replicate_weights : list of str
        Replicate weight variables (already including the full-sample weight, as shipped
        in DHS/ACS files).
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "other"}
        Replication method; fixes the variance multiplier: JK1 ``(R-1)/R``, BRR ``1/R``,
        Fay ``1/(R (1-rho)^2)``, bootstrap ``1/(R-1)``; JKn and other need ``rscales``
        (and ``scale``).
    rho : float, optional
        Fay's coefficient (``type="Fay"``), in (0, 1).
    scale, rscales : float, sequence of float, optional
        Overall and per-replicate multipliers, overriding the type's defaults:
        :math:`V = \\text{scale}\\sum_r \\text{rscales}_r(\\hat\\theta_r - \\bar\\theta)^2`.
    mse : bool
        Centre at the full-sample estimate instead of the replicates' mean.

    Examples
    --------
    >>> import mpi
    >>> d = mpi.ReplicateDesign("w", [f"rw{r}" for r in range(1, 5)], type="BRR")
    >>> d.multipliers()
    (0.25, array([1., 1., 1., 1.]))
    """

    weight: str
    replicate_weights: Sequence[str]
    type: str = "JK1"
    rho: float | None = None
    scale: float | None = None
    rscales: Sequence[float] | None = None
    mse: bool = False
    _names: tuple = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        if isinstance(self.replicate_weights, str):
            raise ValidationError(
                "replicate_weights must be a list of variable names, got the single string "
                f"{self.replicate_weights!r}; e.g. [c for c in df if c.startswith('rw')]"
            )
        names = tuple(self.replicate_weights)
        if len(names) < 2:
            raise ValidationError(
                f"replicate_weights needs at least 2 variables; got {list(names)!r}"
            )
        object.__setattr__(self, "_names", names)
        if self.type not in _REP_TYPES:
            raise ValidationError(f"type must be one of {', '.join(_REP_TYPES)}; got {self.type!r}")
        if self.type == "Fay" and (self.rho is None or not 0 < self.rho < 1):
            raise ValidationError(f"type='Fay' needs rho in (0, 1); got rho={self.rho!r}")
        if self.type in ("JKn", "other") and self.rscales is None:
            raise ValidationError(
                f"type={self.type!r} needs rscales (one multiplier per replicate, e.g. "
                "(n_h - 1)/n_h for the stratum of each JKn replicate)"
            )
        if self.rscales is not None and len(self.rscales) != len(names):
            raise ValidationError(
                f"rscales has {len(self.rscales)} values for {len(names)} replicate weights"
            )

    @property
    def variables(self) -> list[Hashable]:
        """Variables that must be in the data: the weight and the replicate weights."""
        return [self.weight, *self._names]

    def multipliers(self) -> tuple[float, np.ndarray]:
        """``(scale, rscales)`` of the variance formula.

        Returns
        -------
        tuple of (float, numpy.ndarray)
            The overall scale (the type's default unless ``scale`` was given) and one
            factor per replicate.
        """
        r = len(self._names)
        default = {
            "JK1": (r - 1) / r,
            "BRR": 1 / r,
            "Fay": 1 / (r * (1 - (self.rho or 0.0)) ** 2),
            "bootstrap": 1 / (r - 1),
            "JKn": 1.0,
            "other": 1.0,
        }[self.type]
        scale = float(self.scale) if self.scale is not None else default
        rscales = (
            np.asarray(self.rscales, dtype=np.float64) if self.rscales is not None else np.ones(r)
        )
        return scale, rscales


@dataclass
class EncodedDesign:
    """The first-stage structure of a design on a particular data set.

    PSUs are numbered ``0 .. n_psu - 1`` sorted by stratum, so each stratum's PSUs are the
    contiguous range ``starts[h] .. starts[h] + n_h[h]``.
    """

    psu: np.ndarray  # PSU number of every unit
    n_psu: int
    psu_stratum: np.ndarray  # stratum of every PSU
    n_h: np.ndarray  # PSUs per stratum
    starts: np.ndarray  # first PSU of each stratum
    fpc_factor: np.ndarray  # 1 - f_h per stratum
    lonely_psu: str
    stratum_labels: np.ndarray
    # multiplier of each stratum's variance term (lonely_psu="average": n / n_ok per round)
    stratum_weight: np.ndarray = field(default_factory=lambda: np.empty(0))
    # rounds: revisited clusters as pairs of PSU numbers (round r, round s) sorted by their
    # group (stratum, r, s); per group its number of clusters m and fpc factor
    overlap_a: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    overlap_b: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    overlap_starts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    overlap_m: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    overlap_f: np.ndarray = field(default_factory=lambda: np.empty(0))
    # the units' PSU numbers never decrease (a file sorted by PSU; not always detected)
    psu_in_order: bool = False

    @property
    def n_strata(self) -> int:
        return len(self.n_h)

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata."""
        return int(self.n_psu - self.n_strata)

    def domain_df(self, psu_mask: np.ndarray) -> int:
        """Degrees of freedom of a domain: its PSUs minus the strata they lie in."""
        psus = np.flatnonzero(psu_mask)
        return int(len(psus) - len(np.unique(self.psu_stratum[psus])))


_INT64_MAX = int(np.iinfo(np.int64).max)


def _int_labels(s: pd.Series) -> np.ndarray | None:
    """``s`` as a contiguous int64 array when its labels are integers that int64 holds
    unchanged (numpy or nullable integer dtype, nothing missing); None otherwise (then
    :func:`_codes` reports missing values or hashes the labels)."""
    if s.dtype.kind not in "iu" or not len(s):
        return None
    if not isinstance(s.dtype, np.dtype) and s.isna().any():
        return None  # pd.NA in a nullable integer column
    if s.dtype.kind == "u" and s.dtype.itemsize == 8 and int(s.max()) > _INT64_MAX:
        return None  # above 2**63 - 1: an int64 cast would wrap labels to negative values
    return np.ascontiguousarray(s.to_numpy(dtype=np.int64))


def _codes(
    s: pd.Series, name: Hashable, role: str, arr: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``0 .. m-1`` of the sorted distinct values of ``s`` and the values; ``arr`` is
    ``s`` already read by :func:`_int_labels`, if the caller has it."""
    if arr is None:
        arr = _int_labels(s)
    if arr is not None:  # integers: codes from a value table, no hashing
        codes, uniques, ok = kernels.dense_codes(arr, 4 * len(arr) + 1024)
        if ok:
            return codes, uniques
    if s.isna().any():  # NaN, None, NaT and pd.NA alike
        raise DataError(
            f"{role} variable {name!r} has {int(s.isna().sum())} missing value(s); every unit "
            f"needs its {role}. Fill them (e.g. a separate stratum) or drop those rows"
        )
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def _psu_error(design: Design, bad: int) -> DataError:
    return DataError(
        f"psu variable {design.psu!r}: {bad} PSU label(s) appear in more than one stratum. "
        "If PSU labels repeat across strata, pass nest=True to mpi.Design; otherwise fix "
        "the labels"
    )


def _simple_first_stage(table: Table, design: Design) -> tuple | None:
    """PSU codes, the stratum code of every PSU, the stratum labels and whether the units
    are sorted by PSU, for the common design (integer strata and PSU labels that int64
    holds, none missing, PSUs not nested, no rounds, no fpc); None for any other design. A
    file sorted by PSU takes one pass over the two columns (:func:`kernels.run_codes`), any
    other two or three."""
    if design.strata is None or design.psu is None or design.nest:
        return None
    if design.rounds is not None or design.fpc is not None:
        return None
    s_col = table.column(design.strata, role="strata")
    p_col = table.column(design.psu, role="psu")
    values = _int_labels(s_col)  # None: labels that need hashing or a missing-value check
    labels = _int_labels(p_col) if values is not None else None
    if values is None or labels is None:
        return None
    psu_raw, first, bad, in_order = kernels.run_codes(labels, values)
    if in_order:  # one code per run of equal labels, in ascending label order
        per_psu = values[first]
    else:
        psu_raw, psu_labels = _codes(p_col, design.psu, "psu", arr=labels)
        per_psu, bad = kernels.psu_values(psu_raw, values, len(psu_labels))  # codes 0 .. m-1
    if bad:
        raise _psu_error(design, bad)
    strata, raw_stratum = np.unique(per_psu, return_inverse=True)
    return psu_raw, raw_stratum.astype(np.int64), strata, in_order


def encode_design(table: Table, design: Design) -> EncodedDesign:
    """Strata, PSUs and fpc of the units, validated (see :class:`EncodedDesign`)."""
    n = table.n
    simple = _simple_first_stage(table, design)
    in_order = False  # units sorted by PSU code (known on the simple path only)
    if simple is not None:  # integer strata and PSU labels: strata read per PSU
        psu_raw, raw_stratum, strat_labels, in_order = simple
        strat = None
        n_rounds = 1
        stratum_round = np.zeros(len(strat_labels), np.int64)
        n_raw = len(raw_stratum)
    else:
        if design.strata is not None:
            strat, strat_labels = _codes(
                table.column(design.strata, role="strata"), design.strata, "strata"
            )
        else:
            strat, strat_labels = np.zeros(n, np.int64), np.array(["(one stratum)"], dtype=object)
        checked = None  # (stratum of each PSU code, PSU codes in 2+ strata) when computed
        if design.psu is not None:
            psu_raw, _ = _codes(table.column(design.psu, role="psu"), design.psu, "psu")
            if design.nest:
                key = strat * (int(psu_raw.max()) + 1) + psu_raw
                psu_raw = pd.factorize(key, sort=True)[0].astype(np.int64)
            else:
                checked = kernels.psu_strata(psu_raw, strat, int(psu_raw.max()) + 1)
                bad = checked[1]
                if bad:
                    raise _psu_error(design, bad)
        else:
            psu_raw = np.arange(n, dtype=np.int64)
        cluster = psu_raw  # the cluster label, shared by the rounds that revisit it
        base_strat, base_labels = strat, strat_labels
        n_rounds = 1
        rnd = np.zeros(n, np.int64)
        stratum_round = np.zeros(len(strat_labels), np.int64)
        if design.rounds is not None:
            rnd, rnd_labels = _codes(
                table.column(design.rounds, role="rounds"), design.rounds, "rounds"
            )
            n_rounds = len(rnd_labels)
            psu_raw = pd.factorize(psu_raw * n_rounds + rnd, sort=True)[0].astype(np.int64)
            combo, present = pd.factorize(strat * n_rounds + rnd, sort=True)  # non-empty only
            strat = combo.astype(np.int64)
            strat_labels = np.array(
                [f"{base_labels[c // n_rounds]} / {rnd_labels[c % n_rounds]}" for c in present],
                dtype=object,
            )
            stratum_round = np.asarray(present % n_rounds, np.int64)
        n_raw = int(psu_raw.max()) + 1 if n else 0
        if checked is not None and design.rounds is None:  # the same PSU codes and strata
            raw_stratum = checked[0]
        else:
            raw_stratum, _ = kernels.psu_strata(psu_raw, strat, n_raw)
    if np.all(raw_stratum[1:] >= raw_stratum[:-1]):  # PSU codes already in stratum order
        psu, psu_stratum = psu_raw, raw_stratum
    else:  # renumber PSUs sorted by stratum
        in_order = False
        order = np.argsort(raw_stratum, kind="stable")
        renum = np.empty(n_raw, np.int64)
        renum[order] = np.arange(n_raw)
        psu = renum[psu_raw]
        psu_stratum = raw_stratum[order]
    n_strata = len(strat_labels)
    n_h = np.bincount(psu_stratum, minlength=n_strata)
    starts = np.concatenate([[0], np.cumsum(n_h)[:-1]]).astype(np.int64)
    fpc_factor = np.ones(n_strata)
    if design.fpc is not None:
        s = table.column(design.fpc, role="fpc")
        if not pd.api.types.is_numeric_dtype(s.dtype) or s.isna().any():
            raise DataError(f"fpc variable {design.fpc!r} must be numeric without missing values")
        v = s.to_numpy(dtype=np.float64)
        per = np.full(n_strata, np.nan)
        per[strat] = v
        if not np.array_equal(per[strat], v):
            raise DataError(f"fpc variable {design.fpc!r} must be constant within each stratum")
        if (per <= 0).any():
            raise DataError(f"fpc variable {design.fpc!r} must be positive; found {per.min():g}")
        frac = np.where(per > 1, n_h / per, per)
        if (frac > 1 + 1e-12).any():
            h = int(np.argmax(frac))
            raise DataError(
                f"fpc variable {design.fpc!r}: stratum {strat_labels[h]!r} has {n_h[h]} sampled "
                f"PSUs but a population of {per[h]:g}; give PSU counts or sampling fractions"
            )
        fpc_factor = 1.0 - frac
    lonely = n_h == 1
    if lonely.any() and design.lonely_psu == "fail":
        labels = [str(x) for x in strat_labels[lonely][:5]]
        raise DataError(
            f"{int(lonely.sum())} stratum/strata have a single PSU (e.g. {', '.join(labels)}); "
            "the variance cannot be estimated there. Pass lonely_psu='adjust', 'average', "
            "'remove' or 'certainty' to mpi.Design, or collapse strata"
        )
    # "average": a lone PSU's stratum gets the mean variance of the other strata of its
    # round (of the design without rounds), i.e. those strata are scaled by n_all / n_ok
    weight_h = np.ones(n_strata)
    if design.lonely_psu == "average" and lonely.any():
        for r in np.unique(stratum_round):
            in_r = stratum_round == r
            n_ok = int((in_r & ~lonely).sum())
            weight_h[in_r] = in_r.sum() / n_ok if n_ok else np.nan
    enc = EncodedDesign(
        psu,
        n_raw,
        psu_stratum,
        n_h,
        starts,
        fpc_factor,
        design.lonely_psu,
        strat_labels,
        stratum_weight=weight_h,
        psu_in_order=in_order,
    )
    if n_rounds > 1:
        _overlaps(enc, cluster, psu, base_strat, rnd, n_rounds)
    return enc


def _overlaps(
    enc: EncodedDesign,
    cluster: np.ndarray,
    psu: np.ndarray,
    stratum: np.ndarray,
    rnd: np.ndarray,
    n_rounds: int,
) -> None:
    """Pairs of PSU numbers that are the same cluster in two rounds, grouped by
    (stratum, round r, round s)."""
    n_cl = int(cluster.max()) + 1
    table = np.full((n_cl, n_rounds), -1, np.int64)  # PSU number of cluster c in round r
    table[cluster, rnd] = psu
    cl_stratum = np.zeros(n_cl, np.int64)
    cl_stratum[cluster] = stratum
    a_parts, b_parts, g_parts = [], [], []
    for r in range(n_rounds):
        for q in range(r + 1, n_rounds):
            both = np.flatnonzero((table[:, r] >= 0) & (table[:, q] >= 0))
            a_parts.append(table[both, r])
            b_parts.append(table[both, q])
            g_parts.append((cl_stratum[both] * n_rounds + r) * n_rounds + q)
    a, b, g = (np.concatenate(x) for x in (a_parts, b_parts, g_parts))
    order = np.argsort(g, kind="stable")
    a, b, g = a[order], b[order], g[order]
    keys, starts, counts = np.unique(g, return_index=True, return_counts=True)
    fa = enc.fpc_factor[enc.psu_stratum[a[starts]]] if len(a) else np.empty(0)
    fb = enc.fpc_factor[enc.psu_stratum[b[starts]]] if len(b) else np.empty(0)
    enc.overlap_a, enc.overlap_b = a, b
    enc.overlap_starts = starts.astype(np.int64)
    enc.overlap_m = counts.astype(np.int64)
    enc.overlap_f = np.sqrt(fa * fb)

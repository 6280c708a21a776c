"""Small-cell suppression of published estimates (:class:`Suppression`).

Statistics offices do not publish an estimate computed from too few sample units, or one
whose sampling error is large relative to the estimate: the cell is suppressed (its value is
replaced by a mark, here "—") or flagged (the value is kept with a mark, here "*"), and a
footnote states the rule. :class:`Suppression` is that rule: :meth:`Suppression.mask` says
which cells it hits, :attr:`Suppression.mark` what replaces or follows them and
:meth:`Suppression.describe` the footnote, in English or Chinese.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from mpi._common.labels import check_lang, text
from mpi.errors import ValidationError

__all__ = ["Suppression", "ACTIONS", "SUPPRESSED_MARK", "FLAG_MARK"]

#: What :class:`Suppression` does to a cell under the rule.
ACTIONS = ("suppress", "flag")
#: Shown instead of a suppressed value.
SUPPRESSED_MARK = "—"
#: Shown after a flagged value.
FLAG_MARK = "*"


def _as_float_array(value: Any, argument: str) -> np.ndarray:
    """``value`` as a float array (pandas' missing values and None become NaN)."""
    if isinstance(value, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        value = pd.array(value).to_numpy(dtype=float, na_value=np.nan)
    elif isinstance(value, pd.DataFrame):
        value = value.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{argument} must be numbers (an array, Series or scalar); got {value!r}"
        ) from None


@dataclass(frozen=True)
class Suppression:
    """The small-cell rule of published tables: which estimates are suppressed or flagged.

    A cell is *hit* when its estimate is based on fewer than ``min_cell`` unweighted units,
    or when its coefficient of variation

    .. math:: \\mathrm{CV} = \\frac{\\widehat{se}}{|\\hat\\theta|}

    is above ``max_cv``. A hit cell is suppressed (``action="suppress"``: the value is
    replaced by "—") or flagged (``action="flag"``: the value is kept and followed by "*").
    Either criterion may be switched off with ``None``.

    Parameters
    ----------
    min_cell : int or None
        Smallest number of unweighted units an estimate may be based on (default 30, a
        common rule of statistics offices); ``None`` switches the criterion off.
    max_cv : float or None
        Largest coefficient of variation, as a fraction (``0.3`` for 30 %); ``None``
        (default) switches the criterion off. It needs standard errors, so it applies only to
        results with a survey design.
    action : {"suppress", "flag"}
        What happens to a hit cell.

    Examples
    --------
    >>> rule = Suppression(min_cell=30, max_cv=0.3)
    >>> rule.mask([29, 30, 31, 500], [0.5, 0.5, 0.5, 0.01], [0.05, 0.05, 0.05, 0.005]).tolist()
    [True, False, False, True]
    >>> print(rule.describe())
    — Suppressed: the estimate is based on fewer than 30 unweighted units or has a \
coefficient of variation (standard error / |estimate|) above 30%.
    """

    min_cell: int | None = 30
    max_cv: float | None = None
    action: str = "suppress"

    def __post_init__(self) -> None:
        mc = self.min_cell
        if mc is not None and (isinstance(mc, bool) or not isinstance(mc, Integral) or mc < 1):
            raise ValidationError(
                f"min_cell must be a whole number of units, at least 1 (e.g. 30), or None to "
                f"switch the rule off; got {mc!r}"
            )
        cv = self.max_cv
        if cv is not None and (
            isinstance(cv, bool)
            or not isinstance(cv, Real)
            or not math.isfinite(float(cv))
            or float(cv) <= 0
        ):
            raise ValidationError(
                f"max_cv must be a positive fraction (e.g. 0.3 for a coefficient of variation "
                f"of 30%), or None to switch the rule off; got {cv!r}"
            )
        if self.action not in ACTIONS:
            raise ValidationError(
                f"action must be 'suppress' (value replaced by {SUPPRESSED_MARK!r}) or 'flag' "
                f"(value kept, followed by {FLAG_MARK!r}); got {self.action!r}"
            )

    @property
    def mark(self) -> str:
        """The mark of a hit cell: "—" (suppressed, replaces the value) or "*" (flagged,
        follows the value)."""
        return SUPPRESSED_MARK if self.action == "suppress" else FLAG_MARK

    def mask(self, n: Any, estimate: Any, se: Any = None) -> np.ndarray:
        """Which cells the rule hits (vectorised; the inputs broadcast against each other).

        Parameters
        ----------
        n
            Unweighted units behind each estimate. A missing count (NaN, ``pd.NA``) is not a
            hit: the count is unknown.
        estimate
            The estimates.
        se
            Their standard errors, or None (then ``max_cv`` cannot apply). A cell whose CV
            is undefined (estimate and standard error both 0, or either missing) is not hit
            by ``max_cv``; an estimate of 0 with a positive standard error is (its CV is
            infinite).

        Returns
        -------
        numpy.ndarray
            Booleans, of the broadcast shape of ``n``, ``estimate`` and ``se``: True where
            ``n < min_cell`` or ``se / |estimate| > max_cv``.
        """
        n_arr = _as_float_array(n, "n")
        est = _as_float_array(estimate, "estimate")
        arrays = [n_arr, est]
        se_arr = None if se is None else _as_float_array(se, "se")
        if se_arr is not None:
            arrays.append(se_arr)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValidationError(
                f"n, estimate and se must have shapes that broadcast; got {shapes}"
            ) from None
        hit = np.zeros(shape, dtype=bool)
        if self.min_cell is not None:
            with np.errstate(invalid="ignore"):
                hit |= np.broadcast_to(n_arr < self.min_cell, shape)
        if self.max_cv is not None and se_arr is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                cv = se_arr / np.abs(est)
                hit |= np.broadcast_to(cv > float(self.max_cv), shape)
        return hit

    def describe(self, lang: str = "en") -> str:
        """The rule as one sentence, for the notes under a table.

        Parameters
        ----------
        lang : {"en", "zh"}
            Language of the sentence.

        Returns
        -------
        str
            E.g. "— Suppressed: the estimate is based on fewer than 30 unweighted units."
        """
        check_lang(lang)
        parts = []
        if self.min_cell is not None:
            parts.append(text("table.suppression.min_cell", lang, min_cell=int(self.min_cell)))
        if self.max_cv is not None:
            cv = round(float(self.max_cv) * 100, 10)
            parts.append(text("table.suppression.max_cv", lang, cv=cv))
        if not parts:
            return text("table.suppression.none", lang)
        conditions = text("table.suppression.or", lang).join(parts)
        return text(f"table.suppression.{self.action}", lang, mark=self.mark, conditions=conditions)

"""Ready-made specifications, each documented with its source.

>>> import mpi
>>> mpi.presets.available()
['china_2b3g', 'global_mpi_2018']
>>> spec = mpi.presets.global_mpi_2018()
>>> spec.integer_weights[1]
18
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from mpi.errors import SpecError
from mpi.measurement.spec import Spec

__all__ = ["available", "load", "global_mpi_2018", "china_2b3g"]


def available() -> list[str]:
    """Names of the bundled presets.

    Returns
    -------
    list of str
        Sorted names, each a valid argument of :func:`load`.
    """
    files = resources.files(__name__).iterdir()
    return sorted(f.name[:-4] for f in files if f.name.endswith(".yml"))


def load(name: str) -> Spec:
    """Load a bundled preset by name (see :func:`mpi.presets.available`).

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    Spec
    """
    if name not in available():
        raise SpecError(f"unknown preset {name!r}; available presets are {available()}")
    text = resources.files(__name__).joinpath(f"{name}.yml").read_text(encoding="utf-8")
    return Spec.from_yaml(text)


def global_mpi_2018(*, k: Any = None, vulnerable: Any = None, severe: Any = None) -> Spec:
    """The global MPI, 2018 revision: 10 indicators in 3 dimensions, weights 1/6 and 1/18.

    Health (nutrition, child mortality) and education (years of schooling, school
    attendance) indicators weigh 1/6 each; the six living-standards indicators (cooking
    fuel, sanitation, drinking water, electricity, housing, assets) weigh 1/18 each.
    Poor if the score is at least ``k = 1/3``; vulnerable if ``1/5 <= c < 1/3``; severe if
    ``c >= 1/2``. Variables are household-level achievements as in the bundled
    ``"mpi_survey"`` dataset (print the spec to see each rule). ``k``, ``vulnerable`` and
    ``severe`` replace the official cutoffs; the bands must keep
    ``vulnerable <= k <= severe`` (so ``k > 1/2`` needs ``severe`` as well).

    Parameters
    ----------
    k
        Poverty cutoff (default: 1/3).
    vulnerable, severe
        Band cutoffs (default: 1/5 and 1/2).

    Returns
    -------
    Spec

    References
    ----------
    Alkire, S., Kanagaratnam, U. and Suppa, N. (2018). The Global MPI: 2018 revision.
    OPHI MPI Methodological Note 46. Alkire, S. and Jahan, S. (2018). The New Global MPI
    2018: Aligning with the SDGs. UNDP HDRO Occasional Paper.
    """
    spec = load("global_mpi_2018")
    if k is None and vulnerable is None and severe is None:
        return spec
    return spec.with_k(spec.k if k is None else k, vulnerable=vulnerable, severe=severe)


def china_2b3g(
    *, income_line: float = 4000, k: Any = None, vulnerable: Any = None, severe: Any = None
) -> Spec:
    """China's exit standard: income line, two assurances, three guarantees, safe water.

    Seven indicators with weight 1/7 each (income; food and clothing, 两不愁; compulsory
    education, basic medical care and housing safety, 三保障; drinking-water safety) and
    ``k = 1/7``: a union standard, poor if deprived in any one. ``income_line`` is the
    per-capita annual net income line in yuan (4,000 in 2020, the 2010-price line of 2,300
    uprated). The bands are ``vulnerable = 1/7`` (empty at ``k = 1/7``) and
    ``severe = 3/7``; ``k``, ``vulnerable`` and ``severe`` replace them, keeping
    ``vulnerable <= k <= severe``.

    Parameters
    ----------
    income_line
        Per-capita annual net income line in yuan (the income indicator's cutoff).
    k
        Poverty cutoff (default: 1/7).
    vulnerable, severe
        Band cutoffs (default: 1/7 and 3/7).

    Returns
    -------
    Spec

    References
    ----------
    国务院扶贫开发领导小组, 贫困人口退出标准 "一达标、两不愁、三保障" (2016);
    中共中央 国务院《关于打赢脱贫攻坚战三年行动的指导意见》(2018).
    """
    spec = load("china_2b3g")
    d = spec.to_dict()
    d["indicators"][0]["cutoff"] = income_line
    for key, value in (("k", k), ("vulnerable", vulnerable), ("severe", severe)):
        if value is not None:
            d[key] = value
    return Spec.from_dict(d)

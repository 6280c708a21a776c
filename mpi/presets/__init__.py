"""Ready-made specifications, each documented with its source.

Two kinds of preset live here: Alkire--Foster poverty measures (:class:`mpi.Spec`, for
:func:`mpi.measure`) and composite indices (:class:`~mpi.composites.spec.CompositeSpec`,
``kind: composite`` in the YAML file, for :func:`mpi.composite`).

>>> import mpi
>>> mpi.presets.available()
['china_2b3g', 'global_mpi_2018', 'hdi', 'undp_china_lsi_2016']
>>> mpi.presets.available(kind="composite")
['hdi', 'undp_china_lsi_2016']
>>> spec = mpi.presets.global_mpi_2018()
>>> spec.integer_weights[1]
18
>>> hdi = mpi.presets.load("hdi")
>>> hdi.dimension_names
('health', 'education', 'standard_of_living')
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from typing import Any, Literal

from mpi._common.yaml_text import load_yaml
from mpi.composites.spec import CompositeSpec
from mpi.composites.spec_io import KIND
from mpi.errors import SpecError, ValidationError
from mpi.measurement.spec import Spec

__all__ = [
    "available",
    "load",
    "global_mpi_2018",
    "china_2b3g",
    "hdi",
    "undp_china_lsi_2016",
]

_KINDS = ("af", "composite")


def _text(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.yml").read_text(encoding="utf-8")


def _kind(text: str, name: str) -> str:
    data = load_yaml(text, f"preset {name!r}")
    is_composite = isinstance(data, dict) and data.get("kind") == KIND
    return "composite" if is_composite else "af"


def available(kind: Literal["af", "composite"] | None = None) -> list[str]:
    """Names of the bundled presets.

    Parameters
    ----------
    kind : {"af", "composite"}, optional
        ``"af"``: only the Alkire--Foster poverty specs (:class:`mpi.Spec`);
        ``"composite"``: only the composite indices (``kind: composite``); ``None``: all.

    Returns
    -------
    list of str
        Sorted names, each a valid argument of :func:`load`.

    Raises
    ------
    mpi.errors.ValidationError
        If ``kind`` is not ``None``, ``"af"`` or ``"composite"``.
    """
    if kind is not None and kind not in _KINDS:
        raise ValidationError(
            f"kind: must be None (all presets), 'af' or 'composite'; got {kind!r}"
        )
    files = resources.files(__name__).iterdir()
    names = sorted(f.name[:-4] for f in files if f.name.endswith(".yml"))
    if kind is None:
        return names
    return [n for n in names if _kind(_text(n), n) == kind]


def load(name: str) -> Spec | CompositeSpec:
    """Load a bundled preset by name (see :func:`mpi.presets.available`).

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    Spec or CompositeSpec
        An Alkire--Foster :class:`mpi.Spec`, or a
        :class:`~mpi.composites.spec.CompositeSpec` for a file with ``kind: composite``
        (``"hdi"``, ``"undp_china_lsi_2016"``).

    Raises
    ------
    mpi.errors.SpecError
        If ``name`` is not a bundled preset.
    """
    if name not in available():
        raise SpecError(f"unknown preset {name!r}; available presets are {available()}")
    text = _text(name)
    if _kind(text, name) == "composite":
        return CompositeSpec.from_yaml(text)
    return Spec.from_yaml(text)


def _af(name: str) -> Spec:
    spec = load(name)
    assert isinstance(spec, Spec)
    return spec


def _composite(name: str) -> CompositeSpec:
    spec = load(name)
    assert isinstance(spec, CompositeSpec)
    return spec


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
    spec = _af("global_mpi_2018")
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
    spec = _af("china_2b3g")
    d = spec.to_dict()
    d["indicators"][0]["cutoff"] = income_line
    for key, value in (("k", k), ("vulnerable", vulnerable), ("severe", severe)):
        if value is not None:
            d[key] = value
    return Spec.from_dict(d)


def hdi() -> CompositeSpec:
    r"""The UNDP Human Development Index, 2020 method (HDR 2020 Technical note 1).

    Three dimensions of weight 1/3: a long and healthy life (life expectancy at birth), knowledge
    (expected and mean years of schooling, weight 1/2 each, arithmetic mean) and a decent
    standard of living (GNI per capita, 2017 PPP $, in logarithms). The input columns are
    ``life_expectancy``, ``expected_years_schooling``, ``mean_years_schooling`` and
    ``gni_per_capita``. Values beyond a goalpost are clipped (an index of 1 for expected years
    above 18 or GNI per capita above 75,000, as UNDP does) and counted in the result.

    Returns
    -------
    CompositeSpec
        Goalposts normalisation, geometric mean of the dimensions, no floor, ``scale = 1``.

    Notes
    -----
    With life expectancy :math:`LE`, expected and mean years of schooling :math:`EYS` and
    :math:`MYS` and GNI per capita :math:`GNI`:

    .. math::

        LEI = \frac{LE - 20}{85 - 20}, \qquad
        EI = \frac{1}{2}\left(\frac{\min(EYS, 18)}{18} + \frac{\min(MYS, 15)}{15}\right),

        II = \frac{\ln GNI - \ln 100}{\ln 75\,000 - \ln 100}, \qquad
        HDI = (LEI \cdot EI \cdot II)^{1/3}.

    Published HDI values use unrounded inputs; from the rounded inputs of a Human Development
    Report table the preset agrees to about :math:`\pm 0.0015`.

    References
    ----------
    UNDP (2020). *Human Development Report 2020. The Next Frontier: Human Development and the
    Anthropocene*. Technical notes, Technical note 1. New York: UNDP.
    Anand, S. and Sen, A. (1994). *Human Development Index: Methodology and Measurement*.
    HDRO Occasional Paper 12. New York: UNDP.

    Examples
    --------
    >>> import pandas as pd
    >>> import mpi
    >>> from mpi.composites import engine
    >>> spec = mpi.presets.hdi()
    >>> norway = pd.DataFrame({"life_expectancy": [82.4], "expected_years_schooling": [18.1],
    ...                        "mean_years_schooling": [12.9], "gni_per_capita": [66494]})
    >>> ev = engine.evaluate(engine.plan(norway[list(spec.indicator_names)].to_numpy(), spec))
    >>> round(float(ev.index[0]), 3)  # published: 0.957
    0.957
    """
    return _composite("hdi")


def undp_china_lsi_2016(
    method: Literal["arithmetic", "geometric"] = "arithmetic",
) -> CompositeSpec:
    r"""The county Living Standard Index of UNDP China (2016), the documented substitute recipe.

    UNDP China and the Baidu Big Data Lab scored 2,284 counties from 0 to 100 on eight
    indicators of the living-standards dimension (three household amenities and five
    big-data coverage measures; national mean 61.3) but did not publish the formula. This is
    the package's documented substitute, the recipe of the bundled ``county_lsi`` dataset
    (whose ``lsi`` and ``lsi_geometric`` columns it reproduces exactly): HDI-style goalposts,
    shares as they are and the four skewed densities in logarithms, values beyond a goalpost
    capped at 0 or 1, one dimension ``living_standards`` with weights 1/8, times 100.

    Parameters
    ----------
    method : {"arithmetic", "geometric"}, default "arithmetic"
        Mean of the eight indices: ``"arithmetic"`` (the dataset's ``lsi``) or
        ``"geometric"`` with each index floored at 0.01 (``lsi_geometric``).

    Returns
    -------
    CompositeSpec

    Raises
    ------
    mpi.errors.ValidationError
        If ``method`` is neither ``"arithmetic"`` nor ``"geometric"``.

    Notes
    -----
    For indicator :math:`k` with goalposts :math:`(\min_k, \max_k)` and transform :math:`T`
    (identity for ``sanitary_toilet``, ``indoor_kitchen``, ``piped_water`` and
    ``mobile_internet`` with goalposts 0--1; :math:`\log` for ``living_services`` 1--500,
    ``road_density`` 0.01--5, ``night_light`` 0.01--50 and ``financial_services`` 0.5--50):

    .. math::

        I_k = \min\left(1, \max\left(0,
              \frac{T(x_k) - T(\min_k)}{T(\max_k) - T(\min_k)}\right)\right),

        \mathrm{LSI} = \frac{100}{8}\sum_{k=1}^{8} I_k, \qquad
        \mathrm{LSI}_{\text{geo}} = 100\prod_{k=1}^{8}\max(I_k, 0.01)^{1/8}.

    References
    ----------
    UNDP China and Baidu Big Data Lab (2016). *The Living Standards Dimension of the Human
    Development Index: Measuring Poverty with Big Data in China*. Beijing: UNDP China.

    Examples
    --------
    >>> import mpi
    >>> spec = mpi.presets.undp_china_lsi_2016()
    >>> len(spec.indicators), spec.scale
    (8, 100.0)
    >>> mpi.presets.undp_china_lsi_2016("geometric").dimensions[0].mean
    'geometric'
    """
    if method not in ("arithmetic", "geometric"):
        raise ValidationError(
            f"method: must be 'arithmetic' (the dataset's lsi) or 'geometric' "
            f"(lsi_geometric); got {method!r}"
        )
    spec = _composite("undp_china_lsi_2016")
    if method == "arithmetic":
        return spec
    dims = tuple(dataclasses.replace(d, mean="geometric") for d in spec.dimensions)
    return spec.replace(dimensions=dims, floor=0.01)

"""One label catalogue, English and Chinese, for every text shown to a reader.

Charts (:mod:`mpi.plot`), reports and publication tables (:mod:`mpi.reporting`) and the command
line take their words from here, never from string literals of their own, so a report in
``lang="zh"`` is Chinese throughout and a translator edits data, not code.

The catalogue is a set of YAML files next to this module (``labels_*.yml``), one per part of
the package, each mapping a dotted key to its texts::

    measure.M0:
      en: Adjusted headcount ratio (M0)
      zh: 调整后贫困发生率 (M0)

Keys are unique across files (a duplicate is an error at load time) and every key has every
language of :data:`LANGUAGES`. Texts may hold ``str.format`` fields (``"{n:,} units"``),
filled by :func:`text`'s keyword arguments. Indicator and dimension names come from the spec's
own labels (:class:`~mpi.Indicator` ``label``), which are in whatever language the spec's author
wrote them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mpi.errors import ValidationError

__all__ = [
    "LANGUAGES", "check_lang", "text", "has_text", "catalogue", "measure_label", "spec_text",
]  # fmt: skip

#: The languages of the catalogue.
LANGUAGES = ("en", "zh")
_HERE = Path(__file__).resolve().parent


def check_lang(lang: Any) -> str:
    """``lang`` if it is a language of the catalogue, else a :class:`~mpi.ValidationError`.

    Parameters
    ----------
    lang
        A language code.

    Returns
    -------
    str
        The language code.
    """
    if lang not in LANGUAGES:
        raise ValidationError(
            f"lang={lang!r} is not a language of the label catalogue; use one of {LANGUAGES}"
        )
    return lang


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every key of the catalogue with its texts, ``{key: {"en": ..., "zh": ...}}``.

    Returns
    -------
    dict
        Read once from the ``labels_*.yml`` files of :mod:`mpi._common`.
    """
    out: dict[str, dict[str, str]] = {}
    for path in sorted(_HERE.glob("labels_*.yml")):
        text = path.read_text(encoding="utf-8")  # libyaml's loader when built: 10x faster
        entries = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        for key, texts in entries.items():
            if key in out:
                raise ValidationError(f"label key {key!r} of {path.name} is defined twice")
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                raise ValidationError(
                    f"label key {key!r} of {path.name} must give exactly {LANGUAGES}; "
                    f"got {texts!r}"
                )
            out[key] = {lang: str(texts[lang]) for lang in LANGUAGES}
    return out


def has_text(key: str) -> bool:
    """Whether ``key`` is in the catalogue.

    Parameters
    ----------
    key
        A dotted catalogue key.

    Returns
    -------
    bool
    """
    return key in catalogue()


def text(key: str, lang: str = "en", /, **fields: Any) -> str:
    """The text of ``key`` in ``lang``, with ``fields`` filled in.

    Parameters
    ----------
    key
        A dotted catalogue key (``"measure.M0"``, ``"plot.contributions.title"``).
    lang
        ``"en"`` or ``"zh"``.
    **fields
        Values of the text's ``str.format`` fields.

    Returns
    -------
    str

    Examples
    --------
    >>> text("measure.H", "zh")
    '贫困发生率 (H)'
    """
    check_lang(lang)
    try:
        template = catalogue()[key][lang]
    except KeyError:
        raise ValidationError(
            f"no label {key!r} in the catalogue (mpi/_common/labels_*.yml)"
        ) from None
    return template.format(**fields) if fields else template


def measure_label(name: str, lang: str = "en", /, short: bool = False) -> str:
    """Display name of a measure (``"M0"`` -> "Adjusted headcount ratio (M0)").

    Parameters
    ----------
    name
        A measure's variable name (``"H"``, ``"M0"``, ``"vulnerable"`` ...).
    lang
        ``"en"`` or ``"zh"``.
    short
        The short form (``"M0"``, ``"H"``, ``"Vulnerable"``) for column headers.

    Returns
    -------
    str
        The catalogue's text, or ``name`` itself for a variable the catalogue does not name.
    """
    key = f"measure{'_short' if short else ''}.{name}"
    return text(key, lang) if has_text(key) else name


def spec_text(name: str | None, n_indicators: int, n_dimensions: int, lang: str = "en") -> str:
    """The summary line of a spec: ``"global_mpi_2018 (10 indicators, 3 dimensions)"``.

    Parameters
    ----------
    name
        The spec's name (``None`` or ``""``: the catalogue's word for a custom spec).
    n_indicators, n_dimensions
        Its numbers of indicators and dimensions.
    lang
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str
    """
    return text(
        "result.value.spec",
        lang,
        name=name or text("result.value.custom", lang),
        n_indicators=n_indicators,
        n_dimensions=n_dimensions,
    )

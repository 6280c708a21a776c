"""CJK fonts for charts: found on the system whatever the state of matplotlib's font cache.

matplotlib lists the fonts it knows in a cache built once (``~/.cache/matplotlib``); a font
installed afterwards (``apt-get install fonts-noto-cjk``) is missing from it, and Chinese
text then renders as empty boxes. :func:`cjk_font` looks at matplotlib's list first, then at
the system's font files (``fc-list :lang=zh`` when fontconfig is there, and
:func:`matplotlib.font_manager.findSystemFonts`) for a known CJK family, registers the file
with :meth:`~matplotlib.font_manager.FontManager.addfont` and returns its family name.
:func:`apply_fonts` gives that font to every text of a chart that shows CJK characters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontManager
    from matplotlib.text import Text

__all__ = ["CJK_FAMILIES", "cjk_font", "has_cjk", "font_family", "apply_fonts"]

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

#: Font families with CJK glyphs, in order of preference (sans-serif first, Simplified
#: Chinese forms first).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC",
    "Hiragino Sans GB", "SimHei", "Heiti SC", "STHeiti", "Droid Sans Fallback",
    "Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans CJK JP", "Noto Sans CJK KR",
    "Source Han Sans TW", "Source Han Sans JP", "Source Han Sans",
    "Noto Serif CJK SC", "Noto Serif SC", "Source Han Serif SC", "Source Han Serif CN",
    "Songti SC", "SimSun", "AR PL UMing CN", "AR PL UKai CN",
    "Noto Serif CJK TC", "Noto Serif CJK HK", "Noto Serif CJK JP", "Noto Serif CJK KR",
)  # fmt: skip

# Fragments of font file names (lower case, without "-", "_" and spaces) of the families
# above, in the same order of preference: for systems without fontconfig.
_FILE_HINTS = (
    "notosanscjksc", "notosanssc", "sourcehansanssc", "sourcehansanscn", "wqyzenhei",
    "wqymicrohei", "msyh", "pingfang", "hiraginosansgb", "simhei", "stheiti",
    "droidsansfallback", "notosanscjk", "sourcehansans", "notoserifcjksc", "notoserifsc",
    "sourcehanserif", "songti", "simsun", "uming", "ukai", "notoserifcjk",
)  # fmt: skip

# A weight in a file name: such files come after the regular one of their family.
_WEIGHTS = re.compile(r"bold|black|heavy|light|thin|medium|semibold|demilight|extralight")
# Seconds before a search of the system that found nothing is repeated.
_RESCAN_SECONDS = 30.0


class _Found:
    """What the last search found (a family) and when a search last found nothing."""

    family: str | None = None
    failed_at: float | None = None


#: The one warning when Chinese text is drawn without a CJK font (matplotlib would warn once
#: per missing character), given once per process by :func:`warn_without_cjk_font`.
NO_CJK_FONT = (
    "charts hold Chinese text but this machine has no CJK font, so those characters are drawn "
    "as empty boxes; install one (e.g. apt-get install fonts-noto-cjk) and run again"
)
#: matplotlib's warning for a character its fonts lack (filtered where NO_CJK_FONT is given).
GLYPH_MISSING = r"Glyph \d+ .* missing from font"


class _Warned:
    """Whether :data:`NO_CJK_FONT` was given in this process."""

    done = False


def warn_without_cjk_font(texts: Iterable[str]) -> bool:
    """Give :data:`NO_CJK_FONT` (once per process) when ``texts`` hold CJK characters and the
    system has no CJK font (:func:`cjk_font`).

    Parameters
    ----------
    texts
        The strings about to be drawn.

    Returns
    -------
    bool
        True when the texts hold CJK characters that no font can draw (the caller may then
        silence matplotlib's per-character warnings, :data:`GLYPH_MISSING`).
    """
    if not has_cjk(texts) or cjk_font() is not None:
        return False
    if not _Warned.done:
        _Warned.done = True
        warnings.warn(NO_CJK_FONT, UserWarning, stacklevel=3)
    return True


def has_cjk(texts: Iterable[Any]) -> bool:
    """Whether any of ``texts`` holds a CJK character (Han, kana, hangul, full-width forms).

    Parameters
    ----------
    texts
        Strings (other objects are converted with ``str``).

    Returns
    -------
    bool
    """
    return any(_CJK.search(str(t)) for t in texts)


def cjk_font(refresh: bool = False) -> str | None:
    """Name of a font family with CJK glyphs that matplotlib can use, or ``None``.

    The fonts matplotlib already lists come first. When none of them is a CJK font (no
    font installed, or matplotlib's font cache built before the font was installed), the
    system's font files are searched: ``fc-list :lang=zh`` when fontconfig is installed,
    and :func:`matplotlib.font_manager.findSystemFonts`. The best file found (a known CJK
    family, sans-serif first: Noto Sans CJK, Source Han Sans, WenQuanYi, Microsoft YaHei,
    PingFang, SimHei, Droid Sans Fallback …, then the serif ones) is registered with
    ``fontManager.addfont`` together with the other weights of its family, and its family
    name is returned. Nothing is written to matplotlib's cache on disk.

    A search that finds nothing is repeated after 30 seconds (or at once with
    ``refresh=True``), so a font installed while Python runs is picked up.

    Parameters
    ----------
    refresh
        Search the system again even if a search moments ago found nothing.

    Returns
    -------
    str or None
        The family name (e.g. ``"Noto Sans CJK SC"``); ``None`` when the system has no
        CJK font.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    listed = {entry.name for entry in manager.ttflist}
    if _Found.family is not None and _Found.family in listed:
        return _Found.family
    for family in CJK_FAMILIES:
        if family in listed:
            _Found.family = family
            return family
    now = time.monotonic()
    if not refresh and _Found.failed_at is not None and now - _Found.failed_at < _RESCAN_SECONDS:
        return None
    family = _register_system_font(manager)
    _Found.family = family
    _Found.failed_at = None if family is not None else now
    return family


def _register_system_font(manager: FontManager) -> str | None:
    """Add the best CJK font file of the system to ``manager``; its family, or None."""
    candidates = _system_candidates()
    if not candidates:
        return None
    known = {entry.fname for entry in manager.ttflist}
    best_rank = None
    family = None
    for rank, path in candidates:
        if best_rank is not None and rank != best_rank:
            break  # the other weights of the chosen family are in; stop there
        if path not in known:
            try:
                manager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # an unreadable file: try the next one
        names = [entry.name for entry in manager.ttflist if entry.fname == path]
        if not names:
            continue
        if family is None:
            ranked = [f for f in CJK_FAMILIES if f in names]
            family = ranked[0] if ranked else names[0]
            best_rank = rank
    return family


def _system_candidates() -> list[tuple[int, str]]:
    """Font files of the system with CJK glyphs, as ``(rank, path)`` best first.

    The rank orders families as :data:`CJK_FAMILIES` (a font that covers Chinese but is
    not listed there comes after the known ones); within a family the regular weight
    comes first.
    """
    ranks: dict[str, int] = {}
    unknown = len(CJK_FAMILIES)
    for path, families in _fontconfig_chinese_fonts():
        known = [CJK_FAMILIES.index(f) for f in families if f in CJK_FAMILIES]
        # fontconfig lists a collection (.ttc) once per face: keep its best family
        ranks[path] = min([ranks.get(path, unknown), *known])
    for path in _font_files():
        hint = _file_hint_rank(path)
        if hint is not None:
            # file-name hints rank after fontconfig's exact family names of the same font
            ranks[path] = min(ranks.get(path, unknown + 1 + hint), unknown + 1 + hint)
    order = sorted(
        ranks.items(),
        key=lambda item: (
            item[1],
            bool(_WEIGHTS.search(os.path.basename(item[0]).lower())),
            item[0],
        ),
    )
    return [(rank, path) for path, rank in order if os.path.isfile(path)]


def _fontconfig_chinese_fonts() -> list[tuple[str, list[str]]]:
    """``(file, families)`` of the fonts fontconfig says cover Chinese (empty without
    ``fc-list``)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--format=%{file}\t%{family}\n", ":lang=zh"],
            capture_output=True, text=True, timeout=20, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.stdout.splitlines():
        path, _, families = line.partition("\t")
        if path and families and path.lower().endswith((".ttf", ".otf", ".ttc")):
            found.append((path, [f.strip() for f in families.split(",")]))
    return found


def _font_files() -> list[str]:
    """The system's TrueType/OpenType font files (matplotlib's own search)."""
    from matplotlib import font_manager

    try:
        return list(font_manager.findSystemFonts())
    except OSError:
        return []


def _file_hint_rank(path: str) -> int | None:
    """Position in :data:`_FILE_HINTS` of the first hint in ``path``'s file name."""
    name = re.sub(r"[-_ ]", "", os.path.basename(path).lower())
    for i, hint in enumerate(_FILE_HINTS):
        if hint in name:
            return i
    return None


def font_family(texts: Iterable[str]) -> list[str] | None:
    """A font family for ``texts``: a CJK font (then DejaVu Sans) when one of them holds
    CJK characters and a CJK font is available, else ``None`` (keep the default).

    Parameters
    ----------
    texts
        The strings to be drawn.

    Returns
    -------
    list of str or None
        ``[cjk_font(), "DejaVu Sans"]`` (matplotlib falls back glyph by glyph along the
        list) or ``None``.
    """
    if has_cjk(texts):
        font = cjk_font()
        if font is not None:
            return [font, "DejaVu Sans"]
    return None


def apply_fonts(ax: Axes, extra: Sequence[Any] = ()) -> None:
    """Give a CJK font to every text of ``ax``'s figure when one of them shows CJK.

    The texts are all of the figure's: the three title slots of every Axes, axis labels,
    tick labels (present and future: ``tick_params(labelfontfamily=...)``), offset texts,
    legend entries and titles, texts and annotations, colorbars (their own Axes), figure
    suptitles and texts, and ``extra`` texts. One font for the whole figure keeps Latin
    and Chinese text in one typeface; DejaVu Sans follows as a fallback for glyphs the CJK
    font lacks. Without CJK text, or without a CJK font on the system, nothing changes.

    Parameters
    ----------
    ax
        An Axes of the chart (its figure is scanned).
    extra
        More :class:`~matplotlib.text.Text` objects to include (drawn elsewhere).
    """
    from matplotlib.text import Text

    fig = ax.get_figure()
    axes = list(fig.axes) if fig is not None else [ax]
    for a in axes:  # materialise the tick labels
        a.get_xticklabels()
        a.get_yticklabels()
    texts: list[Text] = list(fig.findobj(Text)) if fig is not None else list(ax.findobj(Text))
    texts += [t for t in extra if isinstance(t, Text)]
    family = font_family(t.get_text() for t in texts)
    if family is None:
        return
    for t in texts:
        t.set_fontfamily(family)
    for a in axes:
        a.tick_params(labelfontfamily=family)

"""CJK fonts in charts: found on the system whatever matplotlib's font cache holds, and given
to every text element of a chart that shows Chinese.

"A CJK font file" is decided here independently of :mod:`mpi.plot`: a font file of the
system with glyphs for 贫困 (poverty). Every text of a ``lang="zh"`` chart must resolve
(``font_manager.findfont``) to such a file; charts are drawn with warnings as errors, so a
missing glyph (a box) fails the test.
"""

from __future__ import annotations

import copy
import io
import os
import shutil

import matplotlib
import numpy as np
import pandas as pd
import pytest
from cross_section_cases import CHARTS, results
from font_files import CJK_FILES, needs_cjk
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

import mpi
from mpi.plot import _fonts
from mpi.plot._style import apply_fonts

matplotlib.use("Agg")




def _font_file(t: Text) -> str:
    return os.path.realpath(str(font_manager.findfont(t.get_fontproperties())))


def _texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of a drawn figure."""
    fig.savefig(io.BytesIO(), format="png", dpi=60)  # draws: layout, ticks, glyph checks
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _stale_manager() -> font_manager.FontManager:
    """A copy of matplotlib's font manager without the CJK fonts (a cache built before
    they were installed)."""
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [
        e for e in font_manager.fontManager.ttflist
        if os.path.realpath(str(e.fname)) not in CJK_FILES
    ]  # fmt: skip
    return stale


@pytest.fixture(scope="module")
def cases():
    return results()


@pytest.fixture
def stale(monkeypatch):
    """matplotlib's font manager replaced by a stale one for the test."""
    manager = _stale_manager()
    monkeypatch.setattr(font_manager, "fontManager", manager)
    monkeypatch.setattr(font_manager, "findfont", manager.findfont)
    names = {e.name for e in manager.ttflist}
    assert not names & set(_fonts.CJK_FAMILIES)
    return manager


@needs_cjk
@pytest.mark.parametrize(("name", "func", "key", "kwargs"), CHARTS, ids=[c[0] for c in CHARTS])
def test_zh_chart_every_text_in_a_cjk_font(cases, name, func, key, kwargs):
    ax = func(cases[key], lang="zh", **kwargs)
    assert _fonts.has_cjk([ax.get_title(loc="left")])
    texts = _texts(ax.get_figure())
    assert len(texts) >= 4
    for t in texts:
        assert _font_file(t) in CJK_FILES, (name, t.get_text(), t.get_fontfamily())


@needs_cjk
def test_stale_cache_still_finds_the_font(stale):
    family = mpi.plot.cjk_font()
    assert family in _fonts.CJK_FAMILIES
    assert family.startswith(("Noto Sans", "Source Han Sans", "WenQuanYi", "Droid")) or (
        family in ("Microsoft YaHei", "PingFang SC", "SimHei", "Hiragino Sans GB")
    ), "a sans-serif CJK family comes first"
    assert family in {e.name for e in stale.ttflist}  # registered with addfont
    prop = font_manager.FontProperties(family=[family, "DejaVu Sans"])
    assert os.path.realpath(str(font_manager.findfont(prop))) in CJK_FILES
    res = mpi.measure(
        pd.DataFrame(
            {"d1": [1, 0, 1, 1], "d2": [0, 0, 1, 1], "县": ["甲县", "乙县", "甲县", "乙县"]}
        ),
        mpi.Spec.from_dimensions({"a": ["d1"], "b": ["d2"]}, k="1/2"),
        by="县",
    )
    texts = _texts(mpi.plot.contributions(res, lang="zh").get_figure())
    assert all(_font_file(t) in CJK_FILES for t in texts)


@needs_cjk
def test_without_fontconfig_the_font_files_are_searched(stale, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    family = mpi.plot.cjk_font(refresh=True)
    assert family in _fonts.CJK_FAMILIES
    assert family in {e.name for e in stale.ttflist}


@needs_cjk
def test_a_font_installed_later_is_found(stale, monkeypatch):
    with monkeypatch.context() as m:  # a system without CJK fonts
        m.setattr(shutil, "which", lambda *args, **kwargs: None)
        m.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
        assert mpi.plot.cjk_font(refresh=True) is None
        assert mpi.plot.cjk_font() is None  # a cheap answer within the re-check interval
    # the font is installed now: found at the next check, not None forever
    monkeypatch.setattr(_fonts, "_RESCAN_SECONDS", 0.0)
    assert mpi.plot.cjk_font() in _fonts.CJK_FAMILIES


@needs_cjk
def test_every_text_element_of_a_figure_gets_the_font():
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(np.arange(4.0).reshape(2, 2))
    ax.plot([0, 1], [0, 1], label="贫困发生率")
    ax.set_title("左对齐标题", loc="left")
    ax.set_title("Right title", loc="right")
    ax.set_xlabel("年份")
    ax.set_ylabel("Share")
    ax.set_xticks([0, 1], ["甲县", "乙县"])
    ax.annotate("全国", (0.5, 0.5))
    ax.text(0.1, 0.1, "note")
    ax.legend(title="指标")
    cb = fig.colorbar(image, ax=ax)
    cb.set_label("贫困强度")
    fig.suptitle("多维贫困")
    fig.text(0.01, 0.01, "资料来源")
    apply_fonts(ax)
    font = mpi.plot.cjk_font()
    for t in (ax.title, ax.get_legend().get_title(), cb.ax.yaxis.label):
        assert font in t.get_fontfamily()
    texts = _texts(fig)
    assert {"左对齐标题", "Right title", "指标", "贫困强度", "多维贫困", "资料来源", "全国"} <= {
        t.get_text() for t in texts
    }
    for t in texts:
        assert _font_file(t) in CJK_FILES, (t.get_text(), t.get_fontfamily())


def test_a_chart_without_cjk_keeps_the_default_font(cases):
    ax = mpi.plot.contributions(cases["design"], lang="en")
    default = list(matplotlib.rcParams["font.family"])
    assert ax.title.get_fontfamily() == default
    assert ax.get_legend().get_texts()[0].get_fontfamily() == default


def test_has_cjk_and_font_family():
    assert _fonts.has_cjk(["M0", "贫困"]) and not _fonts.has_cjk(["M0", "Région"])
    assert _fonts.font_family(["plain text"]) is None
    family = _fonts.font_family(["中文"])
    if mpi.plot.cjk_font() is None:  # the CJK check itself is above
        assert not CJK_FILES, "a CJK font file exists but cjk_font() did not find it"
        assert family is None
    else:
        assert family == [mpi.plot.cjk_font(), "DejaVu Sans"]

"""The report in a real browser: headless Chromium takes a screenshot of the English and the
Chinese page (skipped, with the reason, where no Chromium is installed).

The screenshot must be a page that rendered: the size asked for, not blank, with the
policy brief's cards and charts drawn (their colours cover the expected areas), and the
Chinese page drawn with glyphs that differ from the English page's."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import mpi
from mpi.reporting import report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
if BROWSER is None and Path("/usr/bin/chromium").exists():
    BROWSER = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on this machine (Debian: apt-get install chromium) to screenshot the "
    "HTML report",
)
WIDTH, HEIGHT = 1280, 3000


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    df = mpi.datasets.load("dhs_rounds")
    latest = df[df["round"] == 2020]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mpi.MissingDataWarning)
        res = mpi.measure(
            latest,
            mpi.presets.global_mpi_2018(),
            by="region",
            design=mpi.Design("weight", strata="stratum", psu="psu"),
        )
    out = tmp_path_factory.mktemp("pages")
    return {
        lang: report(res, out / f"{lang}.html", lang=lang, progress=False).html
        for lang in ("en", "zh")
    }


def _screenshot(page: Path, png: Path, profile: Path) -> np.ndarray:
    from PIL import Image

    cmd = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
        page.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    with Image.open(png) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def shots(pages, tmp_path_factory) -> dict[str, np.ndarray]:
    out = tmp_path_factory.mktemp("shots")
    return {
        lang: _screenshot(page, out / f"{lang}.png", out / f"profile_{lang}")
        for lang, page in pages.items()
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_renders(shots, lang) -> None:
    img = shots[lang]
    assert img.shape == (HEIGHT, WIDTH, 3)
    # not blank: a white page with text, cards, tables and charts
    white = (img > 245).all(axis=2).mean()
    assert 0.4 < white < 0.97
    colours = {tuple(c) for c in img[::7, ::7].reshape(-1, 3) // 16}
    assert len(colours) > 30

    def area(rgb: tuple[int, int, int]) -> int:
        return int((np.abs(img.astype(int) - rgb).sum(axis=2) < 40).sum())

    # the accent colour of the headings and cards (#8c1d18), the cards' band (#f4f1ee) and
    # the bars of the brief's contributions chart (#d6604d) are drawn
    assert area((0x8C, 0x1D, 0x18)) > 500
    assert area((0xF4, 0xF1, 0xEE)) > 20_000
    assert area((0xD6, 0x60, 0x4D)) > 10_000


def test_chinese_glyphs_are_drawn(shots) -> None:
    """The top of the page (title, contents, cards) differs between the languages: the
    Chinese title is drawn, not left blank or as the English one."""
    top_en, top_zh = shots["en"][:400], shots["zh"][:400]
    assert (np.abs(top_en.astype(int) - top_zh.astype(int)).sum(axis=2) > 60).mean() > 0.005
    ink = (top_zh < 128).all(axis=2).sum()
    assert ink > 2000

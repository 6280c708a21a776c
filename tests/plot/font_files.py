"""The system's CJK font files, decided independently of :func:`mpi.plot.cjk_font` (shared by
the chart tests that check Chinese labels get a CJK font)."""

from __future__ import annotations

import os

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font


def system_cjk_files() -> frozenset[str]:
    """Font files of the system with glyphs for 贫 and 困 (real paths)."""
    found = set()
    for path in font_manager.findSystemFonts():
        try:
            font = FT2Font(path)
        except (OSError, RuntimeError, ValueError):
            continue
        if all(font.get_char_index(ord(c)) for c in "贫困"):
            found.add(os.path.realpath(path))
    return frozenset(found)


CJK_FILES = system_cjk_files()
NO_CJK_FILE = (
    "the system has no CJK font file (a font with glyphs for 贫困); install one, e.g. "
    "apt-get install fonts-noto-cjk (CI does, in .ci/run)"
)
#: Skip a test that needs a CJK font file, with the reason (CI provides the font).
needs_cjk = pytest.mark.skipif(not CJK_FILES, reason=NO_CJK_FILE)

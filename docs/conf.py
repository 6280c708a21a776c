"""Sphinx configuration of the xmpi documentation.

Build (warnings are errors)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

The tutorials and how-to guides are MyST-NB notebooks (``.md`` files with a jupytext header)
that are executed on every build, so their outputs always come from the current code. Set
``XMPI_DOCS_EXECUTION=cache`` to reuse unchanged notebooks' outputs while editing prose (the
cache lives in ``docs/_build/.jupyter_cache``), or ``off`` to skip execution entirely.

The package must be importable (``pip install -e .``): ``mpi.datasets`` and ``mpi.kernels``
are mapped from the top-level ``datasets/`` and ``kernels/`` folders by the installation.

The built site works offline and on intranets: formulas are typeset by a copy of MathJax
inside the site (``_static/mathjax``, from the ``sphinx-mathjax-offline`` package of the
``docs`` extra) rather than by a CDN, and after every build :func:`check_offline` warns -- an
error under ``-W`` -- about any page that would load a script, stylesheet, font or image from
the network, or a local script that is missing.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import matplotlib.font_manager  # noqa: F401  (see below)

import mpi

DOCS = Path(__file__).resolve().parent

# Importing the font manager builds matplotlib's font cache here, in the Sphinx process, on a
# fresh machine. Otherwise the first notebook kernel would build it and might print
# "Matplotlib is building the font cache" to stderr, which fails the build (see
# nb_output_stderr below).

# -- Project -------------------------------------------------------------------------------
project = "xmpi"
author = "xmpi developers"
copyright = "xmpi developers; documentation MIT, bundled data CC0"
release = mpi.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax copied into the site: formulas render without a CDN
    "numpydoc",
    "myst_nb",
]
# No sphinx.ext.intersphinx: the build must work offline.

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "jupyter_execute", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
nitpicky = False

# -- autodoc / autosummary / numpydoc -------------------------------------------------------
autosummary_generate = True  # stubs go to docs/api/generated (see api.rst; gitignored)
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc "Parameters" sections carry the types
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()  # no docstring style checks during the build
numpydoc_xref_param_type = False

# -- MyST / MyST-NB ------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

_execution = os.environ.get("XMPI_DOCS_EXECUTION", "force")
if _execution not in ("force", "cache", "off"):
    raise ValueError(f"XMPI_DOCS_EXECUTION must be force, cache or off; got {_execution!r}")
nb_execution_mode = _execution
nb_execution_raise_on_error = True  # a failing cell fails the build
nb_execution_timeout = 300  # per cell; the first numba compile takes ~30 s in a new env
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_show_tb = True
# Unexpected output on stderr (e.g. a warning from a library) is a build warning, hence an
# error under -W. Cells that show a warning on purpose opt in with ``output_stderr: show``.
nb_output_stderr = "warn"
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (e.g. the data card's codebook) with tables
nb_kernel_rgx_aliases = {"python3.*": "python3"}
# Pages with Jupyter widgets would load require.js and the widget manager from CDNs; the docs
# have no widgets and must work offline.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

# -- Math ----------------------------------------------------------------------------------
# MathJax 3 from the sphinx-mathjax-offline package (docs extra), copied into the built site's
# _static/mathjax at the end of the build; the path is relative to _static. Set here as well as
# by the extension so that the site never falls back to Sphinx's CDN default.
mathjax_path = "mathjax/tex-chtml.js"

# -- HTML ----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"xmpi {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}


# -- Offline check -------------------------------------------------------------------------
#: Tags and attributes through which a page loads a resource (not plain links to follow).
_LOADS = {
    "script": "src",
    "link": "href",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "embed": "src",
    "video": "src",
    "audio": "src",
    "object": "data",
}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.I)


class _Resources(HTMLParser):
    """Collects ``(tag, url)`` of every resource an HTML page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _LOADS.get(tag)
        values = dict(attrs)
        if name and values.get(name):
            self.found.append((tag, str(values[name])))


def _external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme in ("http", "https")


def offline_problems(outdir: Path) -> list[str]:
    """What in the built site ``outdir`` needs the network, or is missing.

    Every page is parsed for the resources it loads (scripts, stylesheets and other
    ``<link>`` targets, images, frames, media); a URL with a host (``https://...``,
    ``//...``) is reported, and so is a local script that is not in the site. Stylesheets
    under ``_static`` are searched for ``url(...)`` / ``@import`` of external URLs.

    Parameters
    ----------
    outdir : pathlib.Path
        The HTML output folder.

    Returns
    -------
    list of str
        One message per problem (empty: the site works offline).
    """
    problems = []
    for page in sorted(outdir.rglob("*.html")):
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        rel = page.relative_to(outdir)
        for tag, url in parser.found:
            if _external(url):
                problems.append(f"{rel}: <{tag}> loads {url} from the network")
            elif tag == "script" and not url.startswith("data:"):
                target = page.parent / unquote(urlsplit(url).path)
                if not target.is_file():
                    problems.append(f"{rel}: <script> {url} is not in the built site")
    for css in sorted((outdir / "_static").rglob("*.css")):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            problems.append(f"{css.relative_to(outdir)}: loads {url} from the network")
    return problems


def check_offline(app: Any, exc: Exception | None) -> None:
    """After a successful HTML build, warn about every page that needs the network."""
    if exc is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    for problem in offline_problems(Path(app.outdir)):
        logger.warning("offline docs: %s", problem)


def setup(app: Any) -> dict[str, Any]:
    """Connect :func:`check_offline` (after the extensions' own build-finished handlers,
    so that MathJax has been copied into the site)."""
    app.connect("build-finished", check_offline, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx configuration of the xmpi documentation.

Build (warnings are errors)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

The tutorials and how-to guides are MyST-NB notebooks (``.md`` files with a jupytext header)
that are executed on every build, so their outputs always come from the current code. Set
``XMPI_DOCS_EXECUTION=cache`` to reuse unchanged notebooks' outputs while editing prose (the
cache lives in ``docs/_build/.jupyter_cache``), or ``off`` to skip execution entirely.

The package must be importable (``pip install -e .``): ``mpi.datasets`` and ``mpi.kernels``
are mapped from the top-level ``datasets/`` and ``kernels/`` folders by the installation.
"""

from __future__ import annotations

import os
from pathlib import Path

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

# -- HTML ----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"xmpi {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}

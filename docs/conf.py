"""Sphinx configuration: the guides are Markdown (MyST), the API reference is autodoc over the docstrings
(Google style, napoleon), written into api/ by api_pages.py at every build."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import api_pages  # noqa: E402

import gnnlab  # noqa: E402

project = "gnnlab"
author = "the gnnlab developers"
copyright = "2026, the gnnlab developers"
release = gnnlab.__version__ if hasattr(gnnlab, "__version__") else "0.1.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "myst_parser"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {
    # scikit-learn adds set_*_request methods to every estimator; their docstrings point into its own docs
    "exclude-members": "extra_repr, training, __init__, set_fit_request, set_score_request, set_predict_request, "
                       "set_transform_request",
}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

try:
    import furo  # noqa: F401

    html_theme = "furo"
except ImportError:  # the docs still build, plainer
    html_theme = "alabaster"
html_title = "gnnlab"

API_PAGES = api_pages.write_pages(HERE / "api")
(HERE / "api" / "index.rst").write_text(
    "API reference\n=============\n\nEvery public class and function, under the name it is imported by.\n\n"
    ".. toctree::\n   :maxdepth: 1\n\n" + "".join(f"   {page}\n" for page in API_PAGES), encoding="utf-8")

"""Where the project's own files are: in a source checkout, beside `app/`; in an installed release (make dist), in
`<prefix>/share/govshare/` where the wheel's data files go (migrations, bpmn, forms). The browser libraries are
bundled into the package at build time (app/vendor), else served from node_modules (a checkout)."""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
SHARE = Path(sys.prefix) / "share" / "govshare"
VENDOR = PACKAGE / "vendor"  # filled by `make dist` (scripts/bundle_vendor.py), never committed


def project_dir(name: str) -> Path:
    """The folder `name` (migrations, bpmn, forms) of this installation."""
    here = CHECKOUT / name
    return here if here.is_dir() else SHARE / name

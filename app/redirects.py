"""Where a page may send the browser back to after a form: only paths of this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(target: str | None) -> bool:
    """True for a same-site path. An open redirect would help phishing: browsers read "/\\\\host" as "//host",
    and a control character (CR/LF) cannot go into a Location header."""
    return bool(
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and not urlsplit(target).netloc
    )

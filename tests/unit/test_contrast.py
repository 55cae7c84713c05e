"""#31 (axe-core color-contrast, WCAG 2.1 1.4.3): the muted text colour reads at 4.5:1 or more on the page
background and on cards, as the stylesheet defines them."""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parents[2] / "app" / "static" / "app.css").read_text(encoding="utf-8")


def _variable(name: str) -> str:
    """A colour custom property of the stylesheet as #rrggbb (#fff → #ffffff)."""
    value = re.search(rf"--{name}:\s*#([0-9a-fA-F]{{6}}|[0-9a-fA-F]{{3}})\b", CSS).group(1)
    return "#" + (value if len(value) == 6 else "".join(c * 2 for c in value))


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_muted_text_reads_at_four_and_a_half_to_one_on_page_and_card():
    muted = _variable("muted")
    assert contrast(muted, _variable("bg")) >= 4.5
    assert (
        contrast(muted, _variable("card").ljust(7, "f") if len(_variable("card")) == 7 else "#ffffff") >= 4.5
    )


def test_the_contrast_formula_is_wcags():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#66768a", "#f5f7fa"), 2) == 4.33  # the colour the issue measured

"""Paging links (#30): a list of thousands of pages links a handful — the first, the last and two either side
of the current, a gap between (the inbox and the catalog search alike)."""

from __future__ import annotations

from app.catalog.services import Page
from app.db_types import page_window


def test_a_long_list_links_the_ends_and_the_neighbourhood_of_the_current_page():
    assert page_window(10, 5000) == [1, None, 8, 9, 10, 11, 12, None, 5000]
    assert page_window(1, 1) == [1]
    assert page_window(2, 4) == [1, 2, 3, 4]
    assert page_window(4, 7) == [1, 2, 3, 4, 5, 6, 7]  # no gap of a single page


def test_the_catalog_search_pages_link_the_window():
    page = Page(items=[], total=100_000, page=3, per_page=20, count_limit=1000)
    assert page.window == [1, 2, 3, 4, 5, None, 5000]

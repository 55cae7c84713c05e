"""Chinese free-text search over published resources with a character-bigram index.

Chinese has no spaces, and the everyday query is a two-character word (人口, 社保, 婚姻): every two adjacent
characters of a resource's name, summary and data-item names are indexed. A query matches resources that hold
all of its bigrams and whose text contains the query itself (so 人口基础 does not match 人口…基础). A
one-character query falls back to a substring scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, any_, delete, false, func, insert, select

from app.catalog.models import Resource, ResourceStatus, SearchTerm
from app.extensions import db

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, one space between words: the form both indexing and queries use."""
    return _SPACE.sub(" ", (text or "").lower()).strip()


def bigrams(text: str) -> set[str]:
    """Every two adjacent non-space characters of `text`."""
    out: set[str] = set()
    for word in normalize(text).split(" "):
        out.update(word[i : i + 2] for i in range(len(word) - 1))
    return out


def search_text_of(name: str, summary: str, item_names: list[str]) -> str:
    """The text a resource is found by."""
    return normalize(" ".join([name, summary or "", *item_names]))


def reindex(resource: Resource, text: str | None) -> None:
    """Replace a resource's index entries (None: remove it from search, e.g. withdrawn)."""
    db.session.execute(delete(SearchTerm).where(SearchTerm.resource_id == resource.id))
    resource.search_text = text or ""
    terms = sorted(bigrams(text or ""))
    if terms:
        db.session.execute(insert(SearchTerm), [{"term": t, "resource_id": resource.id} for t in terms])


# Below this many holders a term's resource ids are collected first; above it, resources are walked newest
# first and each is checked against the index, which stops as soon as a page (and the capped count) is full.
COMMON_TERM = 15_000


def rarest_term(terms: list[str]) -> tuple[str, int] | None:
    """The query bigram held by the fewest resources, with that number (None: some bigram is held by none,
    so nothing can match)."""
    counts = dict(
        db.session.execute(
            select(SearchTerm.term, func.count()).where(SearchTerm.term.in_(terms)).group_by(SearchTerm.term)
        ).all()
    )
    if len(counts) < len(terms):
        return None
    term = min(terms, key=lambda t: counts[t])
    return term, counts[term]


@dataclass(frozen=True)
class TextMatch:
    """The SQL condition for a free-text query, and whether it is driven by a common term."""

    clause: Any
    common: bool = False


def matching_ids_clause(query: str) -> TextMatch | None:
    """A SQL condition on Resource for the free-text query (None when the query is empty).

    Candidates come from the query's rarest bigram; the substring test on the indexed text then keeps only
    true matches (it also covers the other bigrams, which the text necessarily contains).
    """
    text = normalize(query)
    if not text:
        return None
    like = Resource.search_text.contains(text, autoescape=True)
    terms = sorted(bigrams(text))
    if not terms:
        return TextMatch(like)
    rarest = rarest_term(terms)
    if rarest is None:
        return TextMatch(false())
    driver, holders = rarest
    if holders > COMMON_TERM:
        held: ColumnElement[bool] = (
            select(SearchTerm.resource_id)
            .where(SearchTerm.term == driver, SearchTerm.resource_id == Resource.id)
            .exists()
        )
    elif db.engine.dialect.name == "postgresql":
        # = ANY(ARRAY(subquery)): PostgreSQL collects the ids first and fetches those rows by primary key,
        # instead of testing the substring on every resource (its estimate for LIKE '%…%' is blind).
        held = Resource.id == any_(
            func.array(select(SearchTerm.resource_id).where(SearchTerm.term == driver).scalar_subquery())
        )
    else:
        held = Resource.id.in_(select(SearchTerm.resource_id).where(SearchTerm.term == driver))
    return TextMatch(
        held & like & (Resource.status == ResourceStatus.PUBLISHED), common=holders > COMMON_TERM
    )

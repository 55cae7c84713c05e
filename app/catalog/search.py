"""Chinese free-text search over published resources with a character-bigram index.

Chinese has no spaces, and the everyday query is a two-character word (人口, 社保, 婚姻): every two adjacent
characters of a resource's name, summary and data-item names are indexed. A query matches resources that hold
all of its bigrams and whose text contains the query itself (so 人口基础 does not match 人口…基础). A
one-character query falls back to a substring scan.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.catalog.models import Resource, ResourceStatus, SearchTerm
from app.extensions import db

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, one space between words: the form both indexing and queries use."""
    return _SPACE.sub(" ", (text or "").lower()).strip()


def bigrams(text: str) -> set[str]:
    """Every two adjacent non-space characters of `text`."""
    out = set()
    for word in normalize(text).split(" "):
        out.update(word[i : i + 2] for i in range(len(word) - 1))
    return out


def search_text_of(name: str, summary: str, item_names: list[str]) -> str:
    """The text a resource is found by."""
    return normalize(" ".join([name, summary or "", *item_names]))


def reindex(resource: Resource, text: str | None) -> None:
    """Replace a resource's index entries (None: remove it from search, e.g. withdrawn)."""
    db.session.execute(SearchTerm.__table__.delete().where(SearchTerm.resource_id == resource.id))
    resource.search_text = text or ""
    terms = sorted(bigrams(text or ""))
    if terms:
        db.session.execute(
            SearchTerm.__table__.insert(), [{"term": t, "resource_id": resource.id} for t in terms]
        )


def matching_ids_clause(query: str):
    """A SQL condition on Resource for the free-text query (None when the query is empty)."""
    text = normalize(query)
    if not text:
        return None
    terms = sorted(bigrams(text))
    like = Resource.search_text.contains(text, autoescape=True)
    if not terms:
        return like
    ids = (
        select(SearchTerm.resource_id)
        .where(SearchTerm.term.in_(terms))
        .group_by(SearchTerm.resource_id)
        .having(func.count() == len(terms))
    )
    if len(terms) == 1:
        ids = select(SearchTerm.resource_id).where(SearchTerm.term == terms[0])
    return Resource.id.in_(ids) & like & (Resource.status == ResourceStatus.PUBLISHED)

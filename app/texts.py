"""Limits of the free text people type: reasons, descriptions, opinions (checked before storing)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TEXT_LIMIT = 4000  # characters of a reason, description or opinion: pages of text, never a file


def too_long(value: Any, title: str, limit: int = TEXT_LIMIT) -> str | None:
    """The message for text over `limit` characters (after trimming), or None."""
    if isinstance(value, str) and len(value.strip()) > limit:
        return f"{title}最多 {limit} 个字"
    return None


def required_texts(data: dict[str, Any], fields: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """Per-field messages for texts that must be given and fit their limit: (field, title, limit) each."""
    errors = {}
    for field, title, limit in fields:
        if not str(data.get(field) or "").strip():
            errors[field] = f"请填写{title}"
        elif problem := too_long(data.get(field), title, limit):
            errors[field] = problem
    return errors

"""Catalog operations that BPMN service tasks call (catalog_review.bpmn), registered with the engine."""

from __future__ import annotations

from app.catalog.services import publish_version, return_version
from app.engine.operations import operation
from app.engine.scripting import current_run


@operation("catalog_publish")
def catalog_publish(task, version_id: int, comment: str | None = None) -> dict:
    """Put a reviewed catalog version in force (catalog_review.bpmn)."""
    version = publish_version(version_id, current_run().actor_id, comment)
    return {"resource_code": version.resource.code, "version": version.number}


@operation("catalog_return")
def catalog_return(task, version_id: int, comment: str) -> dict:
    """Return a catalog version to its provider with the reviewer's reasons (catalog_review.bpmn)."""
    version = return_version(version_id, current_run().actor_id, comment)
    return {"resource_code": version.resource.code, "version": version.number}

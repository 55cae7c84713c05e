"""Catalog operations that BPMN service tasks call (catalog_review.bpmn), registered with the engine."""

from __future__ import annotations

from app.catalog.services import publish_version, return_version
from app.catalog.upkeep import close_change
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


@operation("catalog_upkeep_done")
def catalog_upkeep_done(task, change_id: int) -> dict:
    """The catalog was updated within the period (catalog_upkeep.bpmn, 办法§6)."""
    return {"status": close_change(change_id, "updated").status}


@operation("catalog_upkeep_overdue")
def catalog_upkeep_overdue(task, change_id: int) -> dict:
    """The period ran out: a §31(一) rectification is proposed (catalog_upkeep.bpmn)."""
    return {"status": close_change(change_id, "overdue").status}

"""The registry of named service operations that BPMN service tasks call
(`spiffworkflow:serviceTaskOperator id="notify"`).

Each operation is app code, registered with @operation beside the services it calls (the engine's generic
ones in app/engine/generic_operations.py, each area's in its own operations.py), called with the task and
its evaluated parameters; it returns something JSON-serializable (stored in the task's result variable).
Errors become incidents. The engine knows no area: create_app imports every operations module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Operation = Callable[..., Any]
_OPERATIONS: dict[str, Operation] = {}


def operation(name: str) -> Callable[[Operation], Operation]:
    """Register `fn` as the service operation `name`."""

    def register(fn: Operation) -> Operation:
        if name in _OPERATIONS:
            raise RuntimeError(f"operation {name!r} registered twice")
        _OPERATIONS[name] = fn
        return fn

    return register


def known_operations() -> list[str]:
    """Names of all registered operations (validation checks service tasks against them)."""
    return sorted(_OPERATIONS)


def run_operation(name: str, task, params: dict[str, Any]) -> Any:
    """Call operation `name`; LookupError when it does not exist."""
    try:
        fn = _OPERATIONS[name]
    except KeyError:
        raise LookupError(f"未注册的服务操作 {name!r}") from None
    return fn(task=task, **params)

"""The registry of named service operations that BPMN service tasks call
(`spiffworkflow:serviceTaskOperator id="notify"`).

Each operation is app code, registered with @operation beside the services it calls (the engine's generic
ones in app/engine/generic_operations.py, each area's in its own operations.py), called with the task and
its evaluated parameters; it returns something JSON-serializable (stored in the task's result variable).
Errors become incidents. The engine knows no area: create_app imports every operations module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

Operation = Callable[..., Any]
_OPERATIONS: dict[str, Operation] = {}
_SAMPLES: dict[str, Any] = {}


def operation(name: str, *, sample: Any = None) -> Callable[[Operation], Operation]:
    """Register `fn` as the service operation `name`. `sample`: what a test run of a model (the analyst
    studio) takes as its result instead of calling it, where later steps read the result: a value, or a
    function of the evaluated parameters (default {})."""

    def register(fn: Operation) -> Operation:
        if name in _OPERATIONS:
            raise RuntimeError(f"operation {name!r} registered twice")
        _OPERATIONS[name] = fn
        _SAMPLES[name] = {} if sample is None else sample
        return fn

    return register


def sample_result(name: str, params: dict[str, Any]) -> Any:
    """The stand-in result of operation `name` in a test run; LookupError when it does not exist."""
    if name not in _SAMPLES:
        raise LookupError(f"未注册的服务操作 {name!r}")
    sample = _SAMPLES[name]
    return sample(**params) if callable(sample) else sample


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


def describe_operations() -> list[dict[str, Any]]:
    """Each operation with its parameters (name, type, required) and the first line of its docstring, for
    the studio's properties panel: analysts pick an operation and fill its parameters."""
    described = []
    for name in known_operations():
        fn = _OPERATIONS[name]
        params = []
        for param in list(inspect.signature(fn).parameters.values())[1:]:  # after `task`
            annotation = str(param.annotation)
            kind = next((t for t in ("bool", "int", "str", "dict", "list") if t in annotation), "str")
            params.append(
                {"name": param.name, "type": kind, "required": param.default is inspect.Parameter.empty}
            )
        described.append({"name": name, "doc": (inspect.getdoc(fn) or "").split("\n")[0], "params": params})
    return described

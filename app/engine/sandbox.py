"""The one evaluator of model code: every expression and script an analyst writes into a BPMN or DMN file
(script tasks, pre/post scripts, gateway conditions, timers, decision cells, service parameters, task
properties) runs here — when a case runs and when the studio validates, compares, 试算, 路径试运行 or
migrates.

Model text is untrusted input (docs/MODEL-EXPRESSIONS.md): SpiffWorkflow's own engine runs it with plain
eval/exec, where the classic escapes (frame walks, `__subclasses__`) reach the server even with empty
builtins (docs/ENGINE-FACTS.md). So model code is compiled by RestrictedPython with our policy on top:

- no name or attribute beginning with `_`, no frame/code attributes, no import, class, try, with, global,
  print; attribute access only to a per-type list of plain data methods (no `str.format`);
- item access refuses keys beginning with `_`; writes only into lists, dicts and sets;
- a whitelist of builtins (`str`, `len`, `sorted`, …) and the injected functions (`deadline`, …);
- a budget: loop iterations, function calls and comprehension items count as steps; size-changing
  operators (`*`, `**`, `<<`, `+`, `%`), f-strings and a few string/list methods refuse results past a size
  limit; past the step or time budget the code stops with `BudgetExceeded`.

Compiled code is cached by its text, so a timer or condition evaluated again costs one eval.
"""

from __future__ import annotations

import ast
import operator
import re
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations

MAX_SIZE = 1_000_000  # elements or characters one operation may produce
MAX_TOTAL = 20_000_000  # elements or characters all size-checked operations of one run may produce
MAX_INT_BITS = 100_000  # an integer result larger than this (about 30,000 digits) is refused
MAX_FORMAT_WIDTH = 1_000  # width/precision in an f-string or % format
CHECK_EVERY = 256  # steps between two looks at the clock


class SandboxError(Exception):
    """Model code did something the sandbox refuses (an attribute, a name, a size)."""


class BudgetExceeded(SandboxError):
    """Model code ran past its step or time budget, or produced too much."""


@dataclass(frozen=True)
class Violation:
    """One construct the sandbox refuses, located within the code (line 1 = the code's first line)."""

    line: int
    message: str


class ModelCodeError(SandboxError):
    """Model code that does not compile under the sandbox's rules; every violation at once."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("；".join(f"第 {v.line} 行：{v.message}" for v in violations))


# --- limits ----------------------------------------------------------------------------------------------


@dataclass
class Limits:
    """The budget of one evaluation (configurable: EXPRESSION_MAX_STEPS, EXPRESSION_MAX_SECONDS)."""

    steps: int = 200_000
    seconds: float = 1.0


LIMITS = Limits()


def configure(steps: int | None = None, seconds: float | None = None) -> None:
    """Set the budget every later evaluation gets (create_app does, from the configuration)."""
    if steps is not None:
        LIMITS.steps = int(steps)
    if seconds is not None:
        LIMITS.seconds = float(seconds)


class _Budget(threading.local):
    steps: int = 0
    deadline: float = 0.0
    produced: int = 0


_budget = _Budget()


def _tick() -> None:
    budget = _budget
    if not budget.deadline:
        budget.deadline = time.perf_counter() + LIMITS.seconds
    budget.steps -= 1
    if budget.steps <= 0:
        raise BudgetExceeded(f"运行超出限制：超过 {LIMITS.steps} 步（循环、调用或推导式过多）")
    if budget.steps % CHECK_EVERY == 0 and time.perf_counter() > budget.deadline:
        raise BudgetExceeded(f"运行超出限制：超过 {LIMITS.seconds:g} 秒")


def _produce(size: int) -> None:
    if size > MAX_SIZE:
        raise BudgetExceeded(f"结果过大：{size} 个元素或字符，超过 {MAX_SIZE}")
    budget = _budget
    budget.produced += size
    if budget.produced > MAX_TOTAL:
        raise BudgetExceeded(f"运行超出限制：共产生超过 {MAX_TOTAL} 个元素或字符")


def _start() -> tuple:
    """Give one evaluation a fresh budget; returns the caller's, for _restore (an injected function may
    evaluate too)."""
    budget = _budget
    saved = (budget.steps, budget.deadline, budget.produced)
    budget.steps = LIMITS.steps
    budget.deadline = 0.0  # the clock is read at the first step: most expressions take none
    budget.produced = 0
    return saved


def _restore(saved: tuple) -> None:
    budget = _budget
    budget.steps, budget.deadline, budget.produced = saved


# --- sizes -----------------------------------------------------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)


def _text_size(value: Any, limit: int = MAX_SIZE) -> int:
    """About how many characters str()/repr() of `value` gives; stops counting past `limit`."""
    total, todo = 0, [value]
    while todo and total <= limit:
        item = todo.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            todo.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 8
    return total


def _check_text(value: Any) -> Any:
    size = _text_size(value)
    if size > MAX_SIZE:
        raise BudgetExceeded(f"结果过大：转为文字约 {size} 个字符，超过 {MAX_SIZE}")
    return value


def _int_bits(bits: int) -> None:
    """Refuse an integer result of `bits` bits past the limit (before it is computed)."""
    if bits > MAX_INT_BITS:
        raise BudgetExceeded(f"整数过大：超过 {MAX_INT_BITS} 位")


def _mul(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and isinstance(count, int):
            _produce(len(seq) * max(count, 0))
            return left * right
    if isinstance(left, int) and isinstance(right, int):
        _int_bits(left.bit_length() + right.bit_length())
    return left * right


def _pow(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        _int_bits(right * left.bit_length())
    return left**right


def _lshift(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and left:
        _int_bits(left.bit_length() + right)
    return left << right


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _produce(len(left) + len(right))
    return left + right


_FORMAT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _mod(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        pattern = left if isinstance(left, str) else left.decode("latin-1")
        for width, precision in _FORMAT_FIELD.findall(pattern):
            for number in (width, precision):
                if number == "*" or (number and int(number) > MAX_FORMAT_WIDTH):
                    raise BudgetExceeded(f"格式宽度过大（上限 {MAX_FORMAT_WIDTH}）")
        _check_text(right)
        result = left % right
        _produce(len(result))
        return result
    return left % right


_BINARY = {"*": _mul, "**": _pow, "<<": _lshift, "+": _add, "%": _mod}
_PLAIN_INPLACE = {
    "-": operator.sub,
    "/": operator.truediv,
    "//": operator.floordiv,
    ">>": operator.rshift,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    name = op[:-1]
    if name == "+" and isinstance(target, list):
        more = list(value)
        _produce(len(target) + len(more))
        target.extend(more)
        return target
    if name in _BINARY:
        return _BINARY[name](target, value)
    if name in _PLAIN_INPLACE:
        return _PLAIN_INPLACE[name](target, value)
    raise SandboxError(f"不支持的运算 {op}")


# --- guarded access ---------------------------------------------------------------------------------------


def _join(separator: str) -> Callable:
    def join(items: Iterable) -> str:
        items = list(items)
        _produce(sum(len(i) if isinstance(i, str) else 0 for i in items) + len(separator) * len(items))
        return separator.join(items)

    return join


def _replace(text: str) -> Callable:
    def replace(old: str, new: str, count: int = -1) -> str:
        pieces = len(text) + 1 if not old else text.count(old) + 1
        if count >= 0:
            pieces = min(pieces, count + 1)
        _produce(len(text) + (pieces - 1) * len(new))
        return text.replace(old, new, count)

    return replace


def _padding(text: str, name: str) -> Callable:
    method = getattr(text, name)

    def pad(width: int, *fill: str) -> str:
        _produce(int(width))
        return method(width, *fill)

    return pad


def _extend(items: list) -> Callable:
    def extend(more: Iterable) -> None:
        more = list(more)
        _produce(len(items) + len(more))
        items.extend(more)

    return extend


_STR = frozenset(
    [
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "index",
        "isalnum",
        "isalpha",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "rfind",
        "rindex",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
    ]
)
_STR_WRAPPED = {
    "join": _join,
    "replace": _replace,
    "center": lambda s: _padding(s, "center"),
    "ljust": lambda s: _padding(s, "ljust"),
    "rjust": lambda s: _padding(s, "rjust"),
    "zfill": lambda s: _padding(s, "zfill"),
}
_ALLOWED: dict[type, frozenset[str]] = {
    str: _STR,
    list: frozenset(
        ["append", "clear", "copy", "count", "index", "insert", "pop", "remove", "reverse", "sort"]
    ),
    dict: frozenset(
        ["clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"]
    ),
    set: frozenset(
        [
            "add",
            "clear",
            "copy",
            "difference",
            "discard",
            "intersection",
            "isdisjoint",
            "issubset",
            "issuperset",
            "pop",
            "remove",
            "symmetric_difference",
            "union",
            "update",
        ]
    ),
    frozenset: frozenset(
        [
            "copy",
            "difference",
            "intersection",
            "isdisjoint",
            "issubset",
            "issuperset",
            "symmetric_difference",
            "union",
        ]
    ),
    tuple: frozenset({"count", "index"}),
    types.MappingProxyType: frozenset({"get", "keys", "items", "values"}),
    float: frozenset({"is_integer"}),
}
_WRAPPED: dict[type, dict[str, Callable]] = {str: _STR_WRAPPED, list: {"extend": _extend}}


def _type_word(value: Any) -> str:
    return {
        str: "文字",
        list: "列表",
        dict: "字典",
        tuple: "元组",
        set: "集合",
        int: "整数",
        float: "小数",
    }.get(type(value), "该对象")


def _getattr(obj: Any, name: str) -> Any:
    if not isinstance(name, str) or name.startswith("_"):
        raise SandboxError(f"不允许访问以下划线开头的属性 {name!r}")
    kind = type(obj)
    wrapped = _WRAPPED.get(kind)
    if wrapped is not None and name in wrapped:
        return wrapped[name](obj)
    if name in _ALLOWED.get(kind, ()):
        return getattr(obj, name)
    raise SandboxError(f"不允许访问{_type_word(obj)}的属性 {name!r}（模型表达式只能使用数据的常用方法）")


def _getitem(obj: Any, key: Any) -> Any:
    if isinstance(key, str) and key.startswith("_"):
        raise SandboxError(f"不允许读取以下划线开头的键 {key!r}")
    return obj[key]


def _write(obj: Any) -> Any:
    if isinstance(obj, list | dict | set):
        return obj
    raise SandboxError(f"不允许修改{_type_word(obj)}的属性或元素")


def _getiter(obj: Any):
    for item in obj:
        _tick()
        yield item


def _apply(function: Callable, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _fstring(result: str) -> str:
    _produce(len(result))
    return result


# --- builtins --------------------------------------------------------------------------------------------


class _GuardedTextType(type):
    """`str` for model code: isinstance(x, str) works; str(x) refuses a result past the size limit."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str)

    def __call__(cls, *args: Any) -> str:
        if args:
            _check_text(args[0])
        return str(*args)


class GuardedStr(metaclass=_GuardedTextType):
    """str() in model code (see _GuardedTextType)."""


def _repr(value: Any) -> str:
    return repr(_check_text(value))


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_SIZE:
        raise BudgetExceeded(f"range 过大：{len(result)} 个元素，超过 {MAX_SIZE}")
    return result


def _sum(items: Iterable, start: Any = 0) -> Any:
    if not isinstance(start, int | float):
        raise SandboxError("sum() 只能对数字求和")
    return sum(items, start)


BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "chr": chr,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "filter": filter,
    "float": float,
    "frozenset": frozenset,
    "int": int,
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "map": map,
    "max": max,
    "min": min,
    "ord": ord,
    "range": _range,
    "repr": _repr,
    "reversed": reversed,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": GuardedStr,
    "sum": _sum,
    "tuple": tuple,
    "zip": zip,
    "Exception": Exception,
    "ValueError": ValueError,
    "KeyError": KeyError,
    "TypeError": TypeError,
}

GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_write_": _write,
    "_getiter_": _getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": _apply,
    "_inplacevar_": _inplacevar,
    "_tick_": _tick,
    "_mul_": _mul,
    "_pow_": _pow,
    "_lshift_": _lshift,
    "_add_": _add,
    "_mod_": _mod,
    "_fvalue_": _check_text,
    "_fstring_": _fstring,
}


# --- the policy ------------------------------------------------------------------------------------------

_NOT_ALLOWED = {
    "Import": "不允许 import（模型只能使用流程数据和内置函数）",
    "ImportFrom": "不允许 import（模型只能使用流程数据和内置函数）",
    "ClassDef": "不允许定义类",
    "Try": "不允许 try/except（出错应当成为事件单，由管理员处理）",
    "TryStar": "不允许 try/except*",
    "With": "不允许 with 语句",
    "AsyncWith": "不允许 async with",
    "Global": "不允许 global",
    "Nonlocal": "不允许 nonlocal",
    "AsyncFunctionDef": "不允许异步函数",
    "Await": "不允许 await",
    "AsyncFor": "不允许 async for",
    "Yield": "不允许 yield（生成器）",
    "YieldFrom": "不允许 yield from（生成器）",
}
# Builtins that model code is never offered (a name that is simply unknown fails when it runs, as data may
# supply it); refused at validation so an analyst learns it before deploying.
_REFUSED_NAMES = frozenset(
    {
        "print",
        "printed",
        "builtins",
        "eval",
        "exec",
        "compile",
        "open",
        "input",
        "breakpoint",
        "locals",
        "vars",
        "dir",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "type",
        "object",
        "super",
        "iter",
        "next",
        "memoryview",
        "bytearray",
        "exit",
        "quit",
        "help",
        "id",
        "hash",
        "classmethod",
        "staticmethod",
        "property",
    }
)

# RestrictedPython's own messages for what our visitors leave to it.
_RESTRICTED_WORDS = {
    "Augmented assignment of attributes is not allowed.": "不允许对属性做增量赋值（如 a.b += 1）",
    "Augmented assignment of object items and slices is not allowed.": "不允许对元素做增量赋值（如 d['k'] += 1，请写成 d['k'] = d['k'] + 1）",
    "Unpacking in comprehensions is not allowed.": "不允许在推导式中解包",
    "Exec calls are not allowed.": "不允许使用 exec",
    "Eval calls are not allowed.": "不允许使用 eval",
}
_BINARY_CALLS = {
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Add: "_add_",
    ast.Mod: "_mod_",
}
_FORMAT_SPEC = re.compile(r"^[^{}]?[<>=^]?[-+ ]?#?0?(\d*)[_,]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?$")


def _tick_call(node: Any) -> ast.Call:
    call = ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[])
    copy_locations(call, node)
    return call


class GovSharePolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, with Chinese messages and our budget hooks (docs/MODEL-EXPRESSIONS.md)."""

    def error(self, node: ast.AST, info: str) -> None:
        """Record a refused construct as `Line N: message` (message in Chinese)."""
        self.errors.append(f"Line {getattr(node, 'lineno', 1) or 1}: {_RESTRICTED_WORDS.get(info, info)}")

    def not_allowed(self, node: ast.AST) -> None:
        """A statement kind model code may not use."""
        self.error(node, _NOT_ALLOWED.get(type(node).__name__, f"不允许 {type(node).__name__}"))

    def check_name(self, node, name, allow_magic_methods=False) -> None:
        """Names: nothing beginning with `_`; print is not offered."""
        if name is None:
            return
        if name.startswith("_") and name != "_":
            self.error(node, f"不允许使用以下划线开头的名称 {name!r}")
        elif name in _REFUSED_NAMES:
            self.error(node, f"不允许使用 {name}")

    def visit_Attribute(self, node: ast.Attribute):
        """Attributes: nothing beginning with `_`, no frame or code attributes; reads go through _getattr_."""
        if node.attr.startswith("_"):
            self.error(node, f"不允许访问以下划线开头的属性 {node.attr!r}")
            return self.node_contents_visit(node)  # and whatever else the expression holds
        if node.attr in INSPECT_ATTRIBUTES or node.attr in ("format", "format_map"):
            self.error(node, f"不允许访问属性 {node.attr!r}")
            return self.node_contents_visit(node)
        return super().visit_Attribute(node)

    def visit_Name(self, node: ast.Name):
        """Names are checked before RestrictedPython turns print into its collector."""
        if node.id in _REFUSED_NAMES:
            self.error(node, f"不允许使用 {node.id}")
            return node  # a name has nothing inside
        return super().visit_Name(node)

    def _refuse(self, node: ast.AST):
        self.not_allowed(node)
        return self.node_contents_visit(node)  # and what the refused statement holds

    visit_Import = visit_ImportFrom = visit_ClassDef = visit_Try = visit_TryStar = _refuse
    visit_With = visit_AsyncWith = visit_Global = visit_Nonlocal = _refuse
    visit_AsyncFunctionDef = visit_Await = visit_AsyncFor = visit_Yield = visit_YieldFrom = _refuse

    def visit_While(self, node: ast.While):
        """Each turn of a while loop is a step."""
        node = self.node_contents_visit(node)
        node.body.insert(0, ast.Expr(_tick_call(node)))
        copy_locations(node.body[0], node)
        return node

    def visit_FunctionDef(self, node: Any) -> Any:
        """Each call of a function defined in a script is a step."""
        node = super().visit_FunctionDef(node)
        node.body.insert(0, ast.Expr(_tick_call(node)))
        copy_locations(node.body[0], node)
        return node

    def visit_Lambda(self, node: Any) -> Any:
        """Each call of a lambda is a step: its body becomes `_tick_() or body`."""
        node = super().visit_Lambda(node)
        body = ast.BoolOp(op=ast.Or(), values=[_tick_call(node), node.body])
        copy_locations(body, node)
        node.body = body
        return node

    def visit_BinOp(self, node: ast.BinOp):
        """Operators that can make a value of any size go through a size check."""
        node = self.node_contents_visit(node)
        guard = _BINARY_CALLS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def visit_JoinedStr(self, node: ast.JoinedStr):
        """An f-string's values are size-checked before formatting, and its result after."""
        node = self.node_contents_visit(node)
        call = ast.Call(func=ast.Name("_fstring_", ast.Load()), args=[node], keywords=[])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue):
        """`{value:spec}`: the spec must be a literal with a modest width."""
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            text = "".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
            literal = all(isinstance(p, ast.Constant) for p in parts)
            found = _FORMAT_SPEC.match(text) if literal else None
            if found is None or any(n and int(n) > MAX_FORMAT_WIDTH for n in found.groups()):
                self.error(node, f"f-string 的格式说明只能是宽度不超过 {MAX_FORMAT_WIDTH} 的固定格式")
                return node
        node.value = self.visit(node.value)
        call = ast.Call(func=ast.Name("_fvalue_", ast.Load()), args=[node.value], keywords=[])
        copy_locations(call, node.value)
        node.value = call
        return node


_LINE = re.compile(r"^Line (\d+): (.*)$", re.S)


def _violations(errors: Iterable[str]) -> list[Violation]:
    found = []
    for error in errors:
        match = _LINE.match(error)
        found.append(Violation(int(match[1]), match[2]) if match else Violation(1, error))
    return found


def _parse(source: str, mode: str) -> ast.Module | ast.Expression:
    try:
        return (
            ast.parse(source, "<string>", "eval") if mode == "eval" else ast.parse(source, "<string>", "exec")
        )
    except SyntaxError as err:
        raise ModelCodeError([Violation(err.lineno or 1, f"不是有效的 Python：{err.msg}")]) from None


@lru_cache(maxsize=16384)
def _compiled(source: str, mode: str):
    """(code, whether it names `globals`) of model text, compiled once per text."""
    tree = _parse(source, mode)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(tree, "<string>", policy=GovSharePolicy)
    if result.errors:
        raise ModelCodeError(_violations(result.errors))
    return result.code, "globals" in result.used_names


_BASES: dict[int, tuple[dict, dict]] = {}
_NO_FUNCTIONS: dict[str, Callable] = {}


def _base(functions: Mapping[str, Callable] | None) -> dict:
    """The globals of evaluations with `functions`: the guards, the builtins and the functions, built again
    only when the functions change (the engine's mapping is one, changed only by tests; validation's and the
    trial's are few)."""
    functions = _NO_FUNCTIONS if functions is None else functions
    entry = _BASES.get(id(functions))
    if entry is None or entry[0] != functions:
        scope = dict(GUARDS)
        scope.update(functions)
        scope["globals"] = _no_names
        if len(_BASES) > 256:
            _BASES.clear()
        entry = _BASES[id(functions)] = (dict(functions), scope)
    return entry[1]


def _no_names() -> Mapping:
    return types.MappingProxyType({})


def _source(text: str, mode: str) -> str:
    return (text or "").strip() if mode == "eval" else (text or "")


def violations(text: str | None, mode: str = "eval") -> list[Violation]:
    """Everything the sandbox refuses in `text` (mode "eval" for an expression, "exec" for a script)."""
    try:
        _compiled(_source(text or "", mode), mode)
    except ModelCodeError as err:
        return err.violations
    return []


def evaluate(expression: str, names: Mapping, functions: Mapping[str, Callable] | None = None) -> Any:
    """The value of a model expression over `names` (task data: looked up first), with `functions` (the
    injected helpers) and the safe builtins. `globals()` gives the names, read-only (`names` should be a
    fresh dict the caller owns: a `globals` entry is put into it when the expression asks for it)."""
    code, asks_globals = _compiled(_source(expression, "eval"), "eval")
    if asks_globals and isinstance(names, dict):
        names["globals"] = partial(types.MappingProxyType, names)
    saved = _start()
    try:
        return eval(code, _base(functions), names)  # noqa: S307 — restricted code, guarded globals
    finally:
        _restore(saved)


def execute(script: str, data: dict, functions: Mapping[str, Callable] | None = None) -> None:
    """Run a model script over `data` (task data): the names it binds or deletes change `data`; functions,
    guards and values that are not data (callables) are left out."""
    code, asks_globals = _compiled(_source(script, "exec"), "exec")
    base = _base(functions)
    scope = dict(base)
    scope.update(data)
    if asks_globals:
        scope["globals"] = lambda: types.MappingProxyType(
            {k: v for k, v in scope.items() if k not in base or k in data}
        )
    saved = _start()
    try:
        exec(code, scope)  # noqa: S102 — restricted code, guarded globals
    finally:
        _restore(saved)
    for name in list(data):
        if name not in scope:
            del data[name]
    for name, value in scope.items():
        if (name not in base or name in data) and not name.startswith("_") and not callable(value):
            data[name] = value

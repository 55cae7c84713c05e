"""统一社会信用代码 (unified social credit code), GB 32100-2015: validation and check characters."""

from __future__ import annotations

import re

# GB 32100-2015 code set: digits and capital letters without I, O, Z, S, V.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(CHARSET)}
# Weight of position i is 3^i mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_SHAPE = re.compile(rf"^[{CHARSET}]{{2}}\d{{6}}[{CHARSET}]{{10}}$")


def check_character(first17: str) -> str:
    """The 18th character that GB 32100 computes from the first 17."""
    if len(first17) != 17 or any(c not in _VALUES for c in first17):
        raise ValueError("前17位必须是GB 32100规定的字符")
    total = sum(_VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def uscc_error(code: str) -> str | None:
    """None when `code` is a valid 统一社会信用代码, else a Chinese explanation."""
    if not isinstance(code, str) or len(code) != 18:
        return "统一社会信用代码必须是18位"
    if code != code.upper():
        return "统一社会信用代码的字母必须大写"
    if not _SHAPE.match(code):
        return "统一社会信用代码含有不允许的字符（第3–8位为行政区划代码，不使用I、O、Z、S、V）"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误（应为 {expected}）"
    return None


def org_code_check(first8: str) -> str:
    """GB 11714 check character of a 9-character organisation code (positions 9–17 of a USCC)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(first8, weights, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_uscc(authority: str, kind: str, region: str, org8: str) -> str:
    """Build a valid code from its parts (registration authority, type, region code, 8-char org code)."""
    first17 = authority + kind + region + org8 + org_code_check(org8)
    return first17 + check_character(first17)

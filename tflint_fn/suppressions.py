"""``# noqa``, ``# tflint-fn: ignore[...]`` and ``# tflint-fn: skip-file``."""

from __future__ import annotations

import io
import re
import tokenize

from tflint_fn.checks import RULES_BY_NAME

ALL = "*"
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:[\s,]+[\w\-]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"tflint-fn:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_SKIP_FILE = re.compile(r"^\s*#\s*tflint-fn:\s*skip-file\b", re.MULTILINE)


def skips_file(source: str) -> bool:
    return "skip-file" in source and bool(_SKIP_FILE.search(source))


def line_suppressions(source: str) -> dict[int, frozenset[str]]:
    """Line -> the codes/prefixes/names suppressed there (``{ALL}`` for all)."""
    if "noqa" not in source.lower() and "tflint-fn" not in source:
        return {}
    result: dict[int, frozenset[str]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        codes = _codes_in(token.string)
        if codes:
            line = token.start[0]
            result[line] = result.get(line, frozenset()) | codes
    return result


def _codes_in(comment: str) -> frozenset[str]:
    found: set[str] = set()
    for pattern in (_NOQA, _IGNORE):
        for match in pattern.finditer(comment):
            listed = match.group("codes")
            if listed is None or not listed.strip():
                found.add(ALL)
            else:
                found.update(part for part in re.split(r"[\s,]+", listed.strip()) if part)
    return frozenset(found)


def is_suppressed(code: str, name: str, lines: tuple[int, ...], table: dict[int, frozenset[str]]) -> bool:
    for line in lines:
        entries = table.get(line)
        if not entries:
            continue
        for entry in entries:
            if entry == ALL or entry.lower() == name:
                return True
            upper = entry.upper()
            if upper.startswith("TFF") and code.startswith(upper):
                return True
            if entry.lower() in RULES_BY_NAME and RULES_BY_NAME[entry.lower()].code == code:
                return True
    return False

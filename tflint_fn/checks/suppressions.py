"""``# noqa``, ``# tflint-fn: ignore[...]`` and ``# tflint-fn: skip-file``."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from tflint_fn.registry import RULES_BY_NAME

ALL = "*"
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[\w\-]+(?:[\s,]+[\w\-]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"tflint-fn:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_SKIP_FILE = re.compile(r"^\s*#\s*tflint-fn:\s*skip-file\b", re.MULTILINE)


def skips_file(source: str) -> bool:
    return "skip-file" in source and bool(_SKIP_FILE.search(source))


@dataclass(frozen=True)
class Suppression:
    line: int
    column: int  # 1-based, of the comment
    entries: frozenset[str]  # codes, prefixes, names, or ALL


def line_suppressions(source: str) -> dict[int, Suppression]:
    """Line -> the suppression comment there (``ALL`` in entries for a bare noqa)."""
    if "noqa" not in source.lower() and "tflint-fn" not in source:
        return {}
    result: dict[int, Suppression] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        codes = _codes_in(token.string)
        if codes:
            line, column = token.start
            result[line] = Suppression(line, column + 1, codes)
    return result


_CODE = re.compile(r"^TFF\d{0,3}$", re.IGNORECASE)


def _codes_in(comment: str) -> frozenset[str]:
    """Entries of every noqa/ignore comment: codes, prefixes, rule names.

    The list ends at the first word that is none of these, so prose after
    the codes (``# noqa: TFF101 -- prints on purpose``) is not read as codes.
    """
    found: set[str] = set()
    for pattern in (_NOQA, _IGNORE):
        for match in pattern.finditer(comment):
            listed = match.group("codes")
            if listed is None or not listed.strip():
                found.add(ALL)
                continue
            for part in re.split(r"[\s,]+", listed.strip()):
                if not (_CODE.match(part) or part.lower() in RULES_BY_NAME):
                    break
                found.add(part)
    return frozenset(found)


def matches(entry: str, code: str, name: str) -> bool:
    if entry == ALL or entry.lower() == name:
        return True
    upper = entry.upper()
    if upper.startswith("TFF") and code.startswith(upper):
        return True
    return entry.lower() in RULES_BY_NAME and RULES_BY_NAME[entry.lower()].code == code


def suppressing_entries(code: str, name: str, lines: tuple[int, ...], table: dict[int, Suppression]):
    """The (line, entry) pairs that suppress this finding; empty when none does."""
    return [
        (line, entry)
        for line in dict.fromkeys(lines)
        if line in table
        for entry in table[line].entries
        if matches(entry, code, name)
    ]


def is_suppressed(code: str, name: str, lines: tuple[int, ...], table: dict[int, Suppression]) -> bool:
    return bool(suppressing_entries(code, name, lines, table))

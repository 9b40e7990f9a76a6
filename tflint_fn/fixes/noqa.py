"""``--add-noqa``: a ``# noqa: TFFnnn`` on the line of every finding, merged with the comment there.

A finding is suppressed by a comment on its first or last line; the first is
used unless it ends inside a multi-line string or with a ``\\`` continuation
(where no comment can go), then the last. An existing ``# noqa: TFF101`` gets
the new codes added to its list (before any reason that follows the codes);
any other comment gets the ``# noqa`` after it.
"""

from __future__ import annotations

import io
import re
import tokenize

from tflint_fn.findings import Finding
from tflint_fn.fixes.apply import FileText
from tflint_fn.fixes.edits import TextEdit
from tflint_fn.fixes.units import Unit

_NOQA_CODES = re.compile(r"#\s*noqa:\s*", re.IGNORECASE)
_BARE_NOQA = re.compile(r"#\s*noqa(?!:)", re.IGNORECASE)
_CODE = re.compile(r"TFF\d{0,3}", re.IGNORECASE)
_WORD = re.compile(r"([\s,]*)([\w\-]+)")
# Not commented on: TFF001 (the file does not parse) and TFF002 (the comment is the finding).
NOT_SUPPRESSIBLE = frozenset({"TFF001", "TFF002"})


def _comment_lines(unit: Unit) -> tuple[set[int], dict[int, tuple[int, str]]]:
    """Lines a comment cannot end (inside a string, after ``\\``), and the comment on each line."""
    python = unit.module.code if unit.module is not None else unit.text
    blocked: set[int] = set()
    comments: dict[int, tuple[int, str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(python).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                blocked.update(range(token.start[0], token.end[0]))
            elif token.type == tokenize.COMMENT:
                comments[token.start[0]] = (token.start[1], token.string)
            elif getattr(tokenize, "FSTRING_START", None) is not None and token.type == tokenize.FSTRING_MIDDLE and token.end[0] > token.start[0]:
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        return set(range(1, len(unit.starts) + 1)), {}
    for number, line in enumerate(python.splitlines(), 1):
        if line.rstrip().endswith("\\") and number not in comments:
            blocked.add(number)
    return blocked, comments


def _line_end(unit: Unit, line: int) -> int:
    start = unit.starts[line - 1]
    end = unit.starts[line] if line < len(unit.starts) else len(unit.text)
    return start + len(unit.text[start:end].rstrip())


def _merged_comment(comment: str, codes: list[str]) -> tuple[int, int, str] | None:
    """Where in ``comment`` the new codes go (start, end, text); None when a bare noqa hides all."""
    from tflint_fn.registry import RULES_BY_NAME

    match = _NOQA_CODES.search(comment)
    if match is None:
        if _BARE_NOQA.search(comment):
            return None
        return len(comment), len(comment), f"  # noqa: {', '.join(codes)}"
    listed: list[str] = []
    end = position = match.end()
    while True:
        word = _WORD.match(comment, position)
        if word is None or not (_CODE.fullmatch(word.group(2)) or word.group(2).lower() in RULES_BY_NAME):
            break  # the list ends at the first word that is not a code or a rule name
        if listed and not word.group(1):
            break
        listed.append(word.group(2).upper())
        end = position = word.end()
    new = [code for code in codes if code not in listed]
    if not new:
        return end, end, ""
    if not listed:
        return end, end, ", ".join(new) + (" " if comment[end:].strip() else "")
    return end, end, ", " + ", ".join(new)


def noqa_edits(file: FileText, findings: list[Finding]) -> list[tuple[int, TextEdit]]:
    """(number of codes added, edit) per line that gets a new or longer comment."""
    lines: dict[int, tuple] = {}  # unit index -> its blocked lines and comments

    def _cached_lines(unit: Unit):
        index = file.units.index(unit)
        if index not in lines:
            lines[index] = _comment_lines(unit)
        return lines[index]

    wanted: dict[tuple[int, int], list[str]] = {}
    for finding in findings:
        if finding.code in NOT_SUPPRESSIBLE:
            continue
        unit = file.unit_for(finding.cell)
        if unit is None:
            continue
        index = file.units.index(unit)
        blocked, _ = _cached_lines(unit)
        line = finding.start.line if finding.start.line not in blocked else finding.end.line
        if line in blocked or not 0 < line <= len(unit.starts):
            continue
        codes = wanted.setdefault((index, line), [])
        if finding.code not in codes:
            codes.append(finding.code)
    edits = []
    for (index, line), codes in sorted(wanted.items()):
        unit = file.units[index]
        codes.sort()
        _, comments = _cached_lines(unit)
        if line in comments:
            column, comment = comments[line]
            merged = _merged_comment(comment, codes)
            if merged is None or not merged[2]:
                continue
            start = unit.offset(line, column)
            edits.append((len(codes), TextEdit(index, start + merged[0], start + merged[1], merged[2])))
        else:
            end = _line_end(unit, line)
            edits.append((len(codes), TextEdit(index, end, end, f"  # noqa: {', '.join(codes)}")))
    return edits

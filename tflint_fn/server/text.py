"""Positions and edits between the engine and an editor, without pygls.

The engine counts lines from 1 and columns from 1 in code points (LibCST's
and CPython's columns); LSP counts both from 0, and columns in the code
units of the negotiated position encoding (UTF-16 unless the client offers
another). Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` in both.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their line breaks (a final break opens an empty line)."""
    return _LINE_BREAK.split(text)


def code_units(text: str, encoding: str = "utf-16") -> int:
    """How many code units of ``encoding`` (``utf-8``, ``utf-16``, ``utf-32``) ``text`` takes."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def to_lsp(lines: list[str], line: int, column: int, encoding: str = "utf-16") -> tuple[int, int]:
    """The engine's 1-based (line, code-point column) as LSP's 0-based (line, character)."""
    index = max(line - 1, 0)
    if index >= len(lines):
        return len(lines), 0
    text = lines[index]
    return index, code_units(text[: max(column - 1, 0)], encoding)


def from_lsp(lines: list[str], line: int, character: int, encoding: str = "utf-16") -> tuple[int, int]:
    """LSP's 0-based (line, character) as the engine's 1-based (line, code-point column)."""
    if line >= len(lines):
        return len(lines) + 1, 1
    units = 0
    for index, char in enumerate(lines[line]):
        if units >= character:
            return line + 1, index + 1
        units += code_units(char, encoding)
    return line + 1, len(lines[line]) + 1


def buffer_bytes(text: str) -> bytes:
    """The bytes of an editor buffer, as they would be saved.

    The engine decodes bytes like a file (BOM, PEP 263 cookie): a buffer
    declaring ``# -*- coding: latin-1 -*-`` is encoded in latin-1, so that
    the engine reads back the very text the editor shows.
    """
    data = text.encode("utf-8", "surrogateescape")
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec: the engine reports it (TFF001)
        return data
    if declared in ("utf-8", "utf-8-sig"):
        return data
    try:
        return text.encode(declared)
    except (UnicodeEncodeError, LookupError):
        return data  # not representable: the engine reports the decoding error


def buffer_text(data: bytes) -> str:
    """``data`` decoded as :func:`buffer_bytes` encoded it (the coding cookie's codec, else UTF-8)."""
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(declared)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return data.decode("utf-8", "surrogateescape")


def replacement(old: str, new: str) -> tuple[tuple[int, int], tuple[int, int], str] | None:
    """One edit that turns ``old`` into ``new``: (start, end) as 1-based (line, code-point column) in ``old``,
    and the text that replaces that span; None when they are equal. Only what differs is replaced, so an
    editor keeps the cursor and the folds elsewhere."""
    if old == new:
        return None
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1
    return _position(old, start), _position(old, end_old), new[start:end_new]


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, code-point column) of ``offset`` in ``text``, lines ending as LSP's do."""
    breaks = list(_LINE_BREAK.finditer(text[:offset]))
    if breaks and breaks[-1].group() == "\r" and text[offset : offset + 1] == "\n":
        breaks.pop()  # between the two characters of a \r\n: still on that line
    line_start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, offset - line_start + 1


@dataclass(frozen=True)
class LineEdit:
    """Replace columns ``start``..``end`` (1-based code points) of ``line`` (1-based) by ``text``."""

    line: int
    start: int
    end: int
    text: str


_NOQA = re.compile(r"#\s*noqa\b(?P<colon>\s*:\s*)?", re.IGNORECASE)
_WORD = re.compile(r"[\w\-]+")
_SEPARATOR = re.compile(r"[\s,]+")
_CODE = re.compile(r"^TFF\d{0,3}$", re.IGNORECASE)


def noqa_edit(source: str, code: str, lines_of_node: tuple[int, int], rule_names=()) -> LineEdit | None:
    """The edit that adds ``code`` to a ``# noqa`` on the node's first (else last) line.

    An existing ``# noqa: X`` there gets ``, CODE`` after its codes (prose
    after them stays); another comment gets ``  # noqa: CODE`` after it.
    Never a line whose end lies inside a string or after a backslash
    continuation, where a comment cannot go. None when no line can take one,
    or a bare ``# noqa`` is already there.
    """
    text_lines = split_lines(source)
    blocked, comments = _line_facts(source)
    names = {name.lower() for name in rule_names}
    for line in dict.fromkeys(lines_of_node):
        if not 1 <= line <= len(text_lines) or line in blocked:
            continue
        text = text_lines[line - 1]
        comment = comments.get(line)
        if comment is not None:
            column, body = comment
            match = _NOQA.search(body)
            if match is not None:
                if match.group("colon") is None:
                    return None  # a bare noqa already hides every code on this line
                end = _end_of_codes(body, match.end(), names)
                if end is None:  # `# noqa:` followed by no code
                    at = column - 1 + match.end()
                    return LineEdit(line, at + 1, at + 1, f"{code}")
                at = column - 1 + end
                return LineEdit(line, at + 1, at + 1, f", {code}")
        content = text.rstrip()
        if content.endswith("\\"):
            continue
        spacing = "  " if content else ""
        return LineEdit(line, len(content) + 1, len(text) + 1, f"{spacing}# noqa: {code}")
    return None


def _end_of_codes(body: str, start: int, names: set[str]) -> int | None:
    """Where the list of codes after ``noqa:`` ends (an index into ``body``), None if it is empty."""
    end = None
    position = start
    while True:
        word = _WORD.match(body, position)
        if word is None or not (_CODE.match(word.group()) or word.group().lower() in names):
            return end
        end = word.end()
        separator = _SEPARATOR.match(body, end)
        if separator is None:
            return end
        position = separator.end()


def _line_facts(source: str) -> tuple[set[int], dict[int, tuple[int, str]]]:
    """Lines whose end is inside a string token, and line -> (1-based column, text) of its comment."""
    blocked: set[int] = set()
    comments: dict[int, tuple[int, str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = (token.start[1] + 1, token.string)
            elif token.start[0] != token.end[0] and token.type not in (tokenize.NL, tokenize.NEWLINE):
                blocked.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return blocked, comments

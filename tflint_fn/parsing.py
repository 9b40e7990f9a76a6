"""Read, decode and parse one file; failures become TFF001 findings."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class ParseFailure:
    reason: str
    line: int = 1
    column: int = 1


def decode(data: bytes) -> str | ParseFailure:
    """Decode source bytes as Python does: BOM, PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        return ParseFailure(f"cannot decode: {error}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        line = data[: getattr(error, "start", 0)].count(b"\n") + 1
        return ParseFailure(f"cannot decode as {encoding}: {error}", line)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return ParseFailure("source contains a NUL byte", line)
    return text


def parse(text: str) -> cst.Module | ParseFailure:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        message = str(error.message).strip().splitlines()[0] if error.message else "invalid syntax"
        return ParseFailure(f"syntax error: {message}", error.raw_line, error.raw_column + 1)
    except RecursionError:
        return ParseFailure("too deeply nested to parse")
    except Exception as error:  # LibCST raises a few other types on odd input
        return ParseFailure(f"cannot parse: {type(error).__name__}: {error}")

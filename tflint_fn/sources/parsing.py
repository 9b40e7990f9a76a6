"""Read, decode and parse one file; failures become TFF001 findings."""

from __future__ import annotations

import ast
import io
import os
import stat
import tokenize
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst


@dataclass(frozen=True)
class ParseFailure:
    reason: str
    line: int = 1
    column: int = 1


# Larger files are reported (TFF001), not read: no real module is this big, and
# a device or a runaway generated file must not exhaust memory.
MAX_FILE_BYTES = 16 * 1024 * 1024


def too_large(limit: int) -> ParseFailure:
    return ParseFailure(f"not read: larger than {limit // (1024 * 1024)} MiB")


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"))


class FileGone(Exception):
    """The file was removed after it was found: it is not checked."""


def read_source(path: str | os.PathLike, limit: int = MAX_FILE_BYTES) -> bytes | ParseFailure:
    """The bytes of a regular file, or why they are not read.

    Opened without blocking (a FIFO named ``x.py`` must not hang the run) and
    read up to ``MAX_FILE_BYTES`` (``/dev/zero`` must not exhaust memory).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileGone(path) from None
    except OSError as error:
        return ParseFailure(f"cannot read: {error.strerror or error}")
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            return ParseFailure(f"not read: {kind}, not a regular file")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            return too_large(limit)
        return b"".join(chunks)
    except OSError as error:
        return ParseFailure(f"cannot read: {error.strerror or error}")
    finally:
        os.close(descriptor)


def decode(data: bytes) -> str | ParseFailure:
    """Decode source bytes as Python does: BOM, PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if "unknown encoding" in str(error):
            return ParseFailure(f"cannot decode: {error}")
        encoding = "utf-8"  # no usable declaration: Python reads UTF-8
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


# CPython refuses more than 200 nested brackets; LibCST's native parser
# overflows its stack (a segfault) somewhere past 1000, so check first.
_MAX_BRACKET_DEPTH = 200


# LibCST's parse time grows faster than quadratically with the size of one
# expression (6,000 terms of `x + x + ...`: 11 s); CPython refuses such
# expressions at once. A very long line is where they live: ask CPython first.
_LONG_LINE = 5000


def parse(text: str) -> cst.Module | ParseFailure:
    import libcst as cst  # here: a run served from the cache never parses

    suspicious = _bracket_depth(text) > _MAX_BRACKET_DEPTH or _longest_line(text) > _LONG_LINE
    if suspicious:
        python_error = _python_syntax_error(text, deep=True)
        if python_error is not None:
            return python_error
    try:
        return _parse_unvalidated(cst, text)
    except cst.ParserSyntaxError as error:
        python_error = _python_syntax_error(text)
        if python_error is not None:
            return python_error
        message = str(error.message).strip().splitlines()[0] if error.message else "invalid syntax"
        return ParseFailure(f"syntax error: {message}", error.raw_line, error.raw_column + 1)
    except RecursionError:
        return ParseFailure("too deeply nested to parse")
    except Exception as error:  # LibCST raises a few other types on odd input
        return ParseFailure(f"cannot parse: {type(error).__name__}: {error}")


def _parse_unvalidated(cst, text: str) -> cst.Module:
    """``cst.parse_module`` without LibCST's per-node validation.

    Every node LibCST builds checks its own fields (whitespace, parentheses);
    a tree straight from LibCST's own parser passes those checks by
    construction, and they cost about a sixth of the parse. Nodes built
    anywhere else (the fix edits) are still checked: the hook is back as soon
    as the parse returns. The analysis runs in one thread at a time.
    """
    node_class = cst.CSTNode
    checked = node_class.__dict__.get("__post_init__")
    if checked is None:  # a LibCST that validates elsewhere: parse as it is
        return cst.parse_module(text)
    node_class.__post_init__ = _no_check
    try:
        return cst.parse_module(text)
    finally:
        node_class.__post_init__ = checked


def _no_check(node) -> None:
    return None


def parse_syntax(text: str) -> ast.Module | ParseFailure:
    """CPython's syntax tree of a module (several times faster than LibCST's parse).

    A file CPython rejects is the same TFF001 ``parse`` gives: its message
    comes from the same place.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # CPython's SyntaxWarnings about user code are not ours to print
            return compile(text, "<file>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    failure = parse(text)
    if isinstance(failure, ParseFailure):
        return failure
    # LibCST reads what this Python cannot (newer syntax): the analysis needs both.
    return _python_syntax_error(text, deep=True) or ParseFailure("syntax error: not valid Python for this interpreter")


class ChunkParseError(Exception):
    """LibCST could not parse a top-level statement that CPython did parse (``failure``: where)."""

    def __init__(self, failure: ParseFailure) -> None:
        super().__init__(failure.reason)
        self.failure = failure
        self.module = None  # the summary.ModuleInfo, set by whoever asked for the chunk


def parse_chunk(text: str) -> cst.Module:
    """LibCST's tree of one top-level statement, already accepted by CPython."""
    tree = parse(text)
    if isinstance(tree, ParseFailure):
        raise ChunkParseError(tree)
    return tree


def _python_syntax_error(text: str, deep: bool = False) -> ParseFailure | None:
    """Python's own message and position, which users know better than LibCST's.

    With ``deep``, an expression too deep for CPython is a failure too.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # CPython's SyntaxWarnings about user code are not ours to print
            compile(text, "<file>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except SyntaxError as error:
        return ParseFailure(f"syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return ParseFailure("too deeply nested: Python itself cannot compile this file") if deep else None
    except ValueError:
        return None
    return None


def syntax_error(text: str) -> ParseFailure | None:
    """Python's syntax error for a file that is not analysed further, if it has one.

    Only the syntax tree is built (no bytecode): cheap next to LibCST.
    """
    return _python_syntax_error(text)


def _longest_line(text: str) -> int:
    if len(text) <= _LONG_LINE:
        return 0
    return max(map(len, text.splitlines()), default=0)


def _bracket_depth(text: str) -> int:
    """Deepest bracket nesting, counting brackets in strings too (an upper bound)."""
    if text.count("(") + text.count("[") + text.count("{") <= _MAX_BRACKET_DEPTH:
        return 0
    depth = deepest = 0
    for character in text:
        if character in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif character in ")]}":
            depth -= 1
    return deepest

"""How an exception raised by the user's code is told, and where it was raised.

``describe_exception`` turns an error (unwrapping AutoGraph's and Keras's
wrappers) into ``Class: first sentence``; ``error_locations`` finds the lines
of the user's files it came from, in AutoGraph's message or the traceback.
Needs no TensorFlow.
"""

from __future__ import annotations

import re
import traceback

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): ?(.*)$")


def describe_exception(error: BaseException) -> str:
    """``Class: first sentence of the original message``, unwrapping AutoGraph and Keras."""
    name = type(error).__name__
    if isinstance(error, SystemExit):
        return f"SystemExit: sys.exit({error.code!r}) was called"
    lines = [line.strip() for line in _ANSI.sub("", str(error)).splitlines() if line.strip()]
    if lines and lines[0] == "Graph execution error:":
        # The op's own message follows the frames of the node that failed.
        reasons = [line for line in lines[1:] if not line.startswith(("Detected at node", "File ", "[["))]
        if reasons:
            return f"{name}: {_first_sentence(reasons[0])} (when the graph ran)"
    message = lines[0] if lines else ""
    if lines and lines[0].startswith("Exception encountered when calling"):
        message = lines[1] if len(lines) > 1 else message
        lines = lines[1:]
    if lines and lines[0] == "in user code:":
        # AutoGraph lists the user's frames, then the original error on its last lines.
        originals = [line for line in lines if _ERROR_LINE.match(line) and not line.startswith("File ")]
        if originals:
            original_name, message = _ERROR_LINE.match(originals[-1]).groups()
            original_name = original_name.rsplit(".", 1)[-1]
            if original_name != name:
                return f"{original_name}: {_first_sentence(message)} (raised as {name})"
    return f"{name}: {_first_sentence(message)}" if message else name


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    if end > 20:
        text = text[:end]
    text = text.rstrip(".")
    return text if len(text) <= 200 else text[:197] + "..."


def error_location(error: BaseException, is_user_file) -> tuple[str, int] | None:
    """The innermost line of the user's code where ``error`` was raised."""
    locations = error_locations(error, is_user_file)
    return locations[0] if locations else None


def error_locations(error: BaseException, is_user_file) -> list[tuple[str, int]]:
    """Candidates for where ``error`` was raised, best first.

    AutoGraph lists the user's frames in its message; the traceback has the
    frames of code it did not convert. For a lambda AutoGraph's line can be
    off, so the traceback's innermost user frame is a second candidate.
    """
    found: list[tuple[str, int]] = []
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        in_message = [(path, int(line)) for path, line in FRAME.findall(str(error)) if is_user_file(path)]
        frames = [(f.filename, f.lineno) for f in traceback.extract_tb(error.__traceback__) if is_user_file(f.filename)]
        for candidate in in_message[-1:] + frames[-1:]:
            if candidate not in found:
                found.append(candidate)
        if found:
            return found
        error = error.__cause__ or error.__context__
    return found

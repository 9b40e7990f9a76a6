"""Run the bug-report programs in this process and check each one's recorded symptom.

Every program's header has a line

    # symptom: stdout "TEXT"                the program's output contains TEXT
    # symptom: raises NAME "TEXT"           it raises an exception whose class (or a base
                                            class) is named NAME and whose message contains TEXT
    # symptom: warns "TEXT"                 TensorFlow's logger warns with TEXT

`python run_all.py [FILE ...]` runs the given programs (default: all of them, in name
order) one after another in this single process, so TensorFlow is imported once, and
prints one JSON object per program: its name, whether the symptom happened, and what
was seen. The exit status is 1 when a symptom did not happen.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SYMPTOM = re.compile(r'^#\s*symptom:\s*(stdout|raises|warns)\s*(\w*)\s*"(.*)"\s*$', re.MULTILINE)


def parse_symptom(text: str) -> tuple[str, str, str] | None:
    """The program's recorded symptom: (kind, exception name or "", text)."""
    match = SYMPTOM.search(text)
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3)


def programs(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    return sorted(p for p in HERE.glob("[0-9][0-9][0-9]_*.py"))


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_one(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    symptom = parse_symptom(text)
    out = io.StringIO()
    handler = _Capture()
    error: BaseException | None = None
    tf_logger = None
    if "tensorflow" in sys.modules:
        tf_logger = sys.modules["tensorflow"].get_logger()
        tf_logger.addHandler(handler)
    old_cwd = os.getcwd()
    try:
        os.chdir(path.parent)
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    except BaseException as exc:  # the symptom may be any exception
        if isinstance(exc, KeyboardInterrupt):
            raise
        error = exc
    finally:
        os.chdir(old_cwd)
        if tf_logger is None and "tensorflow" in sys.modules:
            tf_logger = sys.modules["tensorflow"].get_logger()
        if tf_logger is not None:
            tf_logger.removeHandler(handler)
    stdout = out.getvalue()
    names = [cls.__name__ for cls in type(error).__mro__] if error is not None else []
    message = str(error) if error is not None else ""
    happened = False
    if symptom is not None:
        kind, name, needle = symptom
        if kind == "stdout":
            happened = error is None and needle in stdout
        elif kind == "raises":
            happened = error is not None and name in names and needle in message
        else:
            happened = any(needle in m for m in handler.messages)
    return {
        "program": path.name,
        "symptom": list(symptom) if symptom else None,
        "happened": happened,
        "stdout": stdout[-2000:],
        "exception": names[0] if names else None,
        "message": message[-2000:],
        "warnings": [m[:300] for m in handler.messages][-5:],
    }


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    failed = 0
    for path in programs(argv):
        result = run_one(path)
        failed += not result["happened"]
        print(json.dumps(result), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""How often each line of the user's files runs, and TensorFlow's warnings.

``LineCounter`` counts lines and the Python calls they make, mapping
AutoGraph's generated code back to the user's lines; ``LogCapture`` keeps
the warnings TensorFlow logs meanwhile.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import Counter

_GENERATED = "__autograph_generated_file"
_AUTOGRAPH = os.sep + "autograph" + os.sep


def _is_tensorflow(where: str) -> bool:
    """A module name or file path inside TensorFlow or Keras."""
    return (where.startswith(("tensorflow", "keras", "tf_keras"))
            or any(f"{os.sep}{name}{os.sep}" in where for name in ("tensorflow", "keras", "tf_keras")))


class LineCounter:
    """Counts how often each line of the user's files runs, through AutoGraph too.

    AutoGraph runs a converted copy of the function from a generated file; the
    converted function's ``ag_source_map`` maps its lines back to the user's.
    """

    maps: dict[str, dict] = {}  # generated file -> {line: (user file, line)}

    def __init__(self, is_user_file) -> None:
        self.is_user_file = is_user_file
        self.counts: Counter = Counter()
        # Calls a line makes itself to code outside TensorFlow (print, list.append,
        # random.gauss): the Python effect. tf.print's run-time printing is not one.
        self.calls: Counter = Counter()

    def _mapper(self, frame):
        filename = frame.f_code.co_filename
        if self.is_user_file(filename):
            return lambda line: (filename, line)
        if _GENERATED not in filename:
            return None
        table = self.maps.get(filename)
        if table is None:
            caller = frame.f_back
            if caller is None or caller.f_code.co_name != "converted_call":
                return None
            source_map = getattr(caller.f_locals.get("converted_f"), "ag_source_map", None)
            if not source_map:
                return None
            table = {
                location.lineno: (origin.loc.filename, origin.loc.lineno)
                for location, origin in source_map.items()
                if self.is_user_file(origin.loc.filename)
            }
            self.maps[filename] = table
        return table.get

    def _trace(self, frame, event, arg):
        mapper = self._mapper(frame)
        if mapper is None:
            return None
        counts = self.counts
        last = None

        def local(frame, event, arg):
            nonlocal last
            if event == "line":
                location = mapper(frame.f_lineno)
                if location is not None and location != last:
                    counts[location] += 1
                    last = location
            return local

        return local

    def _profile(self, frame, event, arg):
        if event == "c_call":
            if _is_tensorflow(getattr(arg, "__module__", None) or ""):
                return
            caller, name = frame, getattr(arg, "__name__", "")
        elif event == "call":
            callee = frame.f_code.co_filename
            name = frame.f_code.co_name
            if _GENERATED in callee and name.startswith("tf__"):
                name = name[4:]  # AutoGraph's converted copy of a Python function
            elif _is_tensorflow(callee) or _GENERATED in callee:
                return
            caller = frame.f_back
        else:
            return
        # Up through AutoGraph's own frames (converted_call) to the user's line.
        for _ in range(8):
            if caller is None:
                return
            mapper = self._mapper(caller) if caller.f_code.co_filename in self.maps or self.is_user_file(caller.f_code.co_filename) else None
            if mapper is not None:
                location = mapper(caller.f_lineno)
                if location is not None:
                    self.calls[location + (name,)] += 1
                return
            if _AUTOGRAPH not in caller.f_code.co_filename:
                return
            caller = caller.f_back

    def __enter__(self):
        sys.settrace(self._trace)
        threading.settrace(self._trace)
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)
        threading.settrace(None)
        sys.setprofile(None)


class LogCapture(logging.Handler):
    """TensorFlow's own warnings (``AutoGraph could not transform``, retracing)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # a malformed log record must not break a run
            pass

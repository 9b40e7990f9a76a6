"""How often each line of the user's files runs, and TensorFlow's warnings.

``LineCounter`` counts lines and the Python calls they make, mapping
AutoGraph's generated code back to the user's lines; ``LogCapture`` keeps
the warnings TensorFlow logs meanwhile.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import threading
import types
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

    _restore = None

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
            caller, name, callee = frame, getattr(arg, "__name__", ""), arg
        elif event == "call":
            callee = frame.f_code
            filename = callee.co_filename
            name = callee.co_name
            if _GENERATED in filename and name.startswith("tf__"):
                name = name[4:]  # AutoGraph's converted copy of a Python function
            elif _is_tensorflow(filename) or _GENERATED in filename:
                return
            caller = frame.f_back
        else:
            return
        if caller is None:
            return
        mapper = self._user_mapper(caller)
        if mapper is None:
            # Under AutoGraph the user's line calls ``converted_call``, which makes the
            # call itself (or through ``_call_unconverted``); every other call made in
            # AutoGraph's frames is its own work (caches, inspection), not the line's.
            if not _dispatches(caller, callee):
                return
            for _ in range(4):
                caller = caller.f_back
                if caller is None:
                    return
                mapper = self._user_mapper(caller)
                if mapper is not None:
                    break
                if _AUTOGRAPH not in caller.f_code.co_filename:
                    return
            else:
                return
        location = mapper(caller.f_lineno)
        if location is not None:
            self.calls[location + (name,)] += 1

    def _user_mapper(self, frame):
        filename = frame.f_code.co_filename
        if filename in self.maps or self.is_user_file(filename):
            return self._mapper(frame)
        return None

    def _run_on_tensorflow_threads(self):
        """Trace the Python functions TensorFlow calls from its own threads.

        A ``tf.py_function`` / ``tf.numpy_function`` body (and a
        ``Dataset.from_generator`` generator) runs, when the graph runs, on a
        thread TensorFlow started in C++: ``threading.settrace`` never reaches
        it. TensorFlow enters Python there through its function registry; the
        counter is installed on that thread for the duration of the call.
        """
        try:
            from tensorflow.python.ops import script_ops
        except ImportError:  # no TensorFlow (or another layout): nothing runs there
            return None
        registry = script_ops.FuncRegistry
        original = registry.__dict__.get("__call__")
        if original is None:
            return None
        counter = self

        def call(this, *args, **kwargs):
            if sys.gettrace() == counter._trace:  # the calling thread: already counted
                return original(this, *args, **kwargs)
            trace, profile = sys.gettrace(), sys.getprofile()
            sys.settrace(counter._trace)
            sys.setprofile(counter._profile)
            try:
                return original(this, *args, **kwargs)
            finally:
                sys.settrace(trace)
                sys.setprofile(profile)

        registry.__call__ = call
        return lambda: setattr(registry, "__call__", original)

    def __enter__(self):
        self._restore = self._run_on_tensorflow_threads()
        sys.settrace(self._trace)
        threading.settrace(self._trace)
        sys.setprofile(self._profile)
        threading.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)
        threading.settrace(None)
        sys.setprofile(None)
        threading.setprofile(None)
        if self._restore is not None:
            self._restore()
            self._restore = None


def _dispatches(frame, callee) -> bool:
    """Is ``frame`` AutoGraph making the call the user's line asked for, to ``callee``?

    ``callee`` is the C function called, or the code object of the Python
    function: it must be what ``converted_call`` was given (or its converted copy).
    """
    code = frame.f_code
    if code.co_name not in _DISPATCH or _AUTOGRAPH not in code.co_filename:
        return False
    names = frame.f_locals
    for key in ("converted_f", "f"):
        target = names.get(key)
        if target is None:
            continue
        if target is callee:
            return True
        # Read only functions' and methods' own slots: no user code (a __getattr__) runs in the profiler.
        if type(target) is types.MethodType:
            target = target.__func__
        if type(target) is types.FunctionType:
            if target.__code__ is callee:
                return True
            continue
        try:
            method = inspect.getattr_static(type(target), "__call__", None)  # a callable object
        except Exception:  # a type that cannot even be inspected statically: not this call
            continue
        if type(method) is types.FunctionType and method.__code__ is callee:
            return True
    return False


_DISPATCH = ("converted_call", "_call_unconverted")


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

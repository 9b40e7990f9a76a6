"""The dynamic worker: a subprocess that imports TensorFlow and the user's code.

Started by ``runner`` as ``python -m tflint_fn.dynamic.worker MEMORY_MB``. It
reads one job per line on stdin (a module, its traced roots and the findings
about them), traces every root with real TensorFlow, and writes one result
per line on the protocol stream. Anything the user's code prints outside a
capture lands on stderr, which the runner keeps for crash reports.

Only the standard library and TensorFlow are imported here: the worker must
not depend on the linter's own modules.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import io
import json
import linecache
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

CALLS = 3  # calls per input: enough to tell "once per trace" from "once per call"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): ?(.*)$")
_GENERATED = "__autograph_generated_file"
_EDITED = " (edited by tflint-fn)"
_AUTOGRAPH = os.sep + "autograph" + os.sep


def _is_tensorflow(where: str) -> bool:
    """A module name or file path inside TensorFlow or Keras."""
    return (where.startswith(("tensorflow", "keras", "tf_keras"))
            or any(f"{os.sep}{name}{os.sep}" in where for name in ("tensorflow", "keras", "tf_keras")))

tf = None  # imported in main(), after the memory limit is set


# ---------------------------------------------------------------- errors


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
        in_message = [(path, int(line)) for path, line in _FRAME.findall(str(error)) if is_user_file(path)]
        frames = [(f.filename, f.lineno) for f in traceback.extract_tb(error.__traceback__) if is_user_file(f.filename)]
        for candidate in in_message[-1:] + frames[-1:]:
            if candidate not in found:
                found.append(candidate)
        if found:
            return found
        error = error.__cause__ or error.__context__
    return found


# ---------------------------------------------------------------- line counts


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


# ---------------------------------------------------------------- module loading


class Loader:
    """Imports the user's modules fresh, optionally from an edited copy of a file."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = [os.path.abspath(root) for root in roots]
        self.baseline = set(sys.modules)
        self._user: dict[str, bool] = {}

    def is_user_file(self, path: str) -> bool:
        known = self._user.get(path)
        if known is None:
            absolute = os.path.abspath(path)
            known = (
                not path.startswith("<")  # <frozen abc>, <string>
                and any(absolute.startswith(root + os.sep) for root in self.roots)
                and "site-packages" not in absolute
                and os.sep + "tflint_fn" + os.sep + "dynamic" + os.sep not in absolute
            )
            self._user[path] = known
        return known

    def purge(self) -> None:
        """Forget every user module imported since the worker started.

        Not only this job's: two projects checked together may both have a
        module named ``model``.
        """
        installed = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(__file__))})
        for name in [n for n in sys.modules if n not in self.baseline]:
            path = os.path.abspath(getattr(sys.modules[name], "__file__", None) or "/")
            if path != "/" and "site-packages" not in path and not path.startswith(installed):
                del sys.modules[name]

    def use_roots(self) -> None:
        """Put the project's roots first on sys.path, as the user would have them."""
        for root in reversed(self.roots):
            if root in sys.path:
                sys.path.remove(root)
            sys.path.insert(0, root)
        importlib.invalidate_caches()

    def load(self, name: str, path: str, overlay: str | None = None):
        self.purge()
        self.use_roots()
        if overlay is None:
            linecache.checkcache(path)
            return importlib.import_module(name)
        # The edited text must be what AutoGraph reads back as the source.
        lines = overlay.splitlines(keepends=True)
        linecache.cache[path] = (len(overlay), None, lines, path)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        exec(compile(overlay, path, "exec"), module.__dict__)
        # AutoGraph re-reads the file of any loaded module whose __file__ matches
        # the function's, which would undo the edit.
        module.__file__ = path + _EDITED
        return module

    def restore(self, path: str) -> None:
        linecache.cache.pop(path, None)


# ---------------------------------------------------------------- inputs


@dataclass
class Inputs:
    args: tuple
    kwargs: dict
    note: str  # how they were chosen, for the evidence
    instance: object = None
    function: object = None  # the tf.function they were checked with
    specs: tuple | None = None  # probes: traced with these (unknown dimensions), then called


PROBES = [  # (dtype, shape) per parameter; None dimensions are 4 in the concrete values
    ("float32", [None]),
    ("float32", []),
    ("float32", [None, None]),
    ("int32", [None]),
    ("int32", []),
]


def _concrete(spec):
    shape = [4 if dim is None else dim for dim in spec.shape.as_list()] if spec.shape.rank is not None else [4]
    if spec.dtype == tf.string:
        return tf.fill(shape, "a")
    if spec.dtype == tf.bool:
        return tf.fill(shape, True)
    return tf.cast(tf.fill(shape, 1.5 if spec.dtype.is_floating else 1), spec.dtype)


def _spec_text(spec) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in spec.shape.as_list()) if spec.shape.rank is not None else "..."
    return f"TensorSpec([{dims}], {spec.dtype.name})"


def _required_parameters(function) -> list[str]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [
        p.name for p in parameters
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.name != "self"
    ]


def probe_candidates(names: list[str]):
    """Generated specs to try, one per required parameter, with their description."""
    combos = [[probe] * len(names) for probe in PROBES]
    if len(names) > 1:
        for first in (PROBES[0], PROBES[2]):
            combos += [[first] + [PROBES[3]] * (len(names) - 1), [first] + [PROBES[4]] * (len(names) - 1)]
    for combo in combos:
        specs = [tf.TensorSpec(shape, getattr(tf, dtype)) for dtype, shape in combo]
        note = "probe " + (", ".join(f"{n}={_spec_text(s)}" for n, s in zip(names, specs)) or "with no arguments")
        yield tuple(_concrete(s) for s in specs), note


class ExampleError(Exception):
    pass


def load_examples(path: str | None) -> dict:
    if not path:
        return {}
    try:
        spec = importlib.util.spec_from_file_location("tflint_fn_dynamic_examples", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as error:  # the user's examples module: anything can happen
        raise ExampleError(f"examples module {path} cannot be imported: {describe_exception(error)}") from None
    table = getattr(module, "EXAMPLES", None)
    if not isinstance(table, dict):
        raise ExampleError(f"examples module {path} must define a dict EXAMPLES = {{'package.module:qualname': function}}")
    return table


def call_example(factory, module, key: str) -> Inputs:
    try:
        wants_module = len(inspect.signature(factory).parameters) >= 1
        value = factory(module) if wants_module else factory()
    except BaseException as error:
        raise ExampleError(f"example {key!r} raised {describe_exception(error)}") from None
    note = f"example {key}"
    if isinstance(value, (tuple, list)):
        return Inputs(tuple(value), {}, note)
    if isinstance(value, dict) and set(value) <= {"args", "kwargs", "instance"}:
        return Inputs(tuple(value.get("args", ())), dict(value.get("kwargs", {})), note, value.get("instance"))
    raise ExampleError(f"example {key!r} must return a tuple of arguments or a dict with args/kwargs/instance")


# ---------------------------------------------------------------- what to call


@dataclass
class Plan:
    """One traced root, ready to call in graph mode and eagerly."""

    inputs: Inputs
    unit: str  # "calls", "training steps", "passes over the dataset"
    graph_setup: object  # () -> None; may trace (tf.data)
    graph_call: object  # (inputs) -> value
    eager_call: object
    function: object = None  # the tf.function, for its tracing count
    python_function: object = None


class Skip(Exception):
    """The root cannot be traced here; the message says why."""


@dataclass
class Phase:
    counts: Counter = field(default_factory=Counter)
    call_counts: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)  # (call index, exception)
    outputs: list = field(default_factory=list)
    printed: list = field(default_factory=list)
    logs: list = field(default_factory=list)
    traces: int | None = None
    calls: int = 0


def _attribute_path(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _is_tf_function(obj) -> bool:
    return hasattr(obj, "python_function") and hasattr(obj, "experimental_get_tracing_count")


def _wrapping_function(module, function):
    """The ``tf.function`` object a module made from ``function`` (``g = tf.function(f)``)."""
    for value in vars(module).values():
        if _is_tf_function(value) and inspect.unwrap(value.python_function) is inspect.unwrap(function):
            return value
    return None


# ---------------------------------------------------------------- the job


class Job:
    def __init__(self, job: dict, loader: Loader, examples: dict) -> None:
        self.job = job
        self.loader = loader
        self.examples = examples
        self.name = job["module"]
        self.path = os.path.abspath(job["path"])
        self.findings = job["findings"]
        self.results: dict[str, dict] = {}
        self.new: list[dict] = []
        self.module = None
        self.overlay: str | None = None  # the edited source being traced, if any
        self.used = False  # has a root run in the loaded module yet?
        self._lines: dict[str, list[str]] = {}
        self.base: list[dict] = []  # findings replaced for the whole module (they broke its import)

    # -- entry point

    def run(self) -> dict:
        for _ in range(4):
            try:
                self.module = self.loader.load(self.name, self.path, self._overlay([]) if self.base else None)
                break
            except BaseException as error:  # the user's import: SystemExit included
                if not self._import_failed(error):
                    return self._result()
        else:
            return self._result()
        subjects: dict[tuple, list] = {}
        for subject in self.job["subjects"]:
            subjects.setdefault((subject["qualname"], None), [])
        for finding in self.findings:
            # Varying a parameter between calls is how TFF401/TFF405 are shown; any
            # other finding about a parameter (a mutated default) is judged on its root.
            parameter = finding["subject"].get("parameter") if finding["code"] in ("TFF401", "TFF405") else None
            subjects.setdefault((finding["subject"]["qualname"], parameter), []).append(finding)
        by_qualname = {s["qualname"]: s for s in self.job["subjects"]}
        for finding in self.findings:
            by_qualname.setdefault(finding["subject"]["qualname"], finding["subject"])
        for (qualname, parameter), findings in subjects.items():
            subject = by_qualname[qualname]
            try:
                if parameter is not None:
                    self._retracing(subject, parameter, findings)
                else:
                    self._root(subject, findings)
            except Skip as why:
                for finding in findings:
                    self._set(finding, "skipped", str(why))
            except ExampleError as error:
                for finding in findings:
                    self._set(finding, "error", str(error))
            except BaseException as error:  # a bug in user code outside any call we guard
                for finding in findings:
                    self._set(finding, "error", f"{describe_exception(error)} while preparing `{qualname}`")
        return self._result()

    def _result(self) -> dict:
        return {"module": self.name, "results": self.results, "new": self.new}

    def _set(self, finding: dict, status: str, evidence: str) -> None:
        self.results.setdefault(str(finding["id"]), {"status": status, "evidence": evidence})

    def _import_failed(self, error: BaseException) -> bool:
        """Confirm the findings the import error proves; True to retry with them replaced."""
        blamed, where = self._blame(error, self.findings)
        text = describe_exception(error)
        if blamed and isinstance(error, Exception):
            for finding in blamed:
                self._set(finding, "confirmed", f"importing `{self.name}` raises {text} (at {self._show(where)})")
            self.base.extend(blamed)
            if self._overlay([]) is not None:
                return True
        at = f" at {self._show(where)}" if where else ""
        for finding in self.findings:
            self._set(finding, "error", f"importing `{self.name}` failed{at}: {text}")
        return False

    def _blame(self, error: BaseException, findings: list, done: list = (), named: list | None = None):
        """The findings ``error`` proves (at their line, else by ``named``'s message), and where it was raised."""
        candidates = error_locations(error, self.loader.is_user_file)
        where = candidates[0] if candidates else None
        blamed = [f for f in findings if any(self._at(f, c) for c in candidates) and f not in done]
        if not blamed:
            blamed = [f for f in (findings if named is None else named) if f not in done and self._named_by(f, error)]
            candidates = [(os.path.abspath(f["path"]), f["line"]) for f in blamed] + candidates
        if blamed:
            where = next(c for c in candidates if any(self._at(f, c) for f in blamed))
        return blamed, where

    def _named_by(self, finding: dict, error: BaseException) -> bool:
        """Does TensorFlow's message name this finding's problem, when no line matches?

        AutoGraph reports a tensor `if` or loop at its first line, and some
        errors come from tf.function itself, with no line of the user's.
        """
        message = str(error)
        code = finding["code"]
        if code in ("TFF302", "TFF303"):
            name = self._source_span(finding).strip()
            return name.isidentifier() and f"'{name}'" in message
        if code == "TFF107":
            files = {os.path.abspath(path) for path, _ in _FRAME.findall(message)}
            return "RecursionError" in describe_exception(error) and os.path.abspath(finding["path"]) in files
        patterns = {
            "TFF304": "generator",
            "TFF403": "input_signature",
            "TFF404": "should not modify its Python input arguments",
        }
        return code in patterns and patterns[code] in message

    # -- helpers

    def _show(self, where) -> str:
        path, line = where
        return f"{os.path.relpath(path)}:{line}"

    @staticmethod
    def _at(finding: dict, where) -> bool:
        path, line = where
        return os.path.abspath(finding["path"]) == os.path.abspath(path) and finding["line"] <= line <= finding["end_line"]

    def _example(self, key: str, module) -> Inputs | None:
        factory = self.examples.get(f"{self.name}:{key}")
        return None if factory is None else call_example(factory, module, f"{self.name}:{key}")

    # -- building a plan

    def _plan(self, module, subject: dict) -> Plan:
        qualname = subject["qualname"]
        if "<locals>" in qualname:
            outer = qualname.split(".<locals>", 1)[0]
            inputs = self._example(outer, module)
            if inputs is None:
                raise Skip(
                    f"`{qualname}` is defined inside `{outer}` and cannot be imported by name; "
                    f"declare an example for `{self.name}:{outer}` to run it"
                )
            driver = _attribute_path(module, outer)
            call = lambda i: driver(*i.args, **i.kwargs)  # noqa: E731
            return Plan(inputs, f"calls of `{outer}`", lambda: None, call, call)
        if subject["kind"] == "keras":
            return self._keras_plan(module, subject)
        function, instance, target = self._resolve(module, subject)
        if subject["kind"] == "tf.data":
            return self._dataset_plan(module, subject, target)
        inputs = self._inputs(module, subject, function, instance)
        # The probes may have re-imported the module: use the function that worked.
        function, instance = inputs.function, inputs.instance

        def graph_setup():
            # A probe traces with unknown dimensions, as a batch from tf.data or Keras
            # would; the calls with concrete values then reuse that trace.
            if inputs.specs is not None:
                function.get_concrete_function(*inputs.specs)

        def graph_call(i):
            return function(*i.args, **i.kwargs)

        def eager_call(i):
            tf.config.run_functions_eagerly(True)
            try:
                return function(*i.args, **i.kwargs)
            finally:
                tf.config.run_functions_eagerly(False)

        return Plan(inputs, "calls", graph_setup, graph_call, eager_call, function, function.python_function)

    def _resolve(self, module, subject: dict):
        """The tf.function (or tf.data function) of ``subject`` in ``module``, and its instance."""
        qualname = subject["qualname"]
        try:
            target = _attribute_path(module, qualname)
        except AttributeError:
            raise Skip(f"`{qualname}` is not an attribute of module `{self.name}` after import") from None
        instance = None
        if subject.get("class_qualname"):
            inputs = self._example(qualname, module) or self._example(subject["class_qualname"], module)
            instance = inputs.instance if inputs is not None and inputs.instance is not None else None
            if instance is None:
                cls = _attribute_path(module, subject["class_qualname"])
                try:
                    instance = cls()
                except Exception as error:
                    raise Skip(
                        f"`{subject['class_qualname']}()` needs arguments ({describe_exception(error)}); "
                        f"declare an example with an instance"
                    ) from None
            target = getattr(instance, qualname.rsplit(".", 1)[-1])
        if subject["kind"] == "tf.data":
            return None, instance, target
        function = target if _is_tf_function(target) else _wrapping_function(module, target)
        if function is None:
            # Traced by a wrapper the module does not keep (``tf.function(f)(x)``).
            function = tf.function(target, autograph=subject.get("autograph", True))
        return function, instance, target

    def _inputs(self, module, subject, function, instance) -> Inputs:
        example = self._example(subject["qualname"], module)
        if example is not None:
            example.function = function
            example.instance = example.instance or instance
            return example
        signature = getattr(function, "input_signature", None)
        if signature:
            values = tf.nest.map_structure(_concrete, tuple(signature))
            return Inputs(tuple(values), {}, "input_signature", instance, function)
        names = _required_parameters(function.python_function)
        failures = []
        for values, note in probe_candidates(names):
            if failures:
                # A failed attempt may have left state behind (a Keras layer built for the wrong shape).
                self.module = module = self.loader.load(self.name, self.path, self.overlay)
                function, instance, _ = self._resolve(module, subject)
            try:
                with _quiet():
                    _eager(lambda: function(*values))
                specs = tuple(tf.TensorSpec([None] * v.shape.rank, v.dtype) for v in values)
                return Inputs(values, {}, note, instance, function, specs)
            except Exception as error:
                failures.append(describe_exception(error))
        raise Skip(
            "needs an example: no generated probe runs eagerly "
            f"(first: {failures[0] if failures else 'none'}); declare one for `{self.name}:{subject['qualname']}`"
        )

    def _dataset_plan(self, module, subject, target) -> Plan:
        example = self._example(subject["qualname"], module)
        candidates = [(example.args, example.note)] if example is not None else list(
            probe_candidates(_required_parameters(target))
        )
        failures = []
        for values, note in candidates:
            try:
                with _quiet():
                    target(*values)
                break
            except Exception as error:
                failures.append(describe_exception(error))
        else:
            raise Skip(
                f"needs an example: the function fails eagerly with every input tried (first: {failures[0]}); "
                f"declare one for `{self.name}:{subject['qualname']}`"
            )
        element = values[0] if len(values) == 1 else tuple(values)
        state = {}

        def setup():
            # tf.data traces the function here, once, when the pipeline is built.
            state["dataset"] = tf.data.Dataset.from_tensors(element).map(target)

        def graph_call(i):
            return [item for item in state["dataset"]]

        return Plan(Inputs(tuple(values), {}, note), "passes over the dataset", setup, graph_call,
                    lambda i: target(*i.args))

    def _keras_plan(self, module, subject) -> Plan:
        class_qualname = subject.get("class_qualname") or subject["qualname"].rsplit(".", 1)[0]
        method = subject["qualname"].rsplit(".", 1)[-1]
        example = self._example(subject["qualname"], module) or self._example(class_qualname, module)
        cls = _attribute_path(module, class_qualname)
        if example is not None and example.instance is not None:
            instance = example.instance
        else:
            try:
                instance = cls()
            except Exception as error:
                raise Skip(
                    f"needs an example: `{class_qualname}()` raises {describe_exception(error)}; "
                    f"declare `{self.name}:{class_qualname}` returning {{'instance': ..., 'args': (...)}}"
                ) from None
        if example is not None and example.args:
            candidates = [(example.args, example.note)]
        else:
            candidates = [((tf.fill(shape, 0.5),), f"probe inputs of shape {shape}") for shape in ([4, 16], [4, 8], [4, 4, 16])]
        failures = []
        for args, note in candidates:
            try:
                with _quiet():
                    output = instance(*args)  # eager; also builds the weights
                break
            except Exception as error:
                failures.append(describe_exception(error))
        else:
            raise Skip(f"needs an example: calling `{class_qualname}` eagerly fails (first: {failures[0]})")
        inputs = Inputs(tuple(args), {}, note, instance)
        if method == "call":
            traced = tf.function(lambda *a: instance(*a), autograph=False)
            return Plan(inputs, "calls", lambda: None, lambda i: traced(*i.args), lambda i: instance(*i.args))
        if method not in ("train_step", "test_step", "predict_step"):
            raise Skip(f"`{method}` of a Keras class is traced by Keras code this checker does not drive")
        if not hasattr(instance, "compile"):
            raise Skip(f"`{class_qualname}` is not a Model: `{method}` needs fit/evaluate/predict")
        x = args[0]
        y = tf.zeros_like(tf.convert_to_tensor(output)) if not isinstance(output, (dict, list, tuple)) else None
        batch = int(x.shape[0]) if x.shape.rank else 1
        # One batch per call; as in real training, the batch dimension is unknown while tracing.
        data = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else x).batch(batch)

        def runner(eager):
            def call(i):
                if getattr(instance, "_tflint_fn_eager", None) is not eager:
                    instance.compile(optimizer="sgd", loss="mse", run_eagerly=eager, jit_compile=False)
                    instance._tflint_fn_eager = eager
                if method == "train_step":
                    return instance.fit(data, epochs=1, verbose=0).history
                if method == "test_step":
                    return instance.evaluate(data, verbose=0)
                return instance.predict(data, verbose=0)
            return call

        unit = {"train_step": "training steps", "test_step": "evaluation steps", "predict_step": "prediction steps"}[method]
        return Plan(inputs, unit, lambda: None, runner(False), runner(True))

    # -- running

    def _phase(self, plan: Plan, eager: bool, calls: int = CALLS, vary=None) -> Phase:
        phase = Phase()
        capture = LogCapture()
        logger = logging.getLogger("tensorflow")
        logger.addHandler(capture)
        before = plan.function.experimental_get_tracing_count() if plan.function is not None and not eager else None
        try:
            with LineCounter(self.loader.is_user_file) as counter:
                if not eager:
                    try:
                        with _captured(phase):
                            plan.graph_setup()
                    except BaseException as error:
                        if not isinstance(error, Exception) and not isinstance(error, SystemExit):
                            raise
                        phase.errors.append((0, error))
                        return phase
                for index in range(calls):
                    inputs = vary(index) if vary is not None else plan.inputs
                    phase.calls += 1
                    try:
                        with _captured(phase):
                            value = (plan.eager_call if eager else plan.graph_call)(inputs)
                        phase.outputs.append(value)
                    except (Exception, SystemExit) as error:
                        phase.errors.append((index, error))
            phase.counts = counter.counts
            phase.call_counts = counter.calls
        finally:
            logger.removeHandler(capture)
            phase.logs = capture.messages
        if before is not None:
            phase.traces = plan.function.experimental_get_tracing_count() - before
        return phase

    # -- a traced root and the findings about it

    def _root(self, subject: dict, findings: list) -> None:
        neutralized: list[tuple[dict, str]] = []  # (finding, its confirmed evidence)
        original_failure = None
        for attempt in range(6):
            if attempt:
                overlay = self._overlay([f for f, _ in neutralized])
                if overlay is None:
                    break
                try:
                    self.overlay = overlay
                    self.module = self.loader.load(self.name, self.path, overlay)
                except BaseException:
                    break
            elif self.overlay is not None or self.used:
                self.overlay = self._overlay([]) if self.base else None
                self.module = self.loader.load(self.name, self.path, self.overlay)
            self.used = True
            with _quiet():
                plan = self._plan(self.module, subject)
                graph = self._phase(plan, eager=False)
            if not graph.errors:
                break
            error = graph.errors[0][1]
            # A root can stop at another root's finding (a pipeline built by a driver).
            eligible = [f for f in self.findings if f in findings or f["path"] == self.path]
            blamed, where = self._blame(error, eligible, [n for n, _ in neutralized], named=findings)
            if blamed and where is None:
                where = (os.path.abspath(blamed[0]["path"]), blamed[0]["line"])
            if attempt == 0:
                original_failure = (error, where)
            if not blamed:
                break
            text = f"{describe_exception(error)} (at {self._show(where)}, while tracing with {plan.inputs.note}"
            if neutralized:
                text += f"; line {', '.join(str(f['line']) for f, _ in neutralized)} replaced by a stand-in to get here"
            text += ")"
            text += self._warnings(graph, "could not transform")
            for finding in blamed:
                self._set(finding, "confirmed", text)
                neutralized.append((finding, text))
            if not all(_neutralizer(f, self._source_span(f)) for f in blamed):
                break
        after = f"; line {', '.join(str(f['line']) for f, _ in neutralized)} replaced by a stand-in" if neutralized else ""
        eager = None
        if not graph.errors:
            with _quiet():
                eager = self._phase(plan, eager=True)
        self.loader.restore(self.path)
        module = self.module
        # Only with inputs the function is meant to take: a generated probe can be
        # a tensor where the code expects a Python value (recursion on an int).
        if original_failure is not None and not neutralized and not plan.inputs.note.startswith("probe"):
            self._fails_to_trace(subject, plan, original_failure, findings)
        for finding in findings:
            if str(finding["id"]) in self.results:
                continue
            self._judge(finding, plan, graph, eager, after, module)

    def _fails_to_trace(self, subject, plan, failure, findings) -> None:
        """TFF900: a root that fails in graph mode but runs eagerly, at a line no rule flagged."""
        error, where = failure
        if where is None or any(self._at(f, where) for f in findings):
            return
        try:
            with _quiet(), LineCounter(self.loader.is_user_file) as counter:
                plan.eager_call(plan.inputs)
        except Exception:
            return  # fails eagerly too: the input, not tracing, is the problem
        if not counter.counts[(os.path.abspath(where[0]), where[1])]:
            return  # eagerly that line did not run (a branch not taken): no proof it works
        evidence = (
            f"{describe_exception(error)} (at {self._show(where)}, while tracing with {plan.inputs.note}; "
            f"the same call runs eagerly)"
        )
        self.new.append({
            "path": where[0], "line": where[1], "qualname": subject["qualname"], "kind": subject["kind"],
            "root_path": subject["path"], "root_line": subject["line"],
            "message": f"tracing `{subject['qualname']}` raises {describe_exception(error)}, although it runs eagerly",
            "evidence": evidence,
        })

    def _judge(self, finding, plan, graph: Phase, eager: Phase | None, after: str, module) -> None:
        code = finding["code"]
        if graph.errors:
            error = graph.errors[0][1]
            where = error_location(error, self.loader.is_user_file)
            at = f" at {self._show(where)}" if where else ""
            if code == "TFF305" and where and os.path.abspath(where[0]) == os.path.abspath(finding["path"]):
                try:
                    with _quiet():
                        plan.eager_call(plan.inputs)
                except Exception:
                    pass
                else:
                    self._set(finding, "confirmed", f"traced, {describe_exception(error)} escaped{at}, past the "
                                                    f"`except` at line {finding['line']}; run eagerly, the same call "
                                                    f"returned normally (with {plan.inputs.note}{after})")
                    return
            key = (os.path.abspath(finding["path"]), finding["line"])
            if graph.counts[key]:
                self._set(finding, "skipped", f"cannot tell once per trace from once per call: every call fails{at} "
                                              f"with {describe_exception(error)}{after}")
            else:
                self._set(finding, "skipped", f"not reached: tracing stopped{at} with {describe_exception(error)}{after}")
            return
        key = (os.path.abspath(finding["path"]), finding["line"])
        ran, ran_eagerly = graph.counts[key], eager.counts[key] if eager else 0
        callee = _callee_name(self._source_span(finding))
        if callee is not None:
            # A call: what matters is the Python call the line makes, not the line
            # (a `tf.print` line also runs once per trace, but prints on every call).
            key = key + (callee,)
            ran, ran_eagerly = graph.call_counts[key], eager.call_counts[key] if eager else 0
        calls = graph.calls
        label = self._label(finding)
        how = f" (with {plan.inputs.note}{after})"
        if code == "TFF106":
            self._frozen_global(finding, plan, how)
            return
        if code.startswith("TFF1") and code not in ("TFF105", "TFF107"):
            summary = f"{label} ran {_times(ran)} for {calls} {plan.unit}, {_times(ran_eagerly)} when run eagerly"
            summary += self._effect_note(finding, graph, module, plan)
            if ran < ran_eagerly:
                self._set(finding, "confirmed", summary + how)
            elif ran == 0 and ran_eagerly == 0:
                what = f"made no Python call to `{callee}`" if callee else "never ran"
                self._set(finding, "not-reproduced", f"line {finding['line']} {what} in either mode{how}")
            else:
                self._set(finding, "not-reproduced", summary + how)
            return
        if code.startswith("TFF4"):
            self._retrace_root(finding, plan, graph, how)
            return
        if ran == 0:
            self._set(finding, "not-reproduced", f"line {finding['line']} never ran while tracing{how}")
        else:
            self._set(finding, "not-reproduced", f"traced without error; line {finding['line']} ran {_times(ran)}{how}")

    def _per_call_function(self, finding) -> None:
        """TFF402: call the function that builds a tf.function, and count the traces of what it wraps."""
        enclosing = finding.get("function") or ""
        try:
            node = ast.parse(self._source_span(finding).strip(), mode="eval").body
            wrapped = getattr(self.module, node.args[0].id)
            driver = getattr(self.module, enclosing)
        except (SyntaxError, AttributeError, IndexError, TypeError):
            self._set(finding, "skipped", f"cannot call `{enclosing}` and find what it wraps from this module")
            return
        code = getattr(inspect.unwrap(wrapped), "__code__", None)
        body = [line for _, _, line in code.co_lines() if line and line > code.co_firstlineno] if code else []
        if not body or not callable(driver):
            self._set(finding, "skipped", f"`{node.args[0].id}` is not a Python function")
            return
        key = (os.path.abspath(code.co_filename), min(body))
        failures = []
        for values, note in probe_candidates(_required_parameters(driver)):
            try:
                with _quiet():
                    driver(*values)
            except Exception as error:
                failures.append(describe_exception(error))
                continue
            with _quiet(), LineCounter(self.loader.is_user_file) as counter:
                for _ in range(CALLS):
                    driver(*values)
            traced = counter.counts[key]
            text = (f"`{node.args[0].id}` was traced {_times(traced)} for {CALLS} calls of `{enclosing}`: "
                    f"each call builds a new tf.function (with {note})")
            self._set(finding, "confirmed" if traced >= CALLS else "not-reproduced", text)
            return
        self._set(finding, "skipped", f"needs an example: `{enclosing}` fails with every probe "
                                      f"(first: {failures[0] if failures else 'none'})")

    def _frozen_global(self, finding, plan: Plan, how: str) -> None:
        """TFF106: change the global after the first call; a graph that does not retrace cannot see it."""
        name = self._source_span(finding).strip()
        module = sys.modules.get(_module_of(finding["path"]) or "")
        if plan.function is None or module is None or not name.isidentifier() or not hasattr(module, name):
            self._set(finding, "skipped", f"cannot change `{name}` between calls of this kind of root")
            return
        old = getattr(module, name)
        if tf.is_tensor(old) or isinstance(old, tf.Variable) or not isinstance(old, (int, float, str, bool)):
            self._set(finding, "not-reproduced", f"`{name}` holds {type(old).__name__}, not a Python constant{how}")
            return
        new = old + 0.5 if isinstance(old, float) else (old + 1 if isinstance(old, int) else old + "_changed")
        before = plan.function.experimental_get_tracing_count()
        try:
            with _quiet():
                plan.graph_call(plan.inputs)
                setattr(module, name, new)
                plan.graph_call(plan.inputs)
                plan.graph_call(plan.inputs)
        except Exception as error:
            self._set(finding, "skipped", f"calling again failed: {describe_exception(error)}")
            return
        finally:
            setattr(module, name, old)
        traces = plan.function.experimental_get_tracing_count() - before
        text = (f"`{name}` changed from {old!r} to {new!r} after call 1 of 3, and the function traced "
                f"{_times(traces)} again")
        if traces == 0:
            self._set(finding, "confirmed", text + f": the graph still uses {old!r}{how}")
        else:
            self._set(finding, "not-reproduced", text + how)

    def _retrace_root(self, finding, plan: Plan, graph: Phase, how: str) -> None:
        code = finding["code"]
        if code == "TFF402":
            self._per_call_function(finding)
            return
        if graph.traces is None:
            self._set(finding, "skipped", f"no tracing count for this kind of root{how}")
            return
        text = f"traced {_times(graph.traces)} for {graph.calls} calls" + self._warnings(graph, "retracing")
        if graph.traces > 1:
            self._set(finding, "confirmed", text + _signatures(plan.function) + how)
        else:
            self._set(finding, "not-reproduced", text + how)

    # -- retracing at a call site (TFF401, TFF405)

    def _retracing(self, subject: dict, parameter: str, findings: list) -> None:
        """TFF401/TFF405 at a call site: call the tf.function with varying Python values or shapes."""
        function, instance, _ = self._resolve(self.module, subject)
        if function is None:
            raise Skip("not a tf.function: no tracing count to observe")
        signature = inspect.signature(function.python_function)
        if parameter not in signature.parameters:
            raise Skip(f"`{subject['qualname']}` has no parameter `{parameter}`")
        example = self._example(subject["qualname"], self.module)
        if example is not None:
            bases = [example]
        elif getattr(function, "input_signature", None):
            bases = [Inputs(tuple(tf.nest.map_structure(_concrete, tuple(function.input_signature))), {},
                            "input_signature", instance)]
        else:
            bases = [Inputs(values, {}, note, instance)
                     for values, note in probe_candidates(_required_parameters(function.python_function))]
        shapes = any(f["code"] == "TFF405" for f in findings)
        failures = []
        for base in bases:
            try:
                bound = signature.bind_partial(*base.args, **base.kwargs)
            except TypeError:
                continue
            for values, shown in _varied_values(bound.arguments.get(parameter), shapes):

                def vary(index, bound=bound, values=values, base=base):
                    arguments = dict(bound.arguments)
                    arguments[parameter] = values[index]
                    call = inspect.BoundArguments(signature, arguments)
                    return Inputs(call.args, call.kwargs, base.note, base.instance)

                try:  # the values must be ones the function accepts: check eagerly first
                    with _quiet():
                        for index in range(len(values)):
                            _eager(lambda: function(*vary(index).args, **vary(index).kwargs))
                except Exception as error:
                    failures.append(f"{parameter}={shown[0]} with {base.note}: {describe_exception(error)}")
                    continue
                plan = Plan(base, "calls", lambda: None, lambda i: function(*i.args, **i.kwargs), None, function,
                            function.python_function)
                with _quiet():
                    graph = self._phase(plan, eager=False, calls=len(values), vary=vary)
                for finding in findings:
                    if graph.errors:
                        error = describe_exception(graph.errors[0][1])
                        self._set(finding, "error", f"calling with {parameter}={shown[0]} raised {error}")
                        continue
                    text = f"traced {_times(graph.traces)} for {len(values)} calls: {parameter}=" + ", ".join(shown)
                    text += self._warnings(graph, "retracing") + _signatures(function, parameter)
                    status = "confirmed" if graph.traces == len(values) else "not-reproduced"
                    others = re.sub(rf",? ?\b{re.escape(parameter)}=TensorSpec\([^)]*\)", "", base.note)
                    others = "none" if others == "probe" else others
                    self._set(finding, status, text + f" (other arguments: {others})")
                return
        raise Skip(f"needs an example: no input runs eagerly with varying `{parameter}` "
                   f"(first: {failures[0] if failures else 'none'}); declare one for `{self.name}:{subject['qualname']}`")

    # -- evidence details

    def _original_lines(self, path: str) -> list[str]:
        """The file as it is on disk (linecache may hold an edited copy)."""
        if path not in self._lines:
            try:
                with open(path, encoding="utf-8") as handle:
                    self._lines[path] = handle.read().splitlines(keepends=True)
            except (OSError, UnicodeDecodeError):
                self._lines[path] = []
        return self._lines[path]

    def _source_span(self, finding) -> str:
        lines = self._original_lines(finding["path"])
        start, end = finding["line"], finding["end_line"]
        if not lines or end > len(lines):
            return ""
        if start == end:
            return lines[start - 1][finding["column"] - 1:finding["end_column"] - 1]
        text = lines[start - 1][finding["column"] - 1:] + "".join(lines[start:end - 1])
        return text + lines[end - 1][:finding["end_column"] - 1]

    def _label(self, finding) -> str:
        text = " ".join(self._source_span(finding).split())
        if not text:
            return f"line {finding['line']}"
        if len(text) > 40:
            text = text[:37] + "..."
        return f"`{text}` (line {finding['line']})"

    def _effect_note(self, finding, graph: Phase, module, plan: Plan) -> str:
        text = self._source_span(finding)
        if finding["code"] == "TFF101" and graph.printed:
            first = graph.printed[0].strip().splitlines()[0] if graph.printed[0].strip() else ""
            return f"; printed {first[:60]!r}" if first else ""
        match = re.match(r"\s*(?:global\s+)?(self\.)?([A-Za-z_]\w*)", text)
        if not match:
            return ""
        owner = plan.inputs.instance if match.group(1) else sys.modules.get(_module_of(finding["path"]) or "", module)
        value = getattr(owner, match.group(2), None) if owner is not None else None
        if value is None:
            return ""
        name = ("self." if match.group(1) else "") + match.group(2)
        symbolic = [v for v in _flatten(value) if _is_symbolic(v)]
        note = f"; `{name}` holds {len(symbolic)} symbolic tensor{'s' if len(symbolic) != 1 else ''} afterwards" if symbolic else ""
        if isinstance(value, (list, dict, set)) and not note:
            note = f"; `{name}` has {len(value)} items afterwards"
        return note

    def _warnings(self, phase: Phase, word: str) -> str:
        for message in phase.logs:
            if word in message.lower():
                first = " ".join(message.split())
                return f"; TensorFlow warned: {first[:160]}"
        return ""

    def _overlay(self, findings: list) -> str | None:
        lines = list(self._original_lines(self.path))
        for finding in sorted(self.base + list(findings), key=lambda f: (f["line"], f["column"]), reverse=True):
            if os.path.abspath(finding["path"]) != self.path:
                return None
            span = self._source_span(finding)
            replacement = _neutralizer(finding, span)
            if replacement is None:
                return None
            start, end = finding["line"], finding["end_line"]
            head = lines[start - 1][:finding["column"] - 1]
            tail = lines[end - 1][finding["end_column"] - 1:]
            lines[start - 1:end] = [head + replacement + tail] + ["\n"] * (end - start)
        text = "".join(lines)
        try:
            compile(text, self.path, "exec")
        except SyntaxError:
            return None
        return text


def _varied_values(base, shapes: bool):
    """Three Python values, or three NumPy shapes like ``base``'s, with how to show them."""
    import numpy as np

    if shapes:
        rank = len(base.shape) if getattr(base, "shape", None) is not None and len(base.shape) else 1
        rest = [int(d) if d is not None else 4 for d in list(getattr(base, "shape", [4]))[1:rank]]
        values = [np.ones([n] + rest, np.float32) for n in (1, 2, 3)]
        yield values, [f"float32{list(v.shape)}" for v in values]
        return
    yield [0, 1, 2], ["0", "1", "2"]
    yield [0.5, 1.5, 2.5], ["0.5", "1.5", "2.5"]
    yield ["a", "b", "c"], ["'a'", "'b'", "'c'"]


def _callee_name(span: str) -> str | None:
    """``append`` for ``history.append(x)``; None when the flagged code is not a call."""
    try:
        node = ast.parse(span.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call):
        function = node.func
        return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    return None


def _module_of(path: str) -> str | None:
    absolute = os.path.abspath(path)
    for name, module in list(sys.modules.items()):
        if os.path.abspath(getattr(module, "__file__", None) or "") in (absolute, absolute + _EDITED):
            return name
    return None


def _neutralizer(finding: dict, span: str) -> str | None:
    """Source that stands in for a confirmed finding, so tracing can go past it."""
    code = finding["code"]
    text = span.strip()
    if not text:
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        try:
            statement = ast.parse(text).body[0]
        except (SyntaxError, IndexError):
            return None
        return "pass" if isinstance(statement, ast.Assert) else None
    if code == "TFF403":
        return "None"  # no input_signature
    if code == "TFF105" and isinstance(node, ast.Call):
        return f"__tflint_fn_once__({finding['line']}, lambda: {text})"
    if code == "TFF206":
        return f"(4 if ({text}) is None else ({text}))"  # 4: the size of every unknown probe dimension
    if isinstance(node, ast.Call):
        function = node.func
        if code in ("TFF203", "TFF204") and isinstance(function, ast.Attribute) and hasattr(tf.experimental.numpy, function.attr):
            # np.mean(x) / math.sqrt(x) -> the TensorFlow NumPy function of the same name
            arguments = text[text.index("(", len(ast.unparse(function)) - len(function.attr)):]
            return f"__tflint_fn_tnp__.{function.attr}{arguments}"
        if isinstance(node.func, ast.Attribute) and not node.args:
            return f"({ast.unparse(node.func.value)})"  # x.numpy() -> x
        if node.args:
            return f"({ast.unparse(node.args[0])})"  # bool(x), np.mean(x) -> x
        return None
    if code == "TFF202":
        return "True"  # a tensor used as a Python bool: take the branch
    return None


def _install_once_helper(module) -> None:
    cache = {}

    def once(key, make):
        if key not in cache:
            cache[key] = make()
        return cache[key]

    module.__dict__["__tflint_fn_once__"] = tf.autograph.experimental.do_not_convert(once)
    module.__dict__["__tflint_fn_tnp__"] = tf.experimental.numpy


def _signatures(function, parameter: str | None = None) -> str:
    try:
        text = function.pretty_printed_concrete_signatures()
    except Exception:
        return ""
    literals = re.findall(r"Literal\[[^\]]*\]", text)
    if parameter is not None:
        lines = [line.strip() for line in text.splitlines() if line.strip().startswith(f"{parameter} ")]
        if lines:
            return "; TensorFlow's signatures: " + ", ".join(line.split(": ", 1)[-1] for line in lines)
    if literals:
        return "; TensorFlow's signatures: " + ", ".join(literals[:6])
    return ""


def _times(count: int | None) -> str:
    return f"{count} time{'s' if count != 1 else ''}"


def _flatten(value, depth: int = 0):
    if depth > 2:
        return
    if isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _flatten(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item, depth + 1)
    else:
        yield value


def _is_symbolic(value) -> bool:
    return tf.is_tensor(value) and not hasattr(value, "numpy")


def _eager(call):
    tf.config.run_functions_eagerly(True)
    try:
        return call()
    finally:
        tf.config.run_functions_eagerly(False)


@contextlib.contextmanager
def _quiet():
    """Keep the user's prints during set-up out of the protocol and the evidence."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def _captured(phase: Phase):
    """One call's stdout (kept as evidence) and stderr (kept out of the worker's log)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        if out.getvalue():
            phase.printed.append(out.getvalue())


# ---------------------------------------------------------------- main


def _limit_memory(megabytes: int) -> None:
    import resource

    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not leave a core file behind


def main(argv: list[str]) -> int:
    global tf
    _limit_memory(int(argv[1]) if len(argv) > 1 else 0)
    # The protocol gets private copies of stdin and stdout; the user's code sees
    # /dev/null and stderr, so neither input() nor a stray print can corrupt it.
    protocol_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    protocol_out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    started = time.perf_counter()
    import tensorflow

    tf = tensorflow
    tf.get_logger().setLevel(logging.WARNING)
    protocol_out.write(json.dumps({"ready": True, "tensorflow": tf.__version__,
                                   "import_seconds": time.perf_counter() - started}) + "\n")
    examples_cache: dict[str, dict] = {}
    for line in protocol_in:
        job = json.loads(line)
        started = time.perf_counter()
        loader = Loader(job["roots"])
        loader.baseline = _BASELINE if _BASELINE else set(sys.modules)
        try:
            path = job.get("examples")
            loader.use_roots()  # the examples module may import the project
            if path not in examples_cache:
                examples_cache[path] = load_examples(path)
            runner = Job(job, loader, examples_cache[path])
            original_load = loader.load

            def load(name, path, overlay=None, _load=original_load):
                module = _load(name, path, overlay)
                _install_once_helper(module)
                return module

            loader.load = load
            result = runner.run()
        except ExampleError as error:
            result = {"module": job["module"], "results": {
                str(f["id"]): {"status": "error", "evidence": str(error)} for f in job["findings"]}, "new": []}
        result["seconds"] = time.perf_counter() - started
        protocol_out.write(json.dumps(result, default=str) + "\n")
    return 0


_BASELINE: set[str] = set()

if __name__ == "__main__":
    _BASELINE.update(sys.modules)
    sys.exit(main(sys.argv))

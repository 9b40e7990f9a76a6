"""Retracing (TFF4xx): count how often a tf.function traces.

At a root, ``judge_retracing_root`` reads the tracing count of the calls ``Job``
made (TFF402: ``_per_call_function`` calls the function that builds a new
tf.function each time); at a call site, ``judge_call_site_retracing`` calls the tf.function
with a parameter that changes between calls (TFF401, TFF405).
Functions take the ``Job`` whose findings they judge. TensorFlow is imported
inside the functions that use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import ast
import inspect
import os
import re

from tflint_fn.dynamic.errors import describe_exception
from tflint_fn.dynamic.inputs import (
    Inputs,
    concrete_value,
    probe_candidates,
    required_parameters,
    varied_values,
)
from tflint_fn.dynamic.linecount import LineCounter
from tflint_fn.dynamic.plans import (
    CALLS,
    Phase,
    Plan,
    Skip,
    quiet,
    run_eagerly,
    times_text,
)
from tflint_fn.dynamic.signatures import observed_signature, working_signature


def judge_retracing_root(job, finding, plan: Plan, graph: Phase, how: str) -> None:
    code = finding["code"]
    if code == "TFF402":
        _per_call_function(job, finding)
        return
    if graph.traces is None:
        job._set(finding, "skipped", f"no tracing count for this kind of root{how}")
        return
    text = f"traced {times_text(graph.traces)} for {graph.calls} calls" + job._warnings(graph, "retracing")
    if graph.traces > 1:
        job._set(finding, "confirmed", text + _signatures(plan.function) + how)
    else:
        job._set(finding, "not-reproduced", text + how)


def _per_call_function(job, finding) -> None:
    """TFF402: call the function that builds a tf.function, and count the traces of what it wraps."""
    enclosing = finding.get("function") or ""
    try:
        node = ast.parse(job._source_span(finding).strip(), mode="eval").body
        wrapped = getattr(job.module, node.args[0].id)
        driver = getattr(job.module, enclosing)
    except (SyntaxError, AttributeError, IndexError, TypeError):
        job._set(finding, "skipped", f"cannot call `{enclosing}` and find what it wraps from this module")
        return
    code = getattr(inspect.unwrap(wrapped), "__code__", None)
    body = [line for _, _, line in code.co_lines() if line and line > code.co_firstlineno] if code else []
    if not body or not callable(driver):
        job._set(finding, "skipped", f"`{node.args[0].id}` is not a Python function")
        return
    key = (os.path.abspath(code.co_filename), min(body))
    failures = []
    for values, note in probe_candidates(required_parameters(driver)):
        try:
            with quiet():
                driver(*values)
        except Exception as error:
            failures.append(describe_exception(error))
            continue
        with quiet(), LineCounter(job.loader.is_user_file) as counter:
            for _ in range(CALLS):
                driver(*values)
        traced = counter.counts[key]
        text = (f"`{node.args[0].id}` was traced {times_text(traced)} for {CALLS} calls of `{enclosing}`: "
                f"each call builds a new tf.function (with {note})")
        job._set(finding, "confirmed" if traced >= CALLS else "not-reproduced", text)
        return
    job._set(finding, "skipped", f"needs an example: `{enclosing}` fails with every probe "
                                 f"(first: {failures[0] if failures else 'none'})")


def judge_call_site_retracing(job, subject: dict, parameter: str, findings: list) -> None:
    """TFF401/TFF405 at a call site: call the tf.function with varying Python values or shapes.

    A confirmed verdict carries ``signature``: the ``input_signature`` those
    calls show (``signatures.observed_signature``), or ``signature_problem``.
    """
    shapes = any(f["code"] == "TFF405" for f in findings)
    function, calls, base, shown = varied_calls(job, subject, parameter, shapes)
    plan = Plan(base, "calls", lambda: None, lambda i: function(*i.args, **i.kwargs), None, function,
                function.python_function)
    with quiet():
        graph = job._phase(plan, eager=False, calls=len(calls), vary=lambda index: calls[index])
    specs, problem = observed_signature(function.python_function, calls, base.note.startswith("probe"))
    if specs and base.instance is None and not graph.errors:
        with quiet():
            specs, problem = working_signature(function.python_function, calls, specs)
    for finding in findings:
        if graph.errors:
            error = describe_exception(graph.errors[0][1])
            job._set(finding, "error", f"calling with {parameter}={shown[0]} raised {error}")
            continue
        text = f"traced {times_text(graph.traces)} for {len(calls)} calls: {parameter}=" + ", ".join(shown)
        text += job._warnings(graph, "retracing") + _signatures(function, parameter)
        status = "confirmed" if graph.traces == len(calls) else "not-reproduced"
        others = re.sub(rf",? ?\b{re.escape(parameter)}=TensorSpec\([^)]*\)", "", base.note)
        others = "none" if others == "probe" else others
        job._set(finding, status, text + f" (other arguments: {others})")
        if status == "confirmed":
            job.results[str(finding["id"])].update({"signature": specs} if specs else {"signature_problem": problem})


def varied_calls(job, subject: dict, parameter: str, shapes: bool, floats_only: bool = False):
    """The tf.function in ``job.module``, and the calls with a varying ``parameter`` that run eagerly
    (``floats_only``: Python floats, never ints).

    Returns ``(function, calls, base, shown)``: ``calls`` are ``Inputs``, one per
    value, the other arguments from ``base`` (an example, the input_signature or
    a probe); ``shown`` the values as the evidence writes them. Raises ``Skip``.
    """
    import tensorflow as tf

    function, instance, _ = job._resolve(job.module, subject)
    if function is None:
        raise Skip("not a tf.function: no tracing count to observe")
    signature = inspect.signature(function.python_function)
    if parameter not in signature.parameters:
        raise Skip(f"`{subject['qualname']}` has no parameter `{parameter}`")
    example = job._example(subject["qualname"], job.module)
    if example is not None:
        bases = [example]
    elif getattr(function, "input_signature", None):
        bases = [Inputs(tuple(tf.nest.map_structure(concrete_value, tuple(function.input_signature))), {},
                        "input_signature", instance)]
    else:
        bases = [Inputs(values, {}, note, instance)
                 for values, note in probe_candidates(required_parameters(function.python_function))]
    failures = []
    for base in bases:
        try:
            bound = signature.bind_partial(*base.args, **base.kwargs)
        except TypeError:
            continue
        for values, shown in varied_values(bound.arguments.get(parameter), shapes):
            if floats_only and not isinstance(values[0], float):
                continue
            calls = []
            for value in values:
                arguments = dict(bound.arguments)
                arguments[parameter] = value
                call = inspect.BoundArguments(signature, arguments)
                calls.append(Inputs(call.args, call.kwargs, base.note, base.instance))
            try:  # the values must be ones the function accepts: check eagerly first
                with quiet():
                    for call in calls:
                        run_eagerly(lambda call=call: function(*call.args, **call.kwargs))
            except Exception as error:
                failures.append(f"{parameter}={shown[0]} with {base.note}: {describe_exception(error)}")
                continue
            return function, calls, base, shown
    raise Skip(f"needs an example: no input runs eagerly with varying `{parameter}` "
               f"(first: {failures[0] if failures else 'none'}); declare one for `{job.name}:{subject['qualname']}`")


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

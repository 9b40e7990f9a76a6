"""The ``input_signature`` proposed for TFF401/TFF405 from what ``--dynamic`` observed.

The retracing check calls the tf.function with varying values and reports
the shapes and dtypes it saw (``dynamic/signatures.py``); ``signature_plan``
turns them into an unsafe fix of the tf.function's definition, in the
finding's file: ``@tf.function`` becomes ``@tf.function(input_signature=[...])``
(other decorator arguments kept), and ``f = tf.function(g)`` gets the
keyword too. Unsafe: a Python number becomes a tensor (int32 or float32), and
a later call with another rank or dtype than observed raises instead of
tracing again. No plan when the definition is elsewhere, nested, or already
declares an ``input_signature``.
"""

from __future__ import annotations

import libcst as cst

from tflint_fn.findings import Finding
from tflint_fn.fixes.edits import UNSAFE, FileFixer, Plan

TF_FUNCTION = frozenset({"tensorflow.function", "tensorflow.compat.v2.function"})
MESSAGE_START = "Declare `input_signature="


def spec_text(tf: str, spec: dict) -> str:
    shape = "None" if spec["shape"] is None else "[" + ", ".join("None" if d is None else str(d) for d in spec["shape"]) + "]"
    return f"{tf}.TensorSpec(shape={shape}, dtype={tf}.{spec['dtype']})"


def signature_plan(fixer: FileFixer, finding: Finding, specs: list[dict]) -> Plan | None:
    subject = finding.subject
    if subject is None or subject.path != finding.path or "<locals>" in subject.qualname or finding.cell is not None:
        return None
    for unit in fixer.units:
        if unit.module is None:
            continue
        site = _definition_site(fixer, unit, subject.qualname)
        if site is None:
            continue
        named = fixer.module_name("tensorflow", "tf")
        if named is None:
            return None
        tf, import_edits = named
        listed = ", ".join(spec_text(tf, spec) for spec in specs)
        keyword = f"input_signature=[{listed}]"
        if isinstance(site, cst.Call):
            start, end = unit.span(site)
            before = unit.text[start:end - 1].rstrip()
            edit = fixer.insert(unit, end - 1, keyword if before.endswith(("(", ",")) else f", {keyword}")
        else:
            edit = fixer.insert(unit, unit.span(site)[1], f"({keyword})")
        names = ", ".join(f"`{spec['name']}`" for spec in specs)
        message = (f"{MESSAGE_START}[...]` on `{subject.qualname}` from the shapes and dtypes of the calls "
                   f"--dynamic made ({names}): one trace for them all; a Python number becomes a tensor, and a "
                   f"call of another rank or dtype raises instead of tracing again")
        return Plan(finding.code, UNSAFE, message, [*import_edits, edit])
    return None


def _definition_site(fixer: FileFixer, unit, qualname: str):
    """The decorator expression (or ``tf.function(f)`` call) that makes ``qualname`` a tf.function."""
    parts = qualname.split(".")
    body = unit.module.body
    definition = None
    for depth, part in enumerate(parts):
        found = None
        for statement in body:
            wanted = cst.FunctionDef if depth == len(parts) - 1 else cst.ClassDef
            if isinstance(statement, wanted) and statement.name.value == part:
                found = statement  # the last definition: the one the module holds
        if found is None:
            return None
        definition = found
        body = found.body.body if isinstance(found.body, cst.IndentedBlock) else []
    for decorator in definition.decorators:
        expression = decorator.decorator
        function = expression.func if isinstance(expression, cst.Call) else expression
        if fixer.imports.qualified(function) in TF_FUNCTION:
            if isinstance(expression, cst.Call) and _has_signature(expression):
                return None
            return expression
    if len(parts) != 1:
        return None
    for node in unit.positions:  # `fast = tf.function(warmup)` at module level
        if (isinstance(node, cst.Call) and fixer.imports.qualified(node.func) in TF_FUNCTION and node.args
                and isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == qualname
                and node.args[0].keyword is None):
            return None if _has_signature(node) else node
    return None


def _has_signature(call: cst.Call) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == "input_signature" for arg in call.args)

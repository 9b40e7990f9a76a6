"""Every rule's code, name, severity and one-line summary: the registry.

It imports nothing of the analysis, so the command line, the settings and a
run served from the cache know the rules without loading LibCST. Each check
(``checks/``) names its ``code`` and takes the rest from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: str  # "error" | "warning"
    summary: str


# Reported by the engine, not by a check.
PARSE_ERROR = RuleInfo("TFF001", "parse-error", "error", "A file that cannot be read, decoded or parsed.")
UNUSED_SUPPRESSION = RuleInfo(
    "TFF002", "unused-suppression", "warning",
    "A `# noqa` or ignore comment that suppresses nothing (with --report-unused-suppressions).",
)
# Reported by --dynamic only: a traced function that fails under tf.function but runs eagerly.
FAILS_TO_TRACE = RuleInfo(
    "TFF900", "fails-to-trace", "error", "A traced function that raises under tf.function but runs eagerly (--dynamic only).",
)

# The rules of checks inside traced code (``checks.ALL_CHECKS``), in the order they run.
TRACED_CODE_RULES = (
    RuleInfo("TFF101", "print-in-graph", "error",
             "`print` of a tensor runs once at trace time and shows a symbolic tensor, not its value; use `tf.print`."),
    RuleInfo("TFF108", "trace-time-print", "warning",
             "`print` of static information (text, shapes, dtypes, Python values) runs once per trace, not per call."),
    RuleInfo("TFF102", "outer-state-mutation", "error",
             "Mutating Python state outside the traced function happens once, at trace time."),
    RuleInfo("TFF103", "python-attribute-assignment", "error",
             "Storing a tensor in, or updating, a Python attribute in traced code happens once, at trace time."),
    RuleInfo("TFF104", "python-rng-clock-io", "error",
             "Python RNG, clocks, environment and I/O are evaluated once, at trace time."),
    RuleInfo("TFF105", "variable-created-per-call", "error",
             "`tf.Variable` created in traced code without a create-once guard."),
    RuleInfo("TFF106", "frozen-global", "error",
             "Traced code reads a module global that is reassigned elsewhere: frozen at the first trace."),
    RuleInfo("TFF107", "recursive-tf-function", "error",
             "A tf.function calls itself: tracing recurses without end on tensor arguments."),
    RuleInfo("TFF201", "numpy-method-in-graph", "error",
             "`.numpy()` does not exist on symbolic tensors."),
    RuleInfo("TFF202", "python-conversion-of-tensor", "error",
             "`bool()` of a tensor; `float()`/`int()`/`len()`/`if` on a tensor where AutoGraph is off."),
    RuleInfo("TFF203", "numpy-on-tensor", "error",
             "NumPy functions cannot take symbolic tensors."),
    RuleInfo("TFF204", "math-on-tensor", "error",
             "`math` module functions cannot take symbolic tensors."),
    RuleInfo("TFF205", "python-assert-on-tensor", "error",
             "Python `assert` on a tensor fails while tracing; use `tf.debugging.assert_*`."),
    RuleInfo("TFF206", "unknown-static-dim", "error",
             "A static dimension (`x.shape[i]`) that is unknown (None) used as a value."),
    RuleInfo("TFF207", "python-iteration-over-tensor", "error",
             "Iterating a tensor with a comprehension, `list()`, `zip()` or unpacking fails in graph."),
    RuleInfo("TFF301", "container-grown-in-tensor-loop", "error",
             "A Python list/dict/set grown in a loop over a tensor grows once at trace time; use `tf.TensorArray`."),
    RuleInfo("TFF302", "name-defined-in-one-branch", "error",
             "A name assigned on one branch of a tensor `if` and used after it: AutoGraph raises ValueError."),
    RuleInfo("TFF303", "loop-variable-changes-type", "error",
             "A variable of a loop over a tensor starts as None, a Python number of another dtype, or a fixed shape it then changes."),
    RuleInfo("TFF304", "yield-in-traced-function", "error",
             "A traced function that is a generator: tf.function cannot return a generator (TypeError)."),
    RuleInfo("TFF305", "except-op-error-in-graph", "error",
             "`except tf.errors.…` in traced code never catches: ops fail when the graph runs, after tracing."),
    RuleInfo("TFF306", "raise-in-tensor-branch", "error",
             "`raise` under an `if` on a tensor: AutoGraph traces both branches, so it raises for every input."),
    RuleInfo("TFF307", "variable-rebound-in-tensor-branch", "error",
             "A variable's name rebound to what `.assign(...)` returns under a tensor `if`: it holds a tensor after the `if`."),
)
# The rules about tf.function definitions and the code that calls them (``checks.PROJECT_CHECKS``).
PROJECT_RULES = (
    RuleInfo("TFF401", "varying-python-argument", "warning",
             "A tf.function called with a Python number or string that changes every call retraces every call."),
    RuleInfo("TFF402", "tf-function-created-per-call", "warning",
             "`tf.function` applied inside a loop, or in a function called in a loop: each new function traces again."),
    RuleInfo("TFF403", "input-signature-mismatch", "error",
             "An `input_signature` whose length does not match the parameters: TypeError when the function is defined."),
    RuleInfo("TFF404", "mutated-default-argument", "error",
             "A tf.function that modifies a list/dict/set default or argument: ValueError on the call."),
    RuleInfo("TFF405", "varying-input-shape", "warning",
             "A tf.function called with arrays or lists whose shape changes every call, with no `input_signature`."),
)

RULES: dict[str, RuleInfo] = {
    rule.code: rule for rule in (PARSE_ERROR, UNUSED_SUPPRESSION, FAILS_TO_TRACE, *TRACED_CODE_RULES, *PROJECT_RULES)
}
RULES_BY_NAME: dict[str, RuleInfo] = {rule.name: rule for rule in RULES.values()}


def lookup(code_or_name: str) -> RuleInfo | None:
    return RULES.get(code_or_name.upper()) or RULES_BY_NAME.get(code_or_name.lower())

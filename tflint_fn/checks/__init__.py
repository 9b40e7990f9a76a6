"""The rule registry: every check, by code and by name.

To add a rule: write a ``Check`` subclass in the module of its family, add it
to ``ALL_CHECKS`` below (or a ``ProjectCheck``, for a rule about tf.function
definitions or the code that calls them, to ``PROJECT_CHECKS``), and write
``rules/TFFnnn.md`` with a bad and a good example (the test suite runs both).
"""

from __future__ import annotations

from dataclasses import dataclass

from tflint_fn.checks.base import Check, ProjectCheck
from tflint_fn.checks.control_flow import (
    ContainerGrownInTensorLoop,
    ExceptOpErrorInGraph,
    LoopVariableChangesType,
    NameDefinedInOneBranch,
    RaiseInTensorBranch,
    VariableReboundInTensorBranch,
    YieldInTracedFunction,
)
from tflint_fn.checks.native_ops import (
    MathOnTensor,
    NumpyMethodInGraph,
    NumpyOnTensor,
    PythonAssertOnTensor,
    PythonConversionOfTensor,
    PythonIterationOverTensor,
    UnknownStaticDimension,
)
from tflint_fn.checks.retracing import (
    InputSignatureMismatch,
    MutatedDefaultArgument,
    TfFunctionCreatedPerCall,
    VaryingInputShape,
    VaryingPythonArgument,
)
from tflint_fn.checks.side_effects import (
    FrozenGlobal,
    OuterStateMutation,
    PrintInGraph,
    PythonAttributeAssignment,
    RecursiveTfFunction,
    TraceTimePrint,
    TraceTimeValue,
    VariableCreatedPerCall,
)


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: str
    summary: str


# Reported by the engine, not by a check.
PARSE_ERROR = RuleInfo("TFF001", "parse-error", "error", "A file that cannot be read, decoded or parsed.")
UNUSED_SUPPRESSION = RuleInfo(
    "TFF002", "unused-suppression", "warning", "A `# noqa` or ignore comment that suppresses nothing (with --report-unused-suppressions)."
)
# Reported by --dynamic only: a traced function that fails under tf.function but runs eagerly.
FAILS_TO_TRACE = RuleInfo("TFF900", "fails-to-trace", "error", "A traced function that raises under tf.function but runs eagerly (--dynamic only).")

ALL_CHECKS: tuple[type[Check], ...] = (
    PrintInGraph,
    TraceTimePrint,
    OuterStateMutation,
    PythonAttributeAssignment,
    TraceTimeValue,
    VariableCreatedPerCall,
    FrozenGlobal,
    RecursiveTfFunction,
    NumpyMethodInGraph,
    PythonConversionOfTensor,
    NumpyOnTensor,
    MathOnTensor,
    PythonAssertOnTensor,
    UnknownStaticDimension,
    PythonIterationOverTensor,
    ContainerGrownInTensorLoop,
    NameDefinedInOneBranch,
    LoopVariableChangesType,
    YieldInTracedFunction,
    ExceptOpErrorInGraph,
    RaiseInTensorBranch,
    VariableReboundInTensorBranch,
)

# Checks of tf.function definitions and of the code that calls them.
PROJECT_CHECKS: tuple[type[ProjectCheck], ...] = (
    VaryingPythonArgument,
    TfFunctionCreatedPerCall,
    InputSignatureMismatch,
    MutatedDefaultArgument,
    VaryingInputShape,
)

RULES: dict[str, RuleInfo] = {PARSE_ERROR.code: PARSE_ERROR, UNUSED_SUPPRESSION.code: UNUSED_SUPPRESSION}
RULES[FAILS_TO_TRACE.code] = FAILS_TO_TRACE
for _check in ALL_CHECKS + PROJECT_CHECKS:
    RULES[_check.code] = RuleInfo(_check.code, _check.name, _check.severity, _check.summary)
RULES_BY_NAME: dict[str, RuleInfo] = {rule.name: rule for rule in RULES.values()}


def lookup(code_or_name: str) -> RuleInfo | None:
    return RULES.get(code_or_name.upper()) or RULES_BY_NAME.get(code_or_name.lower())

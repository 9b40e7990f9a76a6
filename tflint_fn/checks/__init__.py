"""Every check, in the order they run.

To add a rule: give it a ``RuleInfo`` (code, name, severity, summary) in
``tflint_fn/registry.py``, write a ``Check`` subclass with that ``code`` in the
module of its family, add it to ``ALL_CHECKS`` below (or a ``ProjectCheck``,
for a rule about tf.function definitions or the code that calls them, to
``PROJECT_CHECKS``) at the registry's place, and write ``rules/TFFnnn.md`` with
a bad and a good example (the test suite runs both).
"""

from __future__ import annotations

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
from tflint_fn.registry import (  # noqa: F401 - the registry, also importable from here
    FAILS_TO_TRACE,
    PARSE_ERROR,
    PROJECT_RULES,
    RULES,
    RULES_BY_NAME,
    TRACED_CODE_RULES,
    UNUSED_SUPPRESSION,
    RuleInfo,
    lookup,
)

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

# Each check's rule, in the registry's order: a rule without its check, or a check without its rule, fails here.
if [check.code for check in ALL_CHECKS] != [rule.code for rule in TRACED_CODE_RULES] or [
        check.code for check in PROJECT_CHECKS] != [rule.code for rule in PROJECT_RULES]:
    raise RuntimeError("checks/__init__.py and registry.py list different rules")

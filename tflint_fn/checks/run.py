"""Run the checks over every traced function and turn reports into findings."""

from __future__ import annotations

from collections import defaultdict

import libcst as cst

from tflint_fn.checks.base import Check, CheckContext, ProjectCheck, Report, SiteReport
from tflint_fn.checks.forked import run_shared
from tflint_fn.findings import (
    ChainLink,
    Finding,
    Position,
    Subject,
    TraceContext,
)
from tflint_fn.model.summary import FunctionInfo, ModuleInfo
from tflint_fn.project.callsites import LoopCalls, loop_names
from tflint_fn.project.traces import Project, Trace

# Rules reported once per function and message (a global read in many places).
_ONCE_PER_FUNCTION = frozenset({"TFF106", "TFF304"})


class Positions:
    """Line/column of nodes, computed per parsed tree only when something in it is reported."""

    def __init__(self) -> None:
        self._by_tree: dict[int, tuple[cst.Module, dict]] = {}
        self._measured: set[tuple[int, int]] = set()  # (module, chunk) with a table made

    def range(self, module: ModuleInfo, node: cst.CSTNode, chunk: int = -1):
        """Where ``node`` is; ``chunk``, when known, is the chunk that should hold it.

        Otherwise the chunks already measured come first (most reports fall where
        others did), then the other parsed ones: each measure is a code generation.
        """
        indexes = module.parsed_chunks()
        indexes.sort(key=lambda index: (index != chunk, (id(module), index) not in self._measured))
        for index in indexes:
            self._measured.add((id(module), index))
            for tree, shift in module.position_trees(index):
                found = self._table(tree).get(node)
                if found is None:
                    continue
                if not shift:
                    return found
                from libcst.metadata import CodePosition, CodeRange

                return CodeRange(
                    CodePosition(found.start.line + shift, found.start.column),
                    CodePosition(found.end.line + shift, found.end.column),
                )
        raise KeyError(node)

    def _table(self, tree: cst.Module) -> dict:
        entry = self._by_tree.get(id(tree))
        if entry is None:
            from libcst.metadata import (  # only once something is reported
                MetadataWrapper,
                PositionProvider,
            )

            entry = self._by_tree[id(tree)] = (tree, MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider))
        return entry[1]

    def start(self, module: ModuleInfo, node: cst.CSTNode, chunk: int = -1) -> Position:
        code_range = self.range(module, node, chunk)
        return Position(code_range.start.line, code_range.start.column + 1)

    def end(self, module: ModuleInfo, node: cst.CSTNode, chunk: int = -1) -> Position:
        code_range = self.range(module, node, chunk)
        return Position(code_range.end.line, code_range.end.column + 1)

    def def_line(self, function: FunctionInfo) -> int:
        """The line of a function's ``def`` (the summary has it), or of its lambda."""
        if function.line:
            return function.line
        return self.start(function.module, function.node, function.chunk).line


def analyze(
    project: Project,
    checks: list[Check],
    project_checks: list[ProjectCheck] = (),
    positions: Positions | None = None,
    jobs: int = 1,
    reported: frozenset[str] | None = None,
) -> list[Finding]:
    """The findings of the traced functions' checks, then the project checks'.

    With ``reported`` (display paths), only the traced functions of those files
    are checked: a traced function's findings are in its own file. The project
    checks look at the whole project (a loop anywhere may retrace a function here).

    With ``jobs`` > 1, a large project's checks run in forked processes too
    (forked.py); the findings are the same, in the same order.
    """
    positions = positions or Positions()
    by_type: dict[type, list[Check]] = defaultdict(list)
    for check in checks:
        for node_type in check.node_types:
            by_type[node_type].append(check)
    traces = [
        trace for trace in project.traces.values()
        if reported is None or trace.function.module.display_path in reported
    ]
    # The project checks run in two parts, the first as the side task (a child starts
    # with it), the second as the first task: each is as long as many traced functions.
    parts = _project_parts(project) if project_checks else []
    names = loop_names(project) if parts else None
    later = parts[1:]

    def task(index: int) -> list[Finding]:
        if index < len(later):
            return _project_findings(project, project_checks, positions, LoopCalls(project, later[index], names))
        return _trace_findings(project, traces[index - len(later)], by_type, positions)

    def side() -> list[Finding]:
        return _project_findings(project, project_checks, positions, LoopCalls(project, parts[0], names)) if parts else []

    results, first_part = run_shared(len(later) + len(traces), task, side, jobs)
    findings = _one_finding_per_cause([finding for found in results[len(later):] for finding in found])
    site_findings = [*first_part, *(finding for found in results[: len(later)] for finding in found)]
    # A report about a function rather than a call site (TFF402's function that applies
    # tf.function, called in loops) comes once from each part that has such a loop: keep the first.
    return findings + _without_repeats(site_findings)


def _project_parts(project: Project) -> list[list[ModuleInfo]]:
    """The modules, in order, cut in two parts with about the same loop code to parse."""
    modules = list(project.modules.values())
    weights = [_loop_code(module) for module in modules]
    half, total = 0, sum(weights)
    if not total:
        return [modules]
    for index, weight in enumerate(weights):
        half += weight
        if 2 * half >= total:
            cut = index + 1
            return [modules[:cut], modules[cut:]] if 0 < cut < len(modules) else [modules]
    return [modules]


def _loop_code(module: ModuleInfo) -> int:
    """How much text LibCST may parse for the module's loops: the top-level statements holding them."""
    return sum(module.chunks[index].end - module.chunks[index].begin for index in {loop.chunk for loop in module.loops})


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))  # in order; a Finding has no fix yet, so it hashes


def _project_findings(
    project: Project, project_checks: list[ProjectCheck], positions: Positions, loop_calls: LoopCalls,
) -> list[Finding]:
    findings: list[Finding] = []
    for check in project_checks:
        for report in check.check_project(project, loop_calls):
            try:
                findings.append(_site_finding(check, report, positions))
            except RecursionError:
                continue  # a module too deeply nested for position metadata
    return findings


# (rule, rule it defers to): where both start at one place, they report one
# cause. `history.append(x)` on a rebound global is TFF102 (the mutation), not
# also TFF106 (the read of `history` that starts it).
_SAME_CAUSE = (("TFF106", "TFF102"),)


def _one_finding_per_cause(findings: list[Finding]) -> list[Finding]:
    starts = {(f.path, f.start, f.code) for f in findings}
    return [
        f for f in findings
        if not any(f.code == weaker and (f.path, f.start, stronger) in starts for weaker, stronger in _SAME_CAUSE)
    ]


def _trace_findings(project: Project, trace: Trace, by_type: dict[type, list[Check]], positions: Positions) -> list[Finding]:
    """What the checks report in one traced function, walked once per calling context."""
    reports: dict[tuple, tuple[Check, Report]] = {}

    def listener(node, walker):
        wanted = by_type.get(type(node))
        if not wanted:
            return
        ctx = CheckContext(walker, trace, project)
        for check in wanted:
            for report in check.check(node, ctx):
                if check.code in _ONCE_PER_FUNCTION:
                    key = (check.code, report.message)
                else:
                    key = (check.code, id(report.node))
                reports.setdefault(key, (check, report))

    found: list[Finding] = []
    try:
        if by_type:
            for params in trace.check_contexts():
                project.walk(trace, listener, params)
        for check, report in reports.values():
            found.append(_finding(check, report, trace, positions))
    except RecursionError:
        pass  # an expression too deeply nested for the walker (or its positions): keep what was found
    return found


def _finding(check: Check, report: Report, trace: Trace, positions: Positions) -> Finding:
    module = trace.function.module
    return Finding(
        code=check.code,
        name=check.name,
        severity=check.severity,
        message=report.message,
        path=module.display_path,
        start=positions.start(module, report.node, trace.function.chunk),
        end=positions.end(module, report.node, trace.function.chunk),
        function=trace.function.qualname,
        context=trace_context(trace, positions),
        # --dynamic imports the module: it gets the last of a name's definitions.
        subject=None if trace.root.function.superseded else subject_of(trace.root, positions),
    )


def _site_finding(check: ProjectCheck, report: SiteReport, positions: Positions) -> Finding:
    traced = report.traced
    chunk = report.scope.chunk if report.scope is not None else -1
    return Finding(
        code=check.code,
        name=check.name,
        severity=check.severity,
        message=report.message,
        path=report.module.display_path,
        start=positions.start(report.module, report.node, chunk),
        end=positions.end(report.module, report.node, chunk),
        function=report.scope.qualname if report.scope is not None else None,
        context=trace_context(traced, positions) if traced is not None else None,
        subject=subject_of(traced, positions, report.parameter) if traced is not None else None,
    )


def subject_of(root: Trace, positions: Positions, parameter: str | None = None) -> Subject:
    """How the dynamic checker finds the traced function of ``root`` again."""
    function = root.function
    options = root.options
    return Subject(
        module=function.module.import_name or function.module.name,  # what --dynamic imports
        key=function.module.name,
        qualname=function.qualname,
        path=function.module.display_path,
        line=positions.def_line(function),
        kind=root.kind,
        class_qualname=function.class_qualname,
        autograph=root.autograph,
        input_signature=options is not None and options.input_signature is not None,
        parameter=parameter,
    )


def trace_context(trace: Trace, positions: Positions) -> TraceContext:
    links = []
    for link in trace.chain():
        function = link.function
        line = positions.def_line(function)
        links.append(ChainLink(function.qualname, function.module.display_path, line))
    kind = trace.kind if trace.parent is None else "called-from"
    return TraceContext(kind, tuple(links))

"""The fix post-pass: findings -> plans, attached to the output, or applied round after round.

Nothing here knows how the analysis works: a plan is built from a finding's
code and range and the file's text. ``fix_rounds`` lints, applies what
applies, and lints again (the engine reads the fixed bytes from an overlay,
so ``--diff`` never writes), at most ``MAX_ROUNDS`` times.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tflint_fn.findings import Edit, Finding, Fix, Position
from tflint_fn.fixes.apply import FileText, NotFixable, new_bytes, write_atomic
from tflint_fn.fixes.edits import FIXABLE_CODES, SAFE, FileFixer, Plan
from tflint_fn.sources.notebooks import MAX_NOTEBOOK_BYTES
from tflint_fn.sources.parsing import MAX_FILE_BYTES, FileGone, read_source

MAX_ROUNDS = 10


@dataclass(frozen=True)
class FixPolicy:
    """What may be fixed: ``fixable`` codes (config ``fixable``/``unfixable``), and unsafe fixes or not."""

    fixable: frozenset[str]
    unsafe: bool = False
    # --dynamic: findings whose fix TensorFlow did not prove (``proof.unit_of`` keys), never applied
    refused: Callable[[Finding, Plan], bool] | None = None

    def applies(self, plan: Plan, finding: Finding | None = None) -> bool:
        if self.refused is not None and finding is not None and self.refused(finding, plan):
            return False
        return plan.code in self.fixable and (plan.applicability == SAFE or self.unsafe)


def absolute(cwd: Path, display: str) -> Path:
    return Path(os.path.abspath(cwd / display))


@dataclass
class Sources:
    """Where a file's bytes come from: the fixed overlay, stdin, or the disk."""

    cwd: Path
    overlay: dict[Path, bytes] = field(default_factory=dict)
    stdin: tuple[str, bytes] | None = None

    def data(self, display: str) -> bytes | None:
        path = absolute(self.cwd, display)
        if path in self.overlay:
            return self.overlay[path]
        if self.stdin is not None and absolute(self.cwd, self.stdin[0]) == path:
            return self.stdin[1]
        return _read(path)


def _read(path: Path) -> bytes | None:
    """A regular file's bytes, as the engine reads them (never blocks on a FIFO); None if unreadable."""
    limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_FILE_BYTES
    try:
        data = read_source(path, limit)
    except FileGone:
        return None
    return data if isinstance(data, bytes) else None


def _by_file(findings: list[Finding]) -> dict[str, list[Finding]]:
    files: dict[str, list[Finding]] = {}
    for finding in findings:
        files.setdefault(finding.path, []).append(finding)
    return files


# A source of plans beside the rules' own (``--dynamic``'s input_signature): asked first, for every finding.
Extra = Callable[[FileFixer, Finding], "Plan | None"]


def plan_file(file: FileText, findings: list[Finding], extra: Extra | None = None) -> list[tuple[Finding, Plan]]:
    wanted = [finding for finding in findings if finding.code in FIXABLE_CODES or extra is not None]
    if not wanted:
        return []
    fixer = FileFixer(file.units)
    plans = []
    for finding in wanted:
        plan = extra(fixer, finding) if extra is not None else None
        if plan is None and finding.code in FIXABLE_CODES:
            unit = file.unit_for(finding.cell)
            if unit is None or unit.module is None:
                continue
            nodes = unit.nodes_at(finding.start.line, finding.start.column, finding.end.line, finding.end.column)
            plan = fixer.plan(finding.code, unit, nodes, finding)
        if plan is not None:
            plans.append((finding, plan))
    return plans


def _load(sources: Sources, display: str) -> FileText | None:
    data = sources.data(display)
    if data is None:
        return None
    try:
        return FileText.read(data, notebook=display.endswith(".ipynb"))
    except NotFixable:
        return None


def to_fix(file: FileText, plan: Plan) -> Fix:
    """A plan as the JSON's ``fix``: 1-based positions (in a notebook, in the edit's cell)."""
    edits = []
    for edit in sorted(plan.edits, key=lambda e: (e.unit, e.start, e.end)):
        unit = file.units[edit.unit]
        start, end = unit.position(edit.start), unit.position(edit.end)
        edits.append(Edit(Position(*start), Position(*end), edit.content, unit.cell))
    return Fix(plan.applicability, plan.message, tuple(edits))


def attach(findings: list[Finding], sources: Sources, fixable_for: Callable[[str], frozenset[str]]) -> list[Finding]:
    """Every finding with the fix tflint-fn can make for it (``None`` when there is none)."""
    out = []
    fixes: dict[int, Fix] = {}
    for display, in_file in _by_file(findings).items():
        if not any(f.code in FIXABLE_CODES and f.code in fixable_for(display) for f in in_file):
            continue  # no file is read or parsed for findings without a fix (TFF001 of a file LibCST cannot parse)
        file = _load(sources, display)
        if file is None:
            continue
        allowed = fixable_for(display)
        for finding, plan in plan_file(file, in_file):
            if plan.code in allowed:
                fixes[id(finding)] = to_fix(file, plan)
    for finding in findings:
        fix = fixes.get(id(finding))
        out.append(finding if finding.fix == fix else replace(finding, fix=fix))
    return out


@dataclass
class FixOutcome:
    result: object  # the engine's Result after the last round
    originals: dict[Path, bytes] = field(default_factory=dict)  # files changed: their bytes before
    fixed: dict[Path, bytes] = field(default_factory=dict)  # ... and after
    displays: dict[Path, str] = field(default_factory=dict)
    applied: Counter = field(default_factory=Counter)  # (display path, code, name) -> fixes applied
    rounds: int = 0
    made: list[tuple[Finding, Plan]] = field(default_factory=list)  # every fix applied, with its finding

    @property
    def count(self) -> int:
        return sum(self.applied.values())


def fix_rounds(lint: Callable[[dict[Path, bytes]], object], sources: Sources,
               policy_for: Callable[[str], FixPolicy], extra: Extra | None = None) -> FixOutcome:
    """Lint, apply the fixes that apply, and lint again until none applies (at most MAX_ROUNDS)."""
    outcome = FixOutcome(None)
    result = lint(sources.overlay)
    for _ in range(MAX_ROUNDS):
        changed = False
        for display, in_file in _by_file(result.findings).items():
            policy = policy_for(display)
            if extra is None and not any(f.code in FIXABLE_CODES and f.code in policy.fixable for f in in_file):
                continue
            file = _load(sources, display)
            if file is None:
                continue
            planned = [(finding, plan) for finding, plan in plan_file(file, in_file, extra)
                       if policy.applies(plan, finding)]
            if not planned:
                continue
            try:
                made = new_bytes(file, [plan for _, plan in planned])
            except NotFixable:
                continue
            if made is None:
                continue
            data, chosen = made
            path = absolute(sources.cwd, display)
            outcome.originals.setdefault(path, file.data)
            outcome.displays[path] = display
            sources.overlay[path] = data
            names = {finding.code: finding.name for finding, _ in planned}
            for plan in chosen:
                outcome.applied[(display, plan.code, names[plan.code])] += 1
            outcome.made.extend((finding, plan) for finding, plan in planned if any(plan is c for c in chosen))
            changed = True
        if not changed:
            break
        outcome.rounds += 1
        result = lint(sources.overlay)
    outcome.result = result
    for path, data in sources.overlay.items():
        if path in outcome.originals and data != outcome.originals[path]:
            outcome.fixed[path] = data
    return outcome


def write_fixed(outcome: FixOutcome) -> list[str]:
    """Write every changed file atomically; the problems, one line each."""
    problems = []
    for path, data in sorted(outcome.fixed.items()):
        display = outcome.displays.get(path, str(path))
        if _read(path) != outcome.originals.get(path):
            problems.append(f"{display}: not fixed: the file changed while it was being fixed; run again")
            continue
        try:
            write_atomic(path, data)
        except OSError as error:
            problems.append(f"{display}: not fixed: {error.strerror or error}")
    return problems

"""``--dynamic`` with ``--fix``, ``--fix-only`` or ``--diff``: only fixes TensorFlow proved are made.

``FixProver.fix`` runs the fix rounds, groups the fixes made by the traced
root that runs them (a finding's ``subject``; a proposed ``input_signature``
or TFF401's ``tf.constant`` is its own unit, the tf.function and its varying
parameter; a TFF402 hoisting, the loop's function), and sends each
root's module, with its fixed text, to a dynamic worker (``dynamic/fixproof.py``):
the fixed function must trace, give the eager original's outputs on the same
inputs, and the finding must be gone when the fixed text is linted again.
The fixes of a root that is not proven are refused, and the rounds run again
without them (a root's fixed text changes when another root's fixes go, so
it is proven again), at most ``MAX_ATTEMPTS`` times; a file still holding an
unproven fix after that is not fixed at all.

It also makes the ``input_signature`` proposals (``extra``): the signatures
the retracing check observed (``runner.run_dynamic(observed=...)``), as
plans of ``signature.py``. This module never imports TensorFlow.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tflint_fn.findings import Finding
from tflint_fn.fixes.apply import FileText, NotFixable
from tflint_fn.fixes.edits import FileFixer, Plan
from tflint_fn.fixes.runner import FixOutcome, FixPolicy, Sources, fix_rounds
from tflint_fn.fixes.signature import MESSAGE_START, signature_plan

PROVEN, NOT_PROVEN, UNTESTED = "proven", "not-proven", "untested"
MAX_ATTEMPTS = 4
# findings outside the traced function: only their own kinds of proof ("constant", "hoist", "signature") run
CALL_SITE_CODES = frozenset({"TFF401", "TFF402", "TFF405"})
VALUES_NOT_COMPARED = frozenset({"TFF104"})  # random numbers and clocks: shapes and dtypes only


def is_proposal(plan: Plan) -> bool:
    return plan.message.startswith(MESSAGE_START)


def unit_of(finding: Finding, plan: Plan) -> tuple | None:
    """What one proof covers: (root's path, module, qualname, parameter, kind).

    ``kind`` is ``"signature"`` (a proposed input_signature) or ``"constant"``
    (TFF401's ``tf.constant`` at the call sites), both for the tf.function's
    varying ``parameter``; ``"hoist"`` (TFF402), with the name of the function
    whose loop is changed in place of the parameter; ``None`` (and no
    parameter) for an edit of traced code.
    """
    subject = finding.subject
    if subject is None:
        return None
    if plan.code == "TFF402":  # the loop's function, which the proof runs
        return (subject.path, subject.module, subject.qualname, finding.function, "hoist")
    kind = "signature" if is_proposal(plan) else "constant" if plan.constant else None
    return (subject.path, subject.module, subject.qualname, subject.parameter if kind else None, kind)


@dataclass
class Tried:
    """A fix made in some round, and what TensorFlow showed of it."""

    finding: Finding
    plan: Plan
    unit: tuple | None
    proof: dict = field(default_factory=dict)
    written: bool = False

    def to_json(self) -> dict:
        return {
            "code": self.finding.code, "name": self.finding.name, "path": self.finding.path,
            "start": self.finding.start.to_json(), "function": self.finding.function,
            "applicability": self.plan.applicability, "message": self.plan.message,
            "written": self.written, "proof": dict(self.proof),
        }

    def line(self, verb: str) -> str:
        where = f"{self.finding.location()}: {self.finding.code}"
        if self.written:
            return f"{where} fix proven: {self.proof['evidence']}"
        return f"{where} fix {self.proof['status'].replace('-', ' ')}, {verb}: {self.proof['evidence']}"


@dataclass
class FixProver:
    """Proves fixes with ``run_jobs`` (dynamic/runner.py), one worker job per module."""

    cwd: Path
    options: object  # dynamic.runner.Options
    config_root: Path | None
    observed: dict = field(default_factory=dict)  # runner.observed_key -> (specs | None, why not)
    run_jobs: Callable | None = None
    tried: list[Tried] = field(default_factory=list)

    # -- the input_signature proposals

    def extra(self, fixer: FileFixer, finding: Finding) -> Plan | None:
        from tflint_fn.dynamic.runner import observed_key

        if finding.code not in ("TFF401", "TFF405"):
            return None
        specs, _ = self.observed.get(observed_key(finding), (None, ""))
        return signature_plan(fixer, finding, specs) if specs else None

    def observe(self, result, enabled: frozenset[str]) -> None:
        """Run the retracing check on ``result``'s TFF401/TFF405 findings, keeping the signatures their calls show."""
        from tflint_fn.dynamic.runner import run_dynamic

        selected = [f for f in result.findings if f.code in ("TFF401", "TFF405") and f.subject is not None]
        if selected:
            run_dynamic(replace(result, findings=selected, targets=[], suppressed=[]), self.cwd, self.options,
                        self.config_root, frozenset(), observed=self.observed)

    def propose(self, findings: list[Finding], observed: dict) -> list[Finding]:
        """``--dynamic`` alone: each TFF401/TFF405 finding with an observed signature gets it as its (unsafe) fix."""
        from tflint_fn.fixes.runner import to_fix

        self.observed.update(observed)
        sources = Sources(self.cwd)
        out = []
        for finding in findings:
            plan = None
            data = sources.data(finding.path) if finding.code in ("TFF401", "TFF405") else None
            if data is not None:
                try:
                    file = FileText.read(data, notebook=finding.path.endswith(".ipynb"))
                    plan = self.extra(FileFixer(file.units), finding)
                except NotFixable:
                    plan = None
            out.append(replace(finding, fix=to_fix(file, plan)) if plan is not None else finding)
        return out

    # -- the fix rounds, proven

    def fix(self, lint, new_sources: Callable[[], Sources], policy_for: Callable[[str], FixPolicy]):
        """(outcome, sources) of the last rounds: every fix they made proven; ``self.tried`` says what was tried."""
        refused: dict[tuple, dict] = {}
        proven: dict[tuple, dict] = {}  # (unit, fixed text) -> proof
        first: list = []

        def counting_lint(overlay):
            result = lint(overlay)
            if not first:
                first.append(result)
            return result

        dropped_files: set[str] = set()  # the last attempt: files that still held an unproven fix

        def is_refused(finding: Finding, plan: Plan) -> bool:
            return unit_of(finding, plan) in refused or finding.path in dropped_files

        def refusing(display: str) -> FixPolicy:
            return replace(policy_for(display), refused=is_refused)

        unproven_files: set[str] = set()
        for attempt in range(MAX_ATTEMPTS + 1):
            sources = new_sources()
            last = attempt == MAX_ATTEMPTS
            if last:
                dropped_files.update(unproven_files)
            outcome = fix_rounds(counting_lint, sources, refusing, self.extra)
            tried = [Tried(finding, plan, unit_of(finding, plan)) for finding, plan in outcome.made]
            if last:
                for item in tried:
                    item.proof = proven.get(self._key(outcome, item.unit, tried)) or {
                        "status": UNTESTED, "evidence": f"not written: its file's other fixes were still not proven "
                                                        f"after {MAX_ATTEMPTS} attempts"}
                    if item.proof["status"] != PROVEN:  # never write a text that was not proven
                        outcome.fixed.pop(Path(os.path.abspath(self.cwd / item.finding.path)), None)
                break
            self._prove(tried, outcome, first[0] if first else outcome.result, proven)
            bad = {item.unit: item.proof for item in tried if item.proof["status"] != PROVEN}
            if not bad:
                break
            refused.update(bad)
            unproven_files = {item.finding.path for item in tried if item.proof["status"] != PROVEN}
            self.tried.extend(item for item in tried if item.proof["status"] != PROVEN)
        for item in tried:
            item.written = item.proof.get("status") == PROVEN
        self.tried = _distinct([*self.tried, *tried])
        return outcome, sources

    def _key(self, outcome: FixOutcome, unit: tuple | None, tried: list[Tried]) -> tuple | None:
        """What a proof of ``unit`` ran on: (unit, the root module's fixed text or None if unchanged,
        the fixed texts of the other files holding the unit's fixes, by absolute path)."""
        if unit is None:
            return None
        root = Path(os.path.abspath(self.cwd / unit[0]))
        edited = {}
        for item in tried:
            path = Path(os.path.abspath(self.cwd / item.finding.path))
            if item.unit == unit and path != root and path in outcome.fixed:
                edited[str(path)] = _python_text(outcome.fixed[path])
        return (unit, _python_text(outcome.fixed.get(root)), tuple(sorted(edited.items())))

    def _prove(self, tried: list[Tried], outcome: FixOutcome, before, proven: dict) -> None:
        from tflint_fn.dynamic.runner import Stats, build_jobs, run_jobs

        pending: dict[tuple, tuple[list[Tried], tuple]] = {}
        for item in tried:
            why = _not_provable(item)
            if why is not None:
                item.proof = {"status": UNTESTED, "evidence": why}
                continue
            key = self._key(outcome, item.unit, tried)
            if key[1] is None and not key[2] and item.unit[4] != "constant":  # the call sites may be elsewhere
                item.proof = {"status": UNTESTED, "evidence": "the traced function's module was not changed by the fix"}
            elif key in proven:
                item.proof = proven[key]
            else:
                pending.setdefault(item.unit, ([], key))[0].append(item)
        if pending:
            subjects = [items[0].finding.subject for items, _ in pending.values()]
            jobs = build_jobs([], subjects, self.cwd, self.config_root, self.options.examples)
            by_module = {job["key"]: job for job in jobs}
            for index, (unit, (items, key)) in enumerate(pending.items()):
                subject = items[0].finding.subject
                job = by_module[f"{subject.module}\t{subject.path}"]
                job["fixed"] = key[1]
                described = next(s for s in job["subjects"] if s["qualname"] == subject.qualname)
                job.setdefault("findings", [])
                parameter = unit[3] if unit[4] in ("signature", "constant") else None
                job["findings"].append({
                    "id": index, "code": items[0].finding.code, "subject": {**described, "parameter": parameter},
                    "function": items[0].finding.function, "parameter": parameter,
                    "constant": items[0].plan.constant if unit[4] == "constant" else None,
                    "hoist": _loop_of(items[0].finding) if unit[4] == "hoist" else None,
                    "edited": dict(key[2]),
                    "compare": "shape" if any(i.finding.code in VALUES_NOT_COMPARED for i in items) else "values",
                    "signature": self._declared(tried, unit),
                })
            results = (self.run_jobs or run_jobs)(jobs, self.options, self.cwd, Stats())
            for index, (unit, (items, key)) in enumerate(pending.items()):
                subject = items[0].finding.subject
                reply = results.get(f"{subject.module}\t{subject.path}", {}).get("results", {}).get(str(index))
                if reply is None:
                    proof = {"status": UNTESTED, "evidence": "no result from the worker"}
                elif reply["status"] in (PROVEN, NOT_PROVEN, UNTESTED):
                    proof = {"status": reply["status"], "evidence": reply["evidence"]}
                else:  # the runner's own verdicts: a crash, a time limit, an import error
                    proof = {"status": UNTESTED, "evidence": f"could not be checked: {reply['evidence']}"}
                if proof["status"] == PROVEN:
                    proof = _gone(items, before, outcome.result, proof)
                proven[key] = proof
                for item in items:
                    item.proof = proof
        for item in tried:
            if not item.proof:
                item.proof = {"status": UNTESTED, "evidence": "not checked"}

    def _declared(self, tried: list[Tried], unit: tuple) -> list[dict] | None:
        """The input_signature another fix of this text declares on ``unit``'s function (its calls use it)."""
        from tflint_fn.dynamic.runner import observed_key

        if unit[4] is not None:
            return None
        for item in tried:
            if item.unit is not None and item.unit[:3] == unit[:3] and item.unit[4] == "signature":
                specs, _ = self.observed.get(observed_key(item.finding), (None, ""))
                if specs:
                    return specs
        return None

    def lines(self, verb: str) -> list[str]:
        """One line per fix tried, for the text output: its evidence."""
        return [item.line(verb) for item in self.tried]


def _not_provable(item: Tried) -> str | None:
    finding = item.finding
    if finding.cell is not None:
        return "in a notebook: --dynamic imports modules, not notebooks"
    if item.unit is None:
        return "not in a function tflint-fn traces"
    if item.unit[4] == "hoist":
        if not (finding.function or "").isidentifier():
            return (f"the loop is {'at the top level of the module' if not finding.function else 'in a method'}: "
                    f"--dynamic runs module-level functions")
        if finding.path != item.unit[0]:
            return (f"the loop is in `{finding.path}`, and the function it wraps, `{item.unit[2]}`, in "
                    f"`{item.unit[0]}`: a proof loads one edited module")
        return None
    if item.unit[4] is not None:  # the tf.function is called as the fixed call sites call it
        return None
    if finding.code in CALL_SITE_CODES:
        return "the fix is at a call site outside traced code: --dynamic proves edits of traced functions"
    return None


def _python_text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return FileText.read(data, notebook=False).units[0].text
    except NotFixable:
        return None


def _loop_of(finding: Finding) -> dict:
    """What the proof of a hoisting runs: the loop's function, and where `tf.function(f)` was."""
    return {"driver": finding.function, "path": finding.path, "line": finding.start.line,
            "column": finding.start.column, "end_line": finding.end.line, "end_column": finding.end.column}


def _gone(items: list[Tried], before, after, proof: dict) -> dict:
    """A proven proof, unless the findings fixed are still reported when the fixed text is linted."""
    keys = Counter((i.finding.path, i.finding.code, i.finding.function) for i in items)
    counts_before = Counter((f.path, f.code, f.function) for f in before.findings)
    counts_after = Counter((f.path, f.code, f.function) for f in after.findings)
    for (path, code, function), fixed in keys.items():
        if counts_after[(path, code, function)] > max(0, counts_before[(path, code, function)] - fixed):
            return {"status": NOT_PROVEN, "evidence": f"{code} is still reported in `{function}` after the fix; "
                                                      f"{proof['evidence']}"}
    codes = ", ".join(sorted({code for _, code, _ in keys}))
    return {"status": PROVEN, "evidence": f"{proof['evidence']}; {codes} no longer reported"}


def _distinct(tried: list[Tried]) -> list[Tried]:
    seen, out = set(), []
    for item in tried:
        key = (item.finding.path, item.finding.start, item.finding.code, item.written)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def with_proofs(findings: list[Finding], tried: list[Tried]) -> list[Finding]:
    """Remaining findings whose fix was refused carry its proof in ``fix.proof``."""
    refused = {(t.finding.path, t.finding.code, t.finding.function, t.unit): t.proof for t in tried if not t.written}
    out = []
    for finding in findings:
        proof = None
        if finding.fix is not None and finding.subject is not None:
            parameter = finding.subject.parameter
            for kind in ("signature", "constant", "hoist", None):
                detail = finding.function if kind == "hoist" else parameter if kind else None
                unit = (finding.subject.path, finding.subject.module, finding.subject.qualname, detail, kind)
                proof = refused.get((finding.path, finding.code, finding.function, unit))
                if proof is not None:
                    break
        out.append(replace(finding, fix=replace(finding.fix, proof=proof)) if proof is not None else finding)
    return out

"""The fix modes of ``tflint-fn check``: ``--fix``, ``--fix-only``, ``--diff``, ``--add-noqa``.

``cli.py`` parses the options; this module runs the mode and says what to
print and how to exit, following ruff: ``--fix`` writes the safe fixes (and
the unsafe ones with ``--unsafe-fixes``) and reports what remains;
``--fix-only`` reports nothing else and exits 0; ``--diff`` writes nothing,
prints the diff and exits 1 when there is one; ``--add-noqa`` comments every
finding's line and exits 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a mode runs: a plain check never loads the fix machinery (LibCST)
    from tflint_fn.fixes.runner import Sources


class FixError(Exception):
    """A fix mode that cannot run as asked: one line for the user (exit 2)."""


@dataclass
class ModeOutput:
    result: object = None  # the findings to report (None: report nothing)
    stdout: str = ""  # printed instead of (or, in text, after) the report
    stdout_bytes: bytes | None = None  # stdin's fixed source
    stderr: list[str] = field(default_factory=list)
    exit_code: int | None = None  # None: the usual (1 when findings remain)
    fixed: int = 0
    fixes: list[dict] = field(default_factory=list)  # --dynamic: every fix tried and its proof (JSON `fixes`)


def choose_mode(fix: bool | None, fix_only: bool, diff: bool, add_noqa: bool, settings) -> str | None:
    if add_noqa:
        if fix or fix_only or diff:
            raise FixError("--add-noqa cannot be combined with --fix, --fix-only or --diff")
        return "add-noqa"
    if diff:
        return "diff"
    if fix_only:
        return "fix-only"
    if fix if fix is not None else settings.fix:
        return "fix"
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def fixes_list(applied: Counter, verb: str = "Fixed") -> list[str]:
    """``--show-fixes``: per file, how many fixes of each rule."""
    if not applied:
        return ["No fixes applied."] if verb == "Fixed" else ["No fixes to apply."]
    lines = [f"{verb} {_plural(sum(applied.values()), 'finding')}:"]
    files: dict[str, list[tuple[str, str, int]]] = {}
    for (display, code, name), count in applied.items():
        files.setdefault(display, []).append((code, name, count))
    for display in sorted(files):
        lines.append(f"- {display}:")
        lines.extend(f"    {count} × {code} ({name})" for code, name, count in sorted(files[display]))
    return lines


def run_mode(
    mode: str,
    lint: Callable[[dict[Path, bytes]], object],
    cwd: Path,
    settings_for: Callable[[Path], object],
    unsafe: bool,
    stdin: tuple[str, bytes] | None,
    show_fixes: bool,
    text_report: bool,
    prover=None,
) -> ModeOutput:
    """Run ``mode``; with a ``prover`` (``proof.FixProver``, --dynamic), only the fixes it proves are made."""
    from tflint_fn.fixes.diff import diffs
    from tflint_fn.fixes.runner import (
        FixPolicy,
        Sources,
        absolute,
        fix_rounds,
        write_fixed,
    )

    sources = Sources(cwd, stdin=stdin)

    def fixable_for(display: str) -> frozenset[str]:
        return settings_for(absolute(cwd, display)).fixable

    if mode == "add-noqa":
        return _add_noqa(lint(sources.overlay), sources)
    def policy_for(display: str) -> FixPolicy:
        return FixPolicy(fixable_for(display), unsafe)

    proofs: list[str] = []
    if prover is None:
        outcome = fix_rounds(lint, sources, policy_for)
    else:
        outcome, sources = prover.fix(lint, lambda: Sources(cwd, stdin=stdin), policy_for)
        proofs = prover.lines("left out of the diff" if mode == "diff" else "not written")
    output = ModeOutput(fixed=outcome.count)
    result = outcome.result
    if prover is not None:
        from tflint_fn.fixes.proof import with_proofs

        output.fixes = [item.to_json() for item in prover.tried]
        result.findings = with_proofs(result.findings, prover.tried)
    if mode == "diff":
        output.stdout = diffs(outcome.fixed, outcome.originals, outcome.displays)
        if show_fixes:
            output.stderr.extend(fixes_list(outcome.applied, "Would fix"))
        else:
            output.stderr.append(f"Would fix {_plural(outcome.count, 'finding')}." if outcome.fixed else "No fixes to apply.")
        output.stderr.extend(proofs)
        output.exit_code = 1 if outcome.fixed else 0
        return output
    if stdin is not None:
        path = absolute(cwd, stdin[0])
        output.stdout_bytes = sources.overlay.get(path, stdin[1])
    else:
        problems = write_fixed(outcome)
        output.stderr.extend(f"tflint-fn: error: {problem}" for problem in problems)
        if problems:
            output.exit_code = 2
    summary = [f"Fixed {_plural(outcome.count, 'finding')}."] if outcome.count else []
    if show_fixes:
        summary = fixes_list(outcome.applied)
    summary += proofs
    if mode == "fix-only":
        output.stderr.extend(summary)
        if output.exit_code is None:
            output.exit_code = 0
        return output
    output.result = result
    if text_report and stdin is None:
        output.stdout = "".join(line + "\n" for line in summary)
    else:
        output.stderr.extend(summary)
    return output


def _add_noqa(result, sources: Sources) -> ModeOutput:
    from tflint_fn.fixes.apply import (
        FileText,
        NotFixable,
        new_bytes_from_edits,
        write_atomic,
    )
    from tflint_fn.fixes.noqa import noqa_edits
    from tflint_fn.fixes.runner import absolute

    output = ModeOutput()
    files: dict[str, list] = {}
    for finding in result.findings:
        files.setdefault(finding.path, []).append(finding)
    added = 0
    for display in sorted(files):
        data = sources.data(display)
        if data is None:
            continue
        try:
            file = FileText.read(data, notebook=display.endswith(".ipynb"))
        except NotFixable:
            output.stderr.append(f"tflint-fn: warning: {display}: no `# noqa` added: the file cannot be decoded")
            continue
        edits = noqa_edits(file, files[display])
        if not edits:
            continue
        try:
            fixed = new_bytes_from_edits(file, [edit for _, edit in edits])
        except NotFixable as error:
            output.stderr.append(f"tflint-fn: warning: {display}: no `# noqa` added: {error}")
            continue
        if fixed is None:
            continue
        try:
            write_atomic(absolute(sources.cwd, display), fixed)
        except OSError as error:
            output.stderr.append(f"tflint-fn: error: {display}: no `# noqa` added: {error.strerror or error}")
            output.exit_code = 2
            continue
        added += sum(count for count, _ in edits)
    output.stderr.append(f"Added {_plural(added, 'noqa directive')}.")
    if output.exit_code is None:
        output.exit_code = 0
    return output

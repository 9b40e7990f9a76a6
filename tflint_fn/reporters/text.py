"""``path:line:col: CODE [name] message``, one line per finding, then a summary."""

from __future__ import annotations

from collections import Counter

from tflint_fn.findings import Finding, Result


def render_text(
    result: Result,
    show_context: bool = False,
    show_source: bool = False,
    quiet: bool = False,
    show_suppressed: bool = False,
    unsafe_fixes: bool = False,
    **_: object,
) -> str:
    lines = []
    for finding in result.findings:
        lines.extend(_finding_lines(finding, result, show_context, show_source, unsafe_fixes=unsafe_fixes))
    if show_suppressed:
        for finding in result.suppressed:
            lines.extend(_finding_lines(finding, result, show_context, show_source, suffix=" (suppressed)"))
    if not quiet:
        lines.append(_summary(result))
        fixable = fixable_summary(result.findings, unsafe_fixes)
        if fixable:
            lines.append(fixable)
    return "".join(line + "\n" for line in lines)


def _applies(finding: Finding, unsafe_fixes: bool) -> bool:
    return _offered(finding) and (finding.fix.applicability == "safe" or unsafe_fixes)


def _offered(finding: Finding) -> bool:
    """A fix ``--fix`` would make: not one that ``--dynamic`` tried and could not prove (``fix.proof``)."""
    return finding.fix is not None and finding.fix.proof is None


def fixable_summary(findings: list[Finding], unsafe_fixes: bool) -> str:
    """``[*] 3 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).``"""
    fixable = sum(1 for finding in findings if _applies(finding, unsafe_fixes))
    hidden = sum(1 for finding in findings if _offered(finding) and not _applies(finding, unsafe_fixes))
    note = (
        f"{hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the `--unsafe-fixes` option"
        if hidden else ""
    )
    if fixable:
        return f"[*] {fixable} fixable with the `--fix` option" + (f" ({note})." if note else ".")
    return f"No fixes available ({note})." if note else ""


def _finding_lines(finding: Finding, result: Result, show_context: bool, show_source: bool, suffix: str = "",
                   unsafe_fixes: bool = False):
    if finding.dynamic is not None:
        suffix = f" [{finding.dynamic['status']}: {finding.dynamic['evidence']}]{suffix}"
    marker = " [*]" if _applies(finding, unsafe_fixes) else ""
    yield f"{finding.location()}: {finding.code} [{finding.name}]{marker} {finding.message}{suffix}"
    if show_context and finding.context is not None:
        yield f"    traced: {finding.context.describe()}"
    if show_source:
        yield from _source_excerpt(finding, result.source_of(finding))


def _source_excerpt(finding: Finding, source: str | None):
    if source is None:
        return
    lines = source.splitlines()
    if not 0 < finding.start.line <= len(lines):
        return
    text = lines[finding.start.line - 1].rstrip()
    width = len(str(finding.start.line))
    start = finding.start.column - 1
    end = finding.end.column - 1 if finding.end.line == finding.start.line else len(text)
    caret = "^" * max(1, end - start)
    yield f"  {finding.start.line} | {text}"
    yield f"  {' ' * width} | {' ' * start}{caret}"


def _summary(result: Result) -> str:
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    suppressed = f"; {len(result.suppressed)} suppressed" if result.suppressed else ""
    if not result.findings:
        return f"No findings in {files}{suppressed}."
    severities = Counter(f.severity for f in result.findings)
    parts = [f"{count} {severity}{'s' if count != 1 else ''}" for severity, count in sorted(severities.items())]
    total = len(result.findings)
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}) in {files}{suppressed}."


def statistics(result: Result) -> list[dict]:
    counts = Counter((f.code, f.name, f.severity) for f in result.findings)
    return [
        {"code": code, "name": name, "severity": severity, "count": count}
        for (code, name, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render_statistics_text(result: Result, **_: object) -> str:
    rows = statistics(result)
    return "".join(f"{row['count']:>6}  {row['code']}  {row['name']}\n" for row in rows)

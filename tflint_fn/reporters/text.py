"""``path:line:col: CODE [name] message``, one line per finding, then a summary."""

from __future__ import annotations

from collections import Counter

from tflint_fn.engine import Result


def render_text(result: Result, show_context: bool = False, **_: object) -> str:
    lines = []
    for finding in result.findings:
        lines.append(
            f"{finding.path}:{finding.start.line}:{finding.start.column}: "
            f"{finding.code} [{finding.name}] {finding.message}"
        )
        if show_context and finding.context is not None:
            lines.append(f"    traced: {finding.context.describe()}")
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _summary(result: Result) -> str:
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if not result.findings:
        return f"No findings in {files}."
    severities = Counter(f.severity for f in result.findings)
    parts = [f"{count} {severity}{'s' if count != 1 else ''}" for severity, count in sorted(severities.items())]
    total = len(result.findings)
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}) in {files}."

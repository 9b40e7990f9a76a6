"""GitLab Code Quality report: a JSON array of issues (a subset of the Code Climate spec).

GitLab reads ``description``, ``check_name``, ``fingerprint``, ``severity``,
``location.path`` and ``location.lines.begin`` and ignores the rest. The
merge request widget matches issues between the target and the source branch
by fingerprint, so a fingerprint must not change when unrelated lines move:
it is built from the rule, the file, the function and the flagged source text
(not the line number), plus a counter for identical findings in one function.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from tflint_fn.findings import Finding, Result, printable_tree

# GitLab's scale is info < minor < major < critical < blocker. A finding that
# raises or computes the wrong thing under tf.function is `major`; a
# retracing warning (slow, still correct) is `minor`.
SEVERITY = {"error": "major", "warning": "minor"}


def category(finding: Finding) -> str:
    """Code Climate's category: a stale comment is style, a warning (retracing) costs time, errors are bugs."""
    if finding.code == "TFF002":
        return "Style"
    return "Performance" if finding.severity == "warning" else "Bug Risk"


def flagged_text(finding: Finding, source: str | None) -> str:
    """The source text a finding points at (its first line when it spans several)."""
    if source is None:
        return ""
    lines = source.splitlines()
    if not 0 < finding.start.line <= len(lines):
        return ""
    line = lines[finding.start.line - 1]
    end = finding.end.column - 1 if finding.end.line == finding.start.line else len(line)
    return line[finding.start.column - 1 : end].strip()


def fingerprints(result: Result) -> list[str]:
    """One fingerprint per finding, in ``result.findings`` order: stable and unique."""
    seen: Counter = Counter()
    prints = []
    for finding in result.findings:
        text = flagged_text(finding, result.source_of(finding))
        # Without source text (a file that could not be decoded), the position is all there is.
        anchor = text or f"{finding.start.line}:{finding.start.column}"
        key = (finding.code, finding.path, finding.function or "", anchor)
        seen[key] += 1
        payload = "\0".join([*key, str(seen[key])])
        prints.append(hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:32])
    return prints


def to_code_quality(result: Result) -> list[dict]:
    issues = []
    for finding, fingerprint in zip(result.findings, fingerprints(result)):
        description = f"{finding.code} [{finding.name}] {finding.message}"
        lines = {"begin": finding.start.line, "end": finding.end.line}
        if finding.cell is not None:
            # A notebook's lines are JSON: point at the file, name the cell.
            description = f"cell {finding.cell}, line {finding.start.line}, column {finding.start.column}: {description}"
            lines = {"begin": 1, "end": 1}
        if finding.dynamic is not None:
            description += f" [{finding.dynamic['status']}: {finding.dynamic['evidence']}]"
        issues.append(
            {
                "type": "issue",
                "description": description,
                "check_name": finding.code,
                "fingerprint": fingerprint,
                "severity": SEVERITY[finding.severity],
                "categories": [category(finding)],
                "location": {
                    "path": finding.path,
                    "lines": lines,
                },
            }
        )
    return issues


def render_gitlab(result: Result, **_: object) -> str:
    return json.dumps(printable_tree(to_code_quality(result)), indent=2) + "\n"

"""JSON output, schema version 1 (``tflint_fn/schema/findings-v1.json``)."""

from __future__ import annotations

import json
from collections import Counter

from tflint_fn import __version__
from tflint_fn.findings import Result, printable_tree
from tflint_fn.reporters.text import statistics

SCHEMA_VERSION = 1


def to_document(result: Result, show_suppressed: bool = False) -> dict:
    by_code = Counter(finding.code for finding in result.findings)
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tflint-fn", "version": __version__},
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "by_code": dict(sorted(by_code.items())),
        },
        "findings": [finding.to_json() for finding in result.findings],
    }
    if show_suppressed:
        document["suppressed"] = [finding.to_json() for finding in result.suppressed]
    if result.fixes:
        document["fixes"] = result.fixes
    return printable_tree(document)


def render_json(result: Result, show_suppressed: bool = False, **_: object) -> str:
    return json.dumps(to_document(result, show_suppressed), indent=2) + "\n"


def render_json_lines(result: Result, **_: object) -> str:
    """One finding object per line, no envelope: for streaming consumers."""
    return "".join(json.dumps(printable_tree(finding.to_json())) + "\n" for finding in result.findings)


def statistics_document(result: Result) -> dict:
    """``--statistics --format json``: the counts per rule, in a versioned envelope."""
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tflint-fn", "version": __version__},
        "summary": {"files": result.files, "findings": len(result.findings)},
        "statistics": statistics(result),
    }

"""JSON output, schema version 1 (``tflint_fn/schema/findings-v1.json``)."""

from __future__ import annotations

import json
from collections import Counter

from tflint_fn import __version__
from tflint_fn.engine import Result

SCHEMA_VERSION = 1


def to_document(result: Result) -> dict:
    by_code = Counter(finding.code for finding in result.findings)
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tflint-fn", "version": __version__},
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "by_code": dict(sorted(by_code.items())),
        },
        "findings": [finding.to_json() for finding in result.findings],
    }


def render_json(result: Result, **_: object) -> str:
    return json.dumps(to_document(result), indent=2) + "\n"

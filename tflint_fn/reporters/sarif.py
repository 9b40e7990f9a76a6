"""SARIF 2.1.0 for code scanning: one run, a rule entry per rule, help from ``rules/``."""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath
from urllib.parse import quote_from_bytes

from tflint_fn import __version__
from tflint_fn.findings import Result, printable_tree
from tflint_fn.registry import RULES
from tflint_fn.reporters.rule_docs import doc_path

_LEVEL = {"error": "error", "warning": "warning"}


def _rule_entry(info) -> dict:
    path = doc_path(info.code)
    help_text = path.read_text(encoding="utf-8") if path.is_file() else info.summary
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.summary},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": {"tags": ["tensorflow", "tf.function"]},
    }


def _uri(path: str) -> dict:
    """A percent-encoded URI (RFC 3986) of the file's bytes, undecodable ones included."""
    encoded = quote_from_bytes(os.fsencode(path), safe="/")
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + encoded}
    return {"uri": encoded, "uriBaseId": "%SRCROOT%"}


def _cell_place(finding) -> str:
    return f"cell {finding.cell}, line {finding.start.line}, column {finding.start.column}"


def to_sarif(result: Result) -> dict:
    codes = sorted(RULES)
    index = {code: position for position, code in enumerate(codes)}
    results = []
    for finding in result.findings:
        location = {"artifactLocation": _uri(finding.path)}
        message = finding.message
        if finding.cell is None:
            location["region"] = {
                "startLine": finding.start.line,
                "startColumn": finding.start.column,
                "endLine": finding.end.line,
                "endColumn": finding.end.column,
            }
        else:
            # The notebook's lines are JSON: point at the file, name the cell.
            message = f"{_cell_place(finding)}: {message}"
            location["properties"] = {"cell": finding.cell}
        entry = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _LEVEL[finding.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": location}],
        }
        if finding.dynamic is not None:
            # --dynamic: the verdict in the text people read, and as data
            entry["message"]["text"] += f" [{finding.dynamic['status']}: {finding.dynamic['evidence']}]"
            entry["properties"] = {"dynamic": finding.dynamic}
        if finding.context is not None and len(finding.context.chain) > 1:
            entry["relatedLocations"] = [
                {
                    "id": number,
                    "message": {"text": f"traced through `{link.function}`" + (
                        f" (cell {link.cell}, line {link.line})" if link.cell is not None else "")},
                    "physicalLocation": {"artifactLocation": _uri(link.path)} | (
                        {"region": {"startLine": link.line}} if link.cell is None else {}
                    ),
                }
                for number, link in enumerate(finding.context.chain[1:], 1)
            ]
        results.append(entry)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tflint-fn",
                        "version": __version__,
                        "rules": [_rule_entry(RULES[code]) for code in codes],
                    }
                },
                "results": results,
            }
        ],
    }


def render_sarif(result: Result, **_: object) -> str:
    return json.dumps(printable_tree(to_sarif(result)), indent=2) + "\n"

"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""

from __future__ import annotations

from tflint_fn.findings import Result, printable


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: Result, **_: object) -> str:
    lines = []
    for finding in result.findings:
        fields = [f"file={escape_property(printable(finding.path))}"]
        message = finding.message
        if finding.cell is None:
            fields += [
                f"line={finding.start.line}",
                f"col={finding.start.column}",
                f"endLine={finding.end.line}",
                f"endColumn={finding.end.column}",
            ]
        else:  # a notebook's lines are JSON: annotate the file, name the cell
            message = f"cell {finding.cell}, line {finding.start.line}, column {finding.start.column}: {message}"
        fields.append(f"title={escape_property(f'{finding.code} [{finding.name}]')}")
        properties = ",".join(fields)
        if finding.dynamic is not None:
            message += f" [{finding.dynamic['status']}: {finding.dynamic['evidence']}]"
        lines.append(f"::{finding.severity} {properties}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)

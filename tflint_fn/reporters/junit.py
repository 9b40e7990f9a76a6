"""JUnit XML: one failing ``testcase`` per finding, one passing ``testcase`` per clean file.

One test case per finding, rather than one per file, because that is what
GitLab and Jenkins show best: both list failed test cases one by one with
their failure text, GitLab's merge request widget reports *newly* failed
cases (a new finding in a file that already had one is still news), and the
counts say how many findings there are. Names must be unique in a class
(GitLab keeps only the first of duplicates) and should survive unrelated
edits, so a case is named by rule and function (``TFF101 [print-in-graph] in
preprocess``), numbered when repeated, never by line; the line is in the
failure text. ``classname`` is the file as a dotted path (Jenkins splits it
into package and class) and ``file`` the path itself (GitLab shows and copies
it). A passing case per clean file keeps a clean run from being an empty
report, which Jenkins treats as an error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import PurePosixPath

from tflint_fn.findings import Finding, Result, printable

# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Undecodable file-name bytes as ``\\xff`` (as in the JSON), then what XML cannot carry as U+FFFD."""
    return _NOT_XML.sub("\ufffd", printable(text))


def classname(path: str) -> str:
    """``pkg/data.py`` -> ``pkg.data``."""
    pure = PurePosixPath(path)
    if pure.suffix == ".py":  # a stub keeps its suffix: `mod.pyi` is not `mod.py`
        pure = pure.with_suffix("")
    parts = [part for part in pure.parts if part not in ("/", ".", "..")]
    return ".".join(parts) or path


def case_names(findings: list[Finding]) -> list[str]:
    """A name per finding, unique within its class."""
    seen: Counter = Counter()
    names = []
    for finding in findings:
        where = f"in {finding.function}" if finding.function else "at module level"
        base = f"{finding.code} [{finding.name}] {where}"
        key = (classname(finding.path), base)
        seen[key] += 1
        count = seen[key]
        names.append(base if count == 1 else f"{base} ({count})")
    return names


def _failure_text(finding: Finding) -> str:
    lines = [f"{finding.location()}: {finding.code} [{finding.name}] {finding.message}"]
    if finding.dynamic is not None:
        lines.append(f"dynamic: {finding.dynamic['status']}: {finding.dynamic['evidence']}")
    if finding.context is not None:
        lines.append(f"traced: {finding.context.describe()}")
    if finding.fix is not None:
        lines.append(f"fix ({finding.fix.applicability}): {finding.fix.message}")
    return "\n".join(lines)


def to_junit(result: Result) -> ET.Element:
    findings = result.findings
    flagged = {finding.path for finding in findings}
    clean = sorted(path for path in result.sources if path not in flagged)
    tests = len(findings) + len(clean)
    counts = {"tests": str(tests), "failures": str(len(findings)), "errors": "0"}
    root = ET.Element("testsuites", {"name": "tflint-fn", **counts, "time": "0"})
    suite = ET.SubElement(
        root, "testsuite", {"name": "tflint-fn", **counts, "skipped": "0", "time": "0"}
    )
    for finding, name in zip(findings, case_names(findings)):
        case = ET.SubElement(
            suite,
            "testcase",
            {"name": _xml_text(name), "classname": _xml_text(classname(finding.path)),
             "file": _xml_text(finding.path), "time": "0"},
        )
        failure = ET.SubElement(case, "failure", {"message": _xml_text(finding.message), "type": finding.code})
        failure.text = _xml_text(_failure_text(finding))
    for path in clean:
        ET.SubElement(
            suite,
            "testcase",
            {"name": "no findings", "classname": _xml_text(classname(path)), "file": _xml_text(path), "time": "0"},
        )
    return root


def render_junit(result: Result, **_: object) -> str:
    root = to_junit(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""`--format gitlab` (Code Quality JSON) and `--format junit` (JUnit XML), against their documented shapes."""

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from tests.conftest import REPO, run_cli

CODE_QUALITY_SCHEMA = json.loads((REPO / "tests" / "data" / "gitlab-codequality.schema.json").read_text())

# Two identical prints in one function, one in another, a `.numpy()`, and a retracing warning.
BAD = """import tensorflow as tf


@tf.function
def step(x):
    print(x)
    print(x)
    return x.numpy()


@tf.function
def other(x):
    print(x)
    return x


def train():
    for i in range(10):
        step(i)
"""
CLEAN = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    tf.print(x)\n    return x\n"

# The element and attribute names of the commonly used JUnit XSD (Ant's, as
# Jenkins reads it), plus GitLab's documented `file` on `testcase`.
JUNIT_ATTRIBUTES = {
    "testsuites": {"name", "tests", "failures", "errors", "time", "disabled"},
    "testsuite": {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname", "id", "package", "disabled"},
    "testcase": {"name", "classname", "time", "assertions", "status", "file"},
    "failure": {"message", "type"},
}
JUNIT_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"properties", "testcase", "system-out", "system-err"},
    "testcase": {"skipped", "error", "failure", "system-out", "system-err"},
    "failure": set(),
}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(BAD)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def _json_findings(cwd, *args):
    return json.loads(run_cli(*args, "--format", "json", "--no-cache", cwd=cwd).stdout)["findings"]


# --- GitLab Code Quality ---------------------------------------------------------------------------


def _code_quality(cwd, *args):
    result = run_cli(*args, "--format", "gitlab", "--no-cache", cwd=cwd)
    assert not result.stdout.startswith("\ufeff"), "GitLab's parser rejects a byte order mark"
    return result, json.loads(result.stdout)


def test_gitlab_report_matches_the_documented_schema(project):
    result, issues = _code_quality(project, ".")
    assert result.returncode == 1
    jsonschema.Draft202012Validator(CODE_QUALITY_SCHEMA).validate(issues)
    findings = _json_findings(project, ".")
    assert len(issues) == len(findings) >= 5
    for issue, finding in zip(issues, findings):
        assert issue["check_name"] == finding["code"]
        assert issue["location"]["path"] == finding["path"] == "pkg/bad.py"
        assert issue["location"]["lines"] == {"begin": finding["start"]["line"], "end": finding["end"]["line"]}
        assert finding["message"] in issue["description"] and finding["code"] in issue["description"]
        assert issue["severity"] == {"error": "major", "warning": "minor"}[finding["severity"]]
    assert {issue["severity"] for issue in issues} == {"major", "minor"}, "the sample has errors and a warning"


def test_gitlab_fingerprints_unique_and_stable(project):
    _, first = _code_quality(project, ".")
    prints = [issue["fingerprint"] for issue in first]
    assert len(set(prints)) == len(prints), "two identical prints in one function still differ"
    _, again = _code_quality(project, ".")
    assert [issue["fingerprint"] for issue in again] == prints
    # Unrelated lines added above: every finding moves, and keeps its fingerprint.
    (project / "pkg" / "bad.py").write_text("# a comment\n\nimport os\n" + BAD)
    _, shifted = _code_quality(project, ".")
    assert [issue["location"]["lines"]["begin"] for issue in shifted] == [
        issue["location"]["lines"]["begin"] + 3 for issue in first
    ]
    assert [issue["fingerprint"] for issue in shifted] == prints
    # A different flagged line is a different finding.
    (project / "pkg" / "bad.py").write_text(BAD.replace("    print(x)\n    return x\n", "    print(x + 1)\n    return x\n"))
    _, edited = _code_quality(project, ".")
    changed = [i for i, (a, b) in enumerate(zip(first, edited)) if a["fingerprint"] != b["fingerprint"]]
    assert [first[i]["location"]["lines"]["begin"] for i in changed] == [13]


def test_gitlab_report_of_a_clean_project_is_an_empty_array(project):
    result, issues = _code_quality(project, "pkg/clean.py")
    assert result.returncode == 0 and issues == []


def test_gitlab_fingerprint_without_source_text(tmp_path):
    # A file that cannot be decoded: TFF001 with no source text; still a fingerprint, still valid.
    (tmp_path / "a.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "b.py").write_bytes(b"\xff\xfe bad\n")
    _, issues = _code_quality(tmp_path, ".")
    jsonschema.Draft202012Validator(CODE_QUALITY_SCHEMA).validate(issues)
    assert [issue["check_name"] for issue in issues] == ["TFF001", "TFF001"]
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


# --- JUnit XML -------------------------------------------------------------------------------------


def _junit(cwd, *args):
    result = run_cli(*args, "--format", "junit", "--no-cache", cwd=cwd)
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return result, ET.fromstring(result.stdout.encode("utf-8"))


def _check_structure(element):
    assert set(element.attrib) <= JUNIT_ATTRIBUTES[element.tag], (element.tag, element.attrib)
    for child in element:
        assert child.tag in JUNIT_CHILDREN[element.tag], (element.tag, child.tag)
        _check_structure(child)


def test_junit_structure_and_counts(project):
    result, root = _junit(project, ".")
    assert result.returncode == 1
    assert root.tag == "testsuites"
    _check_structure(root)
    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("name")
    cases = suites[0].findall("testcase")
    failing = [case for case in cases if case.find("failure") is not None]
    findings = _json_findings(project, ".")
    assert len(failing) == len(findings)
    # A passing case for the clean file, none for the flagged one.
    passing = [case for case in cases if case.find("failure") is None]
    assert [(case.get("file"), case.get("classname")) for case in passing] == [("pkg/clean.py", "pkg.clean")]
    for element in (root, suites[0]):
        assert int(element.get("tests")) == len(cases)
        assert int(element.get("failures")) == len(failing)
        assert int(element.get("errors")) == 0
        float(element.get("time"))
    for case in cases:
        assert case.get("name") and float(case.get("time")) >= 0
    for case, finding in zip(failing, findings):
        failure = case.find("failure")
        assert case.get("file") == finding["path"] and case.get("classname") == "pkg.bad"
        assert failure.get("type") == finding["code"] and failure.get("message") == finding["message"]
        assert failure.text.startswith(f"{finding['path']}:{finding['start']['line']}:{finding['start']['column']}: ")
        assert case.get("name").startswith(f"{finding['code']} [{finding['name']}] ")


def test_junit_case_names_are_unique_and_survive_line_moves(project):
    _, root = _junit(project, ".")
    keys = [(case.get("classname"), case.get("name")) for case in root.iter("testcase")]
    assert len(set(keys)) == len(keys), "GitLab keeps only the first of duplicate test names"
    names = [name for _, name in keys]
    assert "TFF101 [print-in-graph] in step" in names and "TFF101 [print-in-graph] in step (2)" in names
    assert "TFF101 [print-in-graph] in other" in names
    (project / "pkg" / "bad.py").write_text("\n\n\n" + BAD)
    _, shifted = _junit(project, ".")
    assert [(case.get("classname"), case.get("name")) for case in shifted.iter("testcase")] == keys


def test_junit_clean_run_still_has_test_cases(project):
    result, root = _junit(project, "pkg/clean.py")
    assert result.returncode == 0
    _check_structure(root)
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 and cases[0].find("failure") is None
    assert root.get("failures") == "0" and root.get("tests") == "1"


def test_junit_escapes_what_xml_cannot_carry(tmp_path):
    from tflint_fn.engine import Result
    from tflint_fn.findings import Finding, Position
    from tflint_fn.reporters.junit import render_junit

    nasty = Finding(
        code="TFF001", name="parse-error", severity="error",
        message='bad <byte> & "quote" \x00\x1b here \udcff', path="d\x01ir/a.py",
        start=Position(1, 1), end=Position(1, 2),
    )
    root = ET.fromstring(render_junit(Result([nasty], 1, [], {})).encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    # An undecodable file-name byte reads as in the JSON output (`\xff`); control characters as U+FFFD.
    assert failure.get("message") == 'bad <byte> & "quote" \ufffd\ufffd here \\xff'
    assert root.find("testsuite/testcase").get("file") == "d\ufffdir/a.py"


def test_new_formats_in_the_help():
    result = run_cli("check", "--help")
    assert "gitlab" in result.stdout and "junit" in result.stdout


def test_gitlab_report_of_an_undecodable_file_name_is_valid_json():
    from tflint_fn.engine import Result
    from tflint_fn.findings import Finding, Position
    from tflint_fn.reporters.gitlab import render_gitlab

    finding = Finding(
        code="TFF101", name="print-in-graph", severity="error", message="m",
        path="caf\udce9.py", start=Position(1, 1), end=Position(1, 6),
    )
    text = render_gitlab(Result([finding], 1, [], {"caf\udce9.py": "print(x)\n"}))
    text.encode("utf-8")  # no lone surrogate left
    issues = json.loads(text)
    jsonschema.Draft202012Validator(CODE_QUALITY_SCHEMA).validate(issues)
    assert issues[0]["location"]["path"] == "caf\\xe9.py"

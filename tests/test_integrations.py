"""CI formats, output options, per-file configuration, .gitignore, pre-commit."""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import jsonschema
import pytest

from tests.conftest import REPO, run_cli

BAD = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)\n    return x.numpy()\n"
CLEAN = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    tf.print(x)\n    return x\n"
FINDINGS_SCHEMA = json.loads((REPO / "tflint_fn" / "schema" / "findings-v1.json").read_text())
SARIF_SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-2.1.0-rtm.5.json").read_text())
# GitHub's documented workflow command: ::level file=..,line=..,col=..,endLine=..,endColumn=..,title=..::message
GITHUB_LINE = re.compile(
    r"^::(error|warning) file=[^,:]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=[^,:]+::[^\r\n]+$"
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.py").write_text(BAD)
    (tmp_path / "src" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_github_annotations(project):
    result = run_cli("src", "--format", "github", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all(GITHUB_LINE.match(line) for line in lines), lines
    assert lines[0].startswith("::error file=src/bad.py,line=5,col=5,endLine=5,endColumn=13,title=TFF101 [print-in-graph]::")


def test_github_escaping():
    from tflint_fn.reporters.github import escape_data, escape_property

    assert escape_data("100% done\nnext\r") == "100%25 done%0Anext%0D"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_sarif_validates_against_the_official_schema(project):
    result = run_cli("src", "--format", "sarif", cwd=project)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    from tflint_fn.checks import RULES

    assert [rule["id"] for rule in rules] == sorted(RULES)
    print_rule = next(rule for rule in rules if rule["id"] == "TFF101")
    assert print_rule["help"]["markdown"].startswith("# TFF101 print-in-graph")
    first = run["results"][0]
    assert first["ruleId"] == "TFF101" and rules[first["ruleIndex"]]["id"] == "TFF101"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/bad.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 5


def test_json_lines(project):
    result = run_cli("src", "--format", "json-lines", cwd=project)
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    finding_schema = {**FINDINGS_SCHEMA["$defs"]["finding"], "$defs": FINDINGS_SCHEMA["$defs"]}
    for line in lines:
        jsonschema.validate(json.loads(line), finding_schema)


def test_show_source_prints_the_line_and_a_caret(project):
    result = run_cli("src/bad.py", "--show-source", cwd=project)
    lines = result.stdout.splitlines()
    assert lines[1:3] == ["  5 |     print(x)", "    |     ^^^^^^^^"]


def test_output_file_exit_zero_quiet(project):
    result = run_cli("src", "--output-file", "report.json", "--format", "json", "--exit-zero", cwd=project)
    assert result.returncode == 0
    assert result.stdout == ""
    assert json.loads((project / "report.json").read_text())["summary"]["findings"] == 2
    quiet = run_cli("src", "--quiet", cwd=project)
    assert quiet.returncode == 1
    assert not quiet.stdout.splitlines()[-1].startswith("Found")


def test_statistics(project):
    text = run_cli("src", "--statistics", cwd=project)
    assert text.stdout.splitlines() == ["     1  TFF101  print-in-graph", "     1  TFF201  numpy-method-in-graph"]
    document = json.loads(run_cli("src", "--statistics", "--format", "json", cwd=project).stdout)
    assert document["version"] == 1 and document["tool"]["name"] == "tflint-fn"
    assert document["summary"] == {"files": 2, "findings": 2}
    assert document["statistics"] == [
        {"code": "TFF101", "name": "print-in-graph", "severity": "error", "count": 1},
        {"code": "TFF201", "name": "numpy-method-in-graph", "severity": "error", "count": 1},
    ]


def test_show_settings(project):
    (project / "pyproject.toml").write_text('[tool.tflint-fn]\nignore = ["TFF201"]\ngraph-decorators = ["lib.traced"]\n')
    result = run_cli("--show-settings", "src", cwd=project)
    assert result.returncode == 0
    assert f"config file: {project / 'pyproject.toml'}" in result.stdout
    assert "  TFF101 print-in-graph" in result.stdout
    assert "TFF201" not in result.stdout
    assert "graph-decorators: lib.traced" in result.stdout


def test_nearest_pyproject_applies_to_each_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nignore = ["TFF201"]\n')
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text(
        '[tool.tflint-fn]\nignore = ["TFF101"]\nper-file-ignores = {"tests/*" = ["TFF2"]}\n'
    )
    (tmp_path / "sub" / "b.py").write_text(BAD)
    (tmp_path / "sub" / "tests").mkdir()
    (tmp_path / "sub" / "tests" / "t.py").write_text(BAD)
    document = json.loads(run_cli(".", "--format", "json", cwd=tmp_path).stdout)
    assert [(f["path"], f["code"]) for f in document["findings"]] == [("a.py", "TFF101"), ("sub/b.py", "TFF201")]
    forced = json.loads(run_cli(".", "--format", "json", "--config", "pyproject.toml", cwd=tmp_path).stdout)
    assert {f["code"] for f in forced["findings"]} == {"TFF101"}


def test_gitignore_and_force_exclude(tmp_path):
    (tmp_path / ".gitignore").write_text("generated/\nscratch_*.py\n")
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nextend-exclude = ["vendored.py"]\n')
    (tmp_path / "generated").mkdir()
    for name in ("generated/model.py", "scratch_1.py", "vendored.py", "kept.py"):
        (tmp_path / name).write_text(BAD)
    document = json.loads(run_cli(".", "--format", "json", cwd=tmp_path).stdout)
    assert {f["path"] for f in document["findings"]} == {"kept.py"}
    # Named explicitly: checked, unless --force-exclude.
    assert run_cli("vendored.py", cwd=tmp_path).returncode == 1
    assert run_cli("scratch_1.py", cwd=tmp_path).returncode == 1
    assert run_cli("vendored.py", "--force-exclude", cwd=tmp_path).returncode == 0
    assert run_cli("scratch_1.py", "--force-exclude", cwd=tmp_path).returncode == 0


def test_show_suppressed_and_unused_suppressions(tmp_path):
    source = textwrap.dedent(
        """
        import tensorflow as tf

        @tf.function
        def step(x):
            print(x)  # noqa: TFF101
            tf.print(x)  # noqa: TFF101
            return x  # tflint-fn: ignore[numpy-method-in-graph]
        """
    )
    (tmp_path / "a.py").write_text(source)
    plain = run_cli("a.py", cwd=tmp_path)
    assert plain.returncode == 0 and plain.stdout == "No findings in 1 file; 1 suppressed.\n"
    shown = run_cli("a.py", "--show-suppressed", cwd=tmp_path)
    assert "a.py:6:5: TFF101 [print-in-graph]" in shown.stdout and "(suppressed)" in shown.stdout
    document = json.loads(run_cli("a.py", "--format", "json", "--show-suppressed", cwd=tmp_path).stdout)
    assert [f["code"] for f in document["suppressed"]] == ["TFF101"]
    jsonschema.validate(document, FINDINGS_SCHEMA)
    unused = json.loads(run_cli("a.py", "--format", "json", "--report-unused-suppressions", cwd=tmp_path).stdout)
    assert [(f["code"], f["start"]["line"], f["severity"]) for f in unused["findings"]] == [
        ("TFF002", 7, "warning"),
        ("TFF002", 8, "warning"),
    ]


@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_pre_commit_hook_with_the_real_tool(tmp_path):
    pre_commit = [sys.executable, "-m", "pre_commit"]
    work = tmp_path / "work"
    work.mkdir()
    (work / "bad.py").write_text(BAD)
    (work / "clean.py").write_text(CLEAN)
    git_env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
    )
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "init"]):
        subprocess.run(command, cwd=work, env=git_env, check=True)
    # try-repo needs the hook repository as a git repository: snapshot this checkout.
    hook_repo = tmp_path / "hook-repo"
    shutil.copytree(
        REPO, hook_repo,
        ignore=shutil.ignore_patterns(".git", ".venv", ".ci-venv", "__pycache__", "*.egg-info", ".pytest_cache"),
    )
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "snapshot"]):
        subprocess.run(command, cwd=hook_repo, env=git_env, check=True)

    def try_repo(*files):
        return subprocess.run(
            [*pre_commit, "try-repo", str(hook_repo), "tflint-fn", "--files", *files],
            cwd=work, env=git_env, capture_output=True, text=True, timeout=600,
        )

    failing = try_repo("bad.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "bad.py:5:5: TFF101 [print-in-graph]" in failing.stdout
    passing = try_repo("clean.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr



def test_pre_commit_hook_installs_no_tensorflow():
    import tomllib
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    static = next(hook for hook in hooks if hook["id"] == "tflint-fn")
    assert static["language"] == "python" and not static.get("additional_dependencies")
    assert static["types_or"] == ["python", "pyi"] and static["require_serial"] is True
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in dependencies if "tensorflow" in d or "keras" in d]


def test_rule_documentation_as_json(tmp_path):
    result = run_cli("rule", "numpy-on-tensor", "--format", "json", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert document["code"] == "TFF203" and document["severity"] == "error"
    assert document["documentation"].startswith("# TFF203 numpy-on-tensor")


def test_select_and_extend_select_from_the_file(tmp_path):
    (tmp_path / "a.py").write_text(BAD + "\n@tf.function\ndef other(x):\n    tf.print(x)  # noqa: TFF101\n")
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nselect = ["TFF2"]\nextend-select = ["TFF002"]\n')
    document = json.loads(run_cli("a.py", "--format", "json", cwd=tmp_path).stdout)
    # TFF002 on its own: the noqa names TFF101, which is not selected, so it is not judged.
    assert [f["code"] for f in document["findings"]] == ["TFF201"]
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nselect = ["TFF1", "TFF2"]\nextend-select = ["TFF002"]\n')
    document = json.loads(run_cli("a.py", "--format", "json", cwd=tmp_path).stdout)
    assert [f["code"] for f in document["findings"]] == ["TFF101", "TFF201", "TFF002"]

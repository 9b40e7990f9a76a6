"""The package as users get it: version, changelog, licence, workflow files, and the README's CI and pre-commit recipes."""

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

try:
    import tomllib
except ImportError:  # Python 3.10: the backport the package depends on there
    import tomli as tomllib

from tests.conftest import REPO, run_cli
from tflint_fn import __version__

README = (REPO / "README.md").read_text(encoding="utf-8")
BAD = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)\n    return x.numpy()\n"
CLEAN = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    tf.print(x)\n    return x\n"
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _section(heading: str) -> str:
    """The README text under ``## heading``, up to the next ``## ``."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## )", README, re.DOTALL | re.MULTILINE)
    assert match, f"README has no section `## {heading}`"
    return match.group(1)


def _yaml_blocks(heading: str) -> list:
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", _section(heading), re.DOTALL | re.MULTILINE)]


def _on(workflow: dict):
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    return workflow["on"] if "on" in workflow else workflow[True]


def _version(text: str) -> tuple:
    return tuple(int(part) for part in SEMVER.match(text).groups())


def _run_tool_command(command: str, cwd):
    """A README command line `tflint-fn ARGS...`, run with this checkout's tflint-fn."""
    words = shlex.split(command.split("#", 1)[0])
    assert words[0] == "tflint-fn", command
    return run_cli(*words[1:], cwd=cwd)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.py").write_text(BAD)
    (tmp_path / "src" / "clean.py").write_text(CLEAN)
    return tmp_path


# --- version, changelog, licence -------------------------------------------------------------------


def test_version_is_semver_and_cli_reports_it(tmp_path):
    assert SEMVER.match(__version__)
    assert run_cli("--version", cwd=tmp_path).stdout.strip() == f"tflint-fn, version {__version__}"


def test_changelog_follows_keep_a_changelog():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.*)$", text, re.MULTILINE)
    assert headings[0] == "[Unreleased]"
    released = []
    for heading in headings[1:]:
        match = re.fullmatch(r"\[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})", heading)
        assert match, f"CHANGELOG heading `## {heading}` is not `## [X.Y.Z] - YYYY-MM-DD`"
        released.append(_version(match.group(1)))
    assert released == sorted(released, reverse=True) and len(set(released)) == len(released)
    # The tree's version is either the newest release or the next one (Unreleased).
    assert not released or _version(__version__) >= released[0]
    kinds = set(re.findall(r"^### (.*)$", text, re.MULTILINE))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds
    for section in re.split(r"^## .*$", text, flags=re.MULTILINE)[2:]:  # Unreleased may be empty
        assert re.search(r"^- ", section, re.MULTILINE), "every released version lists its changes"


def test_license_is_the_apache_license_the_metadata_declares():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    dev = project["optional-dependencies"]["dev"]
    assert any(d.startswith("build") for d in dev) and any(d.startswith("twine") for d in dev)


def test_readme_names_the_current_version():
    wheels = re.findall(r"tflint_fn-(\d+\.\d+\.\d+)-py3-none-any\.whl", README)
    tags = re.findall(r"rev: v(\d+\.\d+\.\d+)", README)
    assert wheels and tags
    assert set(wheels) == set(tags) == {__version__}, "README's wheel names and `rev:` follow the version"


# --- workflow files --------------------------------------------------------------------------------


WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))


def test_there_is_a_release_workflow():
    assert REPO / ".github" / "workflows" / "release.yml" in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_yaml_with_the_expected_keys(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict) and workflow.get("name")
    assert _on(workflow)
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), name
        assert job.get("steps"), name
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (name, step)
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[\w./-]+", step["uses"]), step["uses"]
        needs = job.get("needs", [])
        for needed in [needs] if isinstance(needs, str) else needs:
            assert needed in workflow["jobs"], (name, needed)


def test_release_workflow_publishes_by_trusted_publishing_on_a_tag():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    assert _on(workflow) == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "python -m build" in runs and "twine check --strict dist/*" in runs
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert uses[-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert not any("password" in step.get("with", {}) for step in publish["steps"]), "trusted publishing: no token"


def _release_check_script() -> str:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    return next(s["run"] for s in workflow["jobs"]["build"]["steps"] if s.get("name") == "Tag, version and changelog agree")


@pytest.mark.skipif(shutil.which("bash") is None, reason="the workflow's step is a bash script")
def test_release_workflow_refuses_a_tag_the_tree_does_not_match(tmp_path):
    script = _release_check_script()
    (tmp_path / "tflint_fn").mkdir()
    (tmp_path / "tflint_fn" / "__init__.py").write_text('__version__ = "1.2.3"\n')
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))

    def check(tag, changelog):
        (tmp_path / "CHANGELOG.md").write_text(changelog)
        return subprocess.run(["bash", "-e", "-c", script], check=False, cwd=tmp_path, env={**env, "GITHUB_REF_NAME": tag},
                              capture_output=True, text=True, timeout=60)

    released = "# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2026-12-01\n\n### Added\n\n- x\n"
    assert check("v1.2.3", released).returncode == 0
    wrong_tag = check("v1.2.4", released)
    assert wrong_tag.returncode != 0 and "is not v1.2.3" in wrong_tag.stdout
    unreleased = check("v1.2.3", "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- x\n")
    assert unreleased.returncode != 0 and "no '## [1.2.3] - DATE' section" in unreleased.stdout


# --- the README's CI recipes -----------------------------------------------------------------------


def test_readme_github_actions_example(project):
    (workflow,) = _yaml_blocks("In CI: GitHub Actions")
    job = workflow["jobs"]["tflint-fn"]
    assert job["permissions"] == {"contents": "read", "actions": "read", "security-events": "write"}
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5", "github/codeql-action/upload-sarif@v3"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    install = runs[0].split("#", 1)[0].split()
    assert install[:2] == ["pip", "install"] and install[2].endswith(f"tflint_fn-{__version__}-py3-none-any.whl")
    lint, sarif = runs[1:]
    annotations = _run_tool_command(lint, project)
    assert annotations.returncode == 1 and annotations.stdout.startswith("::error file=src/bad.py,line=5,")
    report = _run_tool_command(sarif, project)
    assert report.returncode == 0
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    document = json.loads((project / upload["with"]["sarif_file"]).read_text())
    assert document["version"] == "2.1.0" and document["runs"][0]["results"]


def test_readme_gitlab_example(project):
    (pipeline,) = _yaml_blocks("In CI: GitLab, Jenkins")
    job = pipeline["tflint-fn"]
    assert job["script"][0].split("#", 1)[0].split()[:3] == [
        "pip", "install", f"tools/tflint_fn-{__version__}-py3-none-any.whl"
    ]
    statuses = [_run_tool_command(command, project).returncode for command in job["script"][1:]]
    assert statuses == [0, 1], "the report with --exit-zero, then the run that fails the job on findings"
    reports = job["artifacts"]["reports"]
    issues = json.loads((project / reports["codequality"]).read_text())
    assert [issue["check_name"] for issue in issues] == ["TFF101", "TFF201"]
    root = ET.parse(project / reports["junit"]).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "2"
    assert job["artifacts"]["when"] == "always"


def _git_env(tmp_path):
    return dict(
        os.environ,
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        # `language: system` runs the tflint-fn installed next to this Python (pip install -e . or a wheel).
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    )


@pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None, reason="pre-commit is not installed")
def test_readme_pre_commit_local_recipe(tmp_path):
    blocks = _yaml_blocks("pre-commit")
    local = next(block for block in blocks if block["repos"][0]["repo"] == "local")
    (hook,) = local["repos"][0]["hooks"]
    published = next(h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "tflint-fn")
    for key in ("id", "entry", "types_or", "require_serial"):
        assert hook[key] == published[key], key
    env = _git_env(tmp_path)
    assert shutil.which("tflint-fn", path=env["PATH"]), "install this checkout first: pip install -e ."
    work = tmp_path / "work"
    work.mkdir()
    (work / "bad.py").write_text(BAD)
    (work / "clean.py").write_text(CLEAN)
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(local, sort_keys=False))
    for command in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "init"]):
        subprocess.run(command, cwd=work, env=env, check=True)

    def pre_commit(*args):
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", *args], check=False, cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)

    failing = pre_commit("--all-files")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "bad.py:5:5: TFF101 [print-in-graph]" in failing.stdout
    passing = pre_commit("--files", "clean.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    # The staged change is what a commit checks.
    (work / "clean.py").write_text(BAD)
    subprocess.run(["git", "add", "clean.py"], cwd=work, env=env, check=True)
    staged = pre_commit()
    assert staged.returncode == 1 and "clean.py:5:5: TFF101" in staged.stdout, staged.stdout


def test_readme_jenkins_command(project):
    (command,) = re.findall(r"`sh '(tflint-fn [^']+)'`", _section("In CI: GitLab, Jenkins"))
    (report,) = re.findall(r"`junit '([^']+)'`", _section("In CI: GitLab, Jenkins"))
    result = _run_tool_command(command, project)
    assert result.returncode == 0, "--exit-zero: the junit step, not the shell step, marks the build"
    root = ET.parse(project / report).getroot()
    assert [case.get("name") for case in root.iter("testcase") if case.find("failure") is not None] == [
        "TFF101 [print-in-graph] in step", "TFF201 [numpy-method-in-graph] in step"
    ]

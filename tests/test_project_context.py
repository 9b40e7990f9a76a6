"""Files named one by one (pre-commit) or a stdin buffer (an editor) are checked in their whole project.

The findings reported for a file must be the ones a whole-project run
reports for it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir())


def run_cli(*args, cwd, stdin=None):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-m", "tflint_fn", "--format", "json", *args],
        cwd=cwd, capture_output=True, text=True, env=env, input=stdin,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["findings"]


def by_file(findings) -> dict[str, list]:
    table: dict[str, list] = {}
    for finding in findings:
        key = (finding["code"], finding["start"]["line"], finding["start"]["column"], finding.get("cell"), finding["message"])
        table.setdefault(finding["path"], []).append(key)
    return table


def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the repository root is the project root
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("import tensorflow as tf\n\n\ndef show(x):\n    print(tf.reduce_sum(x))\n    return x\n")
    (package / "train.py").write_text(
        "import tensorflow as tf\n\nfrom .helpers import show\n\n\n@tf.function\ndef step(x):\n    return show(x) * 2\n"
    )
    return tmp_path


def test_a_helper_named_alone_is_known_to_be_traced_from_another_module(tmp_path):
    root = project(tmp_path)
    whole = by_file(run_cli("--no-cache", ".", cwd=root))
    assert list(whole) == ["pkg/helpers.py"]
    assert by_file(run_cli("--no-cache", "pkg/helpers.py", cwd=root)) == whole
    assert by_file(run_cli("pkg/helpers.py", cwd=root)) == whole  # and again from the cache
    assert run_cli("--no-cache", "pkg/train.py", cwd=root) == []  # the finding is not in train.py
    # Today's single-file behaviour, on request: the caller is not seen.
    assert run_cli("--no-cache", "--no-project-context", "pkg/helpers.py", cwd=root) == []


def test_the_stdin_buffer_replaces_the_file_on_disk(tmp_path):
    root = project(tmp_path)
    buffer = "import tensorflow as tf\n\n\ndef show(x):\n    y = x + 1\n    print(tf.reduce_sum(y))\n    return x\n"
    found = run_cli("--stdin-filename", "pkg/helpers.py", "-", cwd=root, stdin=buffer)
    assert [(f["path"], f["code"], f["start"]["line"]) for f in found] == [("pkg/helpers.py", "TFF101", 6)]
    # A buffer of a file not saved yet is checked in the project too.
    new = "import tensorflow as tf\n\nfrom .helpers import show\n\n\n@tf.function\ndef other(x):\n    print(x.numpy())\n"
    found = run_cli("--stdin-filename", "pkg/new.py", "-", cwd=root, stdin=new)
    assert [(f["path"], f["code"]) for f in found] == [("pkg/new.py", "TFF201")]


def test_configuration_can_turn_project_context_off(tmp_path):
    root = project(tmp_path)
    (root / "pyproject.toml").write_text("[tool.tflint-fn]\nproject-context = false\n")
    assert run_cli("--no-cache", "pkg/helpers.py", cwd=root) == []
    (root / "pyproject.toml").write_text("[tool.tflint-fn]\nproject-context = 'no'\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "tflint_fn", "pkg/helpers.py"], cwd=root, capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "`project-context` must be true or false" in result.stderr


def test_without_a_repository_or_configuration_a_file_is_checked_alone(tmp_path):
    root = project(tmp_path)
    shutil.rmtree(root / ".git")
    assert run_cli("--no-cache", "pkg/helpers.py", cwd=root) == []


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_every_fixture_file_alone_gets_its_whole_project_findings(tmp_path, fixture):
    root = tmp_path / fixture.name
    shutil.copytree(fixture, root, ignore=shutil.ignore_patterns("expected.json"))
    (root / ".git").mkdir()
    whole = by_file(run_cli("--no-cache", ".", cwd=root))
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".ipynb") and ".git" not in p.parts):
        name = path.relative_to(root).as_posix()
        alone = by_file(run_cli("--no-cache", name, cwd=root))
        assert alone == ({name: whole[name]} if name in whole else {}), name


def two_findings_project(tmp_path: Path) -> Path:
    """Two modules, each with a traced function that has a finding, and a suppression in each."""
    (tmp_path / ".git").mkdir()
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("first", "second"):
        (package / f"{name}.py").write_text(
            "import tensorflow as tf\n\n\n@tf.function\ndef step(x):\n    print(x)\n    return x  # noqa: TFF101\n"
        )
    return tmp_path


def test_only_the_traced_functions_of_the_files_asked_for_are_checked(tmp_path, monkeypatch):
    """The fixpoint covers the whole project; the checks of traced code run for the asked
    files only, and what they report is what a whole-project run reports for those files."""
    from tflint_fn.checks import run as checks_run
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    root = two_findings_project(tmp_path)
    checked = []
    original = checks_run._trace_findings
    monkeypatch.setattr(
        checks_run, "_trace_findings",
        lambda project, trace, *args: checked.append(trace.function.module.display_path) or original(project, trace, *args),
    )
    settings = resolve_settings(FileConfig(), extend_select=["TFF002"])
    whole = run(["."], settings, root, jobs=1)
    assert sorted(checked) == ["pkg/first.py", "pkg/second.py"]
    checked.clear()
    alone = run(["pkg/first.py"], settings, root, cache_root=root, jobs=1, project_context=True)
    assert checked == ["pkg/first.py"]
    expected = [f.to_json() for f in whole.findings if f.path == "pkg/first.py"]
    assert [(f.code, f.start.line) for f in alone.findings] == [("TFF101", 6), ("TFF002", 7)]
    assert [f.to_json() for f in alone.findings] == expected
    # What the cache keeps for this run holds nothing about the file left unchecked
    # (its suppression would look unused).
    (entry,) = (root / ".tflint-fn-cache" / "results").glob("*.json")
    stored = json.loads(entry.read_text(encoding="utf-8"))
    assert [item["path"] for item in stored["findings"]] == ["pkg/first.py", "pkg/first.py"]


def test_a_result_of_some_files_is_never_taken_for_the_whole_project(tmp_path):
    root = two_findings_project(tmp_path)
    first = by_file(run_cli("pkg/first.py", cwd=root))  # cached as the result of pkg/first.py only
    assert list(first) == ["pkg/first.py"]
    whole = by_file(run_cli(".", cwd=root))
    assert list(whole) == ["pkg/first.py", "pkg/second.py"]
    assert whole == by_file(run_cli("--no-cache", ".", cwd=root))
    assert by_file(run_cli("pkg/second.py", cwd=root)) == {"pkg/second.py": whole["pkg/second.py"]}


def test_a_whole_project_result_serves_a_run_on_one_of_its_files(tmp_path, monkeypatch):
    from tflint_fn import analysis
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    root = two_findings_project(tmp_path)
    settings = resolve_settings(FileConfig())
    whole = run(["."], settings, root, cache_root=root, jobs=1)

    def no_analysis(*args, **kwargs):
        raise AssertionError("analysed again")

    monkeypatch.setattr(analysis, "analyze_files", no_analysis)
    alone = run(["pkg/second.py"], settings, root, cache_root=root, jobs=1, project_context=True)
    assert [f.to_json() for f in alone.findings] == [f.to_json() for f in whole.findings if f.path == "pkg/second.py"]

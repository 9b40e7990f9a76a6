import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.engine import run

REPO = Path(__file__).resolve().parent.parent


def lint_source(tmp_path: Path, source: str, name: str = "example.py", **settings):
    """Lint one module written to ``tmp_path``; returns the findings."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return lint_paths(tmp_path, [name], **settings)


def lint_paths(cwd: Path, paths: list[str], graph_decorators=(), report_unused_suppressions=False, **flags):
    config = FileConfig(graph_decorators=list(graph_decorators))
    if report_unused_suppressions:
        flags["extend_select"] = [*flags.get("extend_select", []), "TFF002"]
    settings = resolve_settings(config, **flags)
    return run(paths, settings, cwd).findings


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "tflint_fn", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(autouse=True)
def _no_mutant_in_subprocesses(monkeypatch):
    """Under mutmut (DEVELOPERS.md), the CLI tests' subprocesses run the unmutated code."""
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)


@pytest.fixture
def lint(tmp_path):
    def _lint(source: str, name: str = "example.py", **settings):
        return lint_source(tmp_path, source, name, **settings)

    return _lint


def pytest_collection_modifyitems(config, items):
    """Without TensorFlow (`pip install -e ".[dev]"`), tests marked `tensorflow` are skipped, not failed."""
    if importlib.util.find_spec("tensorflow") is not None:
        return
    skip = pytest.mark.skip(reason='needs TensorFlow: pip install -e ".[dev,dynamic]"')
    for item in items:
        if "tensorflow" in item.keywords:
            item.add_marker(skip)

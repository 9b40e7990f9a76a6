"""Per-file summaries in the cache, and parallel summarising: never a different result."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tflint_fn.model import loading

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "tflint_fn", *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def write_project(root: Path, modules: int) -> None:
    """A package of ``modules`` helpers called from one tf.function, half of them printing."""
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for index in range(modules):
        body = "    print(tf.reduce_sum(x))\n" if index % 2 else ""
        (package / f"helper_{index}.py").write_text(f"import tensorflow as tf\n\n\ndef helper_{index}(x):\n{body}    return x + {index}\n")
    imports = "".join(f"from pkg.helper_{i} import helper_{i}\n" for i in range(modules))
    calls = "".join(f"    x = helper_{i}(x)\n" for i in range(modules))
    (package / "step.py").write_text(f"import tensorflow as tf\n{imports}\n\n@tf.function\ndef step(x):\n{calls}    return x\n")


def findings(result) -> list:
    return [(f["path"], f["code"], f["start"]["line"]) for f in json.loads(result.stdout)["findings"]]


def test_parallel_summaries_give_identical_output(tmp_path):
    write_project(tmp_path, loading.PARALLEL_FROM + 6)
    outputs = {jobs: run_cli("--no-cache", "--jobs", str(jobs), "--format", "json", ".", cwd=tmp_path) for jobs in (1, 2, 3)}
    assert outputs[1].stdout == outputs[2].stdout == outputs[3].stdout
    assert len(findings(outputs[1])) == (loading.PARALLEL_FROM + 6) // 2


def test_checks_in_forked_processes_give_identical_output(tmp_path, monkeypatch):
    """Above checks/forked.PARALLEL_FROM traced functions, --jobs shares the checks with
    forked processes: the same findings, traced code's and the project checks', in order."""
    from tflint_fn.checks import forked
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    write_project(tmp_path, forked.PARALLEL_FROM + 6)
    (tmp_path / "train.py").write_text(
        "from pkg.step import step\n\n\ndef train(x, epochs):\n    for epoch in range(epochs):\n        step(x + epoch)\n"
        "        step(epoch)\n"
    )
    outputs = {jobs: run_cli("--no-cache", "--jobs", str(jobs), "--format", "json", ".", cwd=tmp_path) for jobs in (1, 2, 3)}
    assert outputs[1].stdout == outputs[2].stdout == outputs[3].stdout
    codes = [code for _, code, _ in findings(outputs[1])]
    assert codes.count("TFF101") == (forked.PARALLEL_FROM + 6) // 2 and "TFF401" in codes
    if forked.can_fork():  # the run above really forked: count the children of one in this process
        forks = []
        original = forked._fork
        monkeypatch.setattr(forked, "_fork", lambda *args: forks.append(1) or original(*args))
        shared = run(["."], resolve_settings(FileConfig()), tmp_path, jobs=2)
        assert forks == [1]
        assert [f.to_json() for f in shared.findings] == json.loads(outputs[1].stdout)["findings"]


def test_the_modules_imports_pull_in_are_summarised_together(tmp_path, monkeypatch):
    """Modules that mention no TensorFlow are summarised only because traced code imports
    them: one wave of imports is one batch (in processes with --jobs), not one each."""
    from tflint_fn import analysis
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    count = loading.PARALLEL_FROM + 6
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for index in range(count):  # plain Python: no `tensorflow` in the text
        body = "    print(x)\n" if index % 2 else ""
        (package / f"helper_{index}.py").write_text(f"def helper_{index}(x):\n{body}    return x + {index}\n")
    imports = "".join(f"from pkg.helper_{i} import helper_{i}\n" for i in range(count))
    calls = "".join(f"    x = helper_{i}(x)\n" for i in range(count))
    (package / "step.py").write_text(f"import tensorflow as tf\n{imports}\n\n@tf.function\ndef step(x):\n{calls}    return x\n")
    batches = []
    original = analysis.load_all
    monkeypatch.setattr(analysis, "load_all", lambda requests, *args: batches.append(len(requests)) or original(requests, *args))
    result = run(["."], resolve_settings(FileConfig()), tmp_path, jobs=2)
    assert batches == [1, count + 1]  # step.py, then every helper it imports (and pkg/__init__.py) at once
    outputs = {jobs: run_cli("--no-cache", "--jobs", str(jobs), "--format", "json", ".", cwd=tmp_path) for jobs in (1, 2)}
    assert outputs[1].stdout == outputs[2].stdout
    assert [f.to_json() for f in result.findings] == json.loads(outputs[1].stdout)["findings"] != []


def test_an_edit_rebuilds_only_the_edited_files_summary(tmp_path, monkeypatch):
    write_project(tmp_path, 8)
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    settings = resolve_settings(FileConfig())
    first = run(["."], settings, tmp_path, cache_root=tmp_path)
    built: list[str] = []
    original = loading.build

    def spy(request):
        built.append(request.display_path)
        return original(request)

    monkeypatch.setattr(loading, "build", spy)
    helper = tmp_path / "pkg" / "helper_2.py"
    helper.write_text(helper.read_text().replace("    return x + 2\n", "    print(tf.reduce_sum(x))\n    return x + 2\n"))
    second = run(["."], settings, tmp_path, cache_root=tmp_path)
    assert built == ["pkg/helper_2.py"]
    assert len(second.findings) == len(first.findings) + 1
    uncached = run(["."], settings, tmp_path)
    assert [f.to_json() for f in second.findings] == [f.to_json() for f in uncached.findings]


def test_a_corrupt_or_foreign_summary_entry_is_rebuilt(tmp_path):
    write_project(tmp_path, 4)
    expected = run_cli("--no-cache", "--format", "json", ".", cwd=tmp_path).stdout
    assert run_cli("--format", "json", ".", cwd=tmp_path).stdout == expected
    summaries = tmp_path / ".tflint-fn-cache" / "summaries"
    entries = sorted(summaries.glob("*.pickle"))
    assert len(entries) == 6  # __init__.py has no TensorFlow in it: never summarised
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(entries[2].read_bytes())  # another module's summary under this key
    for result in (tmp_path / ".tflint-fn-cache" / "results").glob("*.json"):
        result.unlink()
    assert run_cli("--format", "json", ".", cwd=tmp_path).stdout == expected


def test_jobs_must_be_positive(tmp_path):
    (tmp_path / "m.py").write_text("x = 1\n")
    result = run_cli("--jobs", "-1", ".", cwd=tmp_path)
    assert result.returncode == 2 and "--jobs -1" in result.stderr


def test_the_analysis_runs_no_full_collection_and_restores_the_collector(tmp_path):
    """Full cyclic collections re-traverse every kept tree for nothing (a fifth of a
    cold run): none runs during the analysis, and the collector is as it was after."""
    import gc

    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    write_project(tmp_path, 40)
    for index in range(40):  # big traced bodies: many long-lived tree nodes
        helper = tmp_path / "pkg" / f"helper_{index}.py"
        lines = "".join(f"    y{line} = tf.reduce_sum(x * {line}) + [x, (x, {line})][0]\n" for line in range(150))
        helper.write_text(helper.read_text().replace("    return x", lines + "    return x", 1))
    full = []

    def record(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(info)

    before = gc.get_threshold()
    gc.collect()
    gc.callbacks.append(record)
    try:
        result = run(["."], resolve_settings(FileConfig()), tmp_path)
    finally:
        gc.callbacks.remove(record)
    assert len(result.findings) == 20
    assert full == []
    assert gc.get_threshold() == before


def test_the_project_checks_in_two_parts_give_the_one_part_findings(tmp_path, monkeypatch):
    """The project checks run over two parts of the modules (in parallel with --jobs). A
    report about a function (TFF402: it creates a tf.function and calls it, and loops in
    both parts call it) comes once, as from one part; call-site reports come from each."""
    from tflint_fn.checks import run as run_checks
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    (tmp_path / "maker.py").write_text(
        "import tensorflow as tf\n\n\ndef make_and_call(x):\n    double = tf.function(lambda v: v * 2)\n    return double(x)\n"
    )
    for name in ("a_loops", "z_loops"):
        (tmp_path / f"{name}.py").write_text(
            "import tensorflow as tf\nfrom maker import make_and_call\n\n\n@tf.function\ndef step(x):\n    return x + 1\n\n\n"
            "def train(xs):\n    for epoch in range(3):\n        step(epoch)\n        make_and_call(xs)\n"
        )
    (tmp_path / "a_loops.py").write_text(
        (tmp_path / "a_loops.py").read_text()
        + "\n\n@tf.function(input_signature=[tf.TensorSpec([None]), tf.TensorSpec([None])])\ndef one(x):\n    return x\n"
    )
    made, by_part = [], []
    split, checked = run_checks._project_parts, run_checks._project_findings
    monkeypatch.setattr(run_checks, "_project_parts", lambda project: made.append(split(project)) or made[-1])
    monkeypatch.setattr(run_checks, "_project_findings", lambda *args: by_part.append(checked(*args)) or by_part[-1])
    parted = run(["."], resolve_settings(FileConfig()), tmp_path).findings
    assert [[module.name for module in part] for part in made[0]] == [["a_loops"], ["maker", "z_loops"]]
    # A tf.function's own report (TFF403) comes from the part that holds it, not from both.
    assert [[f.code for f in found].count("TFF403") for found in by_part] in ([1, 0], [0, 1])
    monkeypatch.setattr(run_checks, "_project_parts", lambda project: [list(project.modules.values())])
    whole = run(["."], resolve_settings(FileConfig()), tmp_path).findings
    assert [f.to_json() for f in parted] == [f.to_json() for f in whole]
    assert [(f.path, f.code) for f in whole].count(("maker.py", "TFF402")) == 1
    assert {f.path for f in whole if f.code == "TFF401"} == {"a_loops.py", "z_loops.py"}
    assert [(f.path, f.code) for f in whole].count(("a_loops.py", "TFF403")) == 1


def test_a_project_without_loops_is_one_part(tmp_path, monkeypatch):
    from tflint_fn.checks import run as run_checks
    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    for name in ("a", "b"):
        (tmp_path / f"{name}.py").write_text("import tensorflow as tf\n\n\n@tf.function\ndef step(x):\n    return x + 1\n")
    made = []
    split = run_checks._project_parts
    monkeypatch.setattr(run_checks, "_project_parts", lambda project: made.append(split(project)) or made[-1])
    run(["."], resolve_settings(FileConfig()), tmp_path)
    assert [[module.name for module in part] for part in made[0]] == [["a", "b"]]

"""The result cache: reused when nothing changed, never changes results."""

import json

from tests.conftest import run_cli
from tflint_fn.cache import CACHE_DIR_NAME

BAD = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)\n    return x\n"


def lint(cwd, *args):
    result = run_cli(".", "--format", "json", *args, cwd=cwd)
    return result.returncode, json.loads(result.stdout)


def entries(tmp_path):
    return sorted((tmp_path / ".tflint-fn-cache" / "results").glob("*.json"))


def test_cache_is_marked_and_reused(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    cold = lint(tmp_path)
    cache = tmp_path / ".tflint-fn-cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(entries(tmp_path)) == 1
    # A warm run answers from the entry: prove it by planting a marker in it.
    entry = entries(tmp_path)[0]
    document = json.loads(entry.read_text())
    document["findings"][0]["message"] = "from the cache"
    entry.write_text(json.dumps(document))
    code, warm = lint(tmp_path)
    assert code == cold[0] and warm["findings"][0]["message"] == "from the cache"


def test_any_change_recomputes(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    lint(tmp_path)
    (tmp_path / "a.py").write_text(BAD.replace("print(x)", "tf.print(x)"))
    assert lint(tmp_path)[1]["findings"] == []
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nignore = ["TFF1"]\n')
    (tmp_path / "a.py").write_text(BAD)
    assert lint(tmp_path)[1]["findings"] == []
    assert [f["code"] for f in lint(tmp_path, "--ignore", "TFF2")[1]["findings"]] == ["TFF101"]


def test_corrupted_or_partial_entries_never_change_results(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    expected = lint(tmp_path, "--no-cache")[1]
    assert not (tmp_path / ".tflint-fn-cache").exists()
    lint(tmp_path)
    for garbage in ("", "{not json", '{"key": "other"}', json.dumps({"format": 1, "findings": [{"code": 1}]})):
        for entry in entries(tmp_path):
            entry.write_text(garbage)
        (tmp_path / ".tflint-fn-cache" / "results" / "half-written.tmp").write_text('{"format": 1, "fi')
        assert lint(tmp_path)[1] == expected


def test_clean_removes_the_cache(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    lint(tmp_path)
    result = run_cli("clean", cwd=tmp_path)
    assert result.returncode == 0 and "removed" in result.stdout
    assert not (tmp_path / ".tflint-fn-cache").exists()
    assert run_cli("clean", cwd=tmp_path).stdout == "no cache to remove\n"


def test_a_run_served_from_the_cache_loads_no_libcst(tmp_path):
    """Start-up is the cost of a warm run: the analysis (LibCST, the checks, the fixes) is imported on a miss only."""
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(BAD)
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in sys.modules "
        "if m == 'libcst' or m.startswith(('tflint_fn.analysis', "
        "'tflint_fn.checks', 'tflint_fn.model', 'tflint_fn.fixes.edits', 'tflint_fn.fixes.units'))), file=sys.stderr))\n"
        "sys.argv = ['tflint-fn', '.']\n"
        "runpy.run_module('tflint_fn', run_name='__main__')\n"
    )

    def loaded():
        shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert "TFF101" in shown.stdout, shown.stderr
        return next(line for line in shown.stderr.splitlines() if line.startswith("LOADED"))

    assert "'libcst'" in loaded()  # the first run analyses
    assert loaded() == "LOADED []"  # the second is served from the cache


def test_config_and_pattern_libraries_are_imported_only_by_a_run_that_needs_them(tmp_path):
    """Start-up of a pre-commit run: with no config file, no exclude pattern and no
    `.gitignore`, neither tomllib, pathspec nor difflib (config typos) is imported;
    with a `.gitignore` and a pyproject.toml, they are, and both are obeyed."""
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(BAD)
    (tmp_path / "skipped.py").write_text(BAD)
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in ('pathspec', 'tomllib', 'difflib') if m in sys.modules), "
        "file=sys.stderr))\n"
        "sys.argv = ['tflint-fn', '--no-cache', '.']\n"
        "runpy.run_module('tflint_fn', run_name='__main__')\n"
    )

    def run():
        shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        return shown, next(line for line in shown.stderr.splitlines() if line.startswith("LOADED"))

    plain, loaded = run()
    assert loaded == "LOADED []"
    assert "m.py" in plain.stdout and "skipped.py" in plain.stdout
    (tmp_path / ".git").mkdir()  # the repository root: no .gitignore above it is read
    (tmp_path / ".gitignore").write_text("skipped.py\n")
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nextend-select = ["TFF002"]\n')
    (tmp_path / "m.py").write_text(BAD + "x = 1  # noqa: TFF101\n")
    configured, loaded = run()
    assert loaded == "LOADED ['pathspec', 'tomllib']"
    assert "skipped.py" not in configured.stdout and "TFF002" in configured.stdout  # both obeyed
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nextend-selekt = ["TFF002"]\n')
    typo, loaded = run()
    assert "did you mean `extend-select`" in typo.stderr and "difflib" in loaded


def test_the_libraries_that_write_the_cache_are_imported_only_by_a_run_that_writes_it(tmp_path):
    """A pre-commit run (`--no-cache`) imports neither tempfile nor shutil; a run that
    writes the cache imports tempfile (its atomic writes), and its entries are there."""
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(BAD)

    def loaded(*flags):
        probe = (
            "import atexit, runpy, sys\n"
            "atexit.register(lambda: print('LOADED', sorted(m for m in ('shutil', 'tempfile') if m in sys.modules), "
            "file=sys.stderr))\n"
            f"sys.argv = ['tflint-fn', *{list(flags)!r}, 'm.py']\n"
            "runpy.run_module('tflint_fn', run_name='__main__')\n"
        )
        shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                               check=False)
        assert "TFF101" in shown.stdout, shown.stderr
        return next(line for line in shown.stderr.splitlines() if line.startswith("LOADED"))

    assert loaded("--no-cache") == "LOADED []"
    assert not (tmp_path / CACHE_DIR_NAME).exists()
    assert "tempfile" in loaded()
    assert list((tmp_path / CACHE_DIR_NAME).glob("results/*.json"))


def test_a_one_process_run_imports_no_process_pool(tmp_path):
    """A pre-commit run is mostly start-up: the process pool (multiprocessing,
    sockets, logging) is imported only when summaries are built in parallel."""
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(BAD)
    probe = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in sys.modules "
        "if m.startswith(('multiprocessing', 'concurrent.futures'))), "
        "file=sys.stderr))\n"
        "sys.argv = ['tflint-fn', '--no-cache', 'm.py']\n"
        "runpy.run_module('tflint_fn', run_name='__main__')\n"
    )
    shown = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "TFF101" in shown.stdout, shown.stderr
    assert "LOADED []" in shown.stderr.splitlines()

"""Static mode loses nothing and touches nothing it should not (issue 10, items 1-8 and 20)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_cli
from tflint_fn import cache as cache_module
from tflint_fn.config import FileConfig, resolve_settings
from tflint_fn.engine import run

BAD = "import tensorflow as tf\n\n\n@tf.function\ndef step(x):\n    print(x)\n    return x\n"


def findings_of(result):
    return json.loads(result.stdout)["findings"]


def places(result):
    return sorted((f["path"], f["code"]) for f in findings_of(result))


# 1. Every file keeps its own findings, whatever the module names.


@pytest.mark.parametrize(
    "layout",
    [
        ["train.py", "tools/train.py"],
        ["train.py", "tools/train.py", "x/train.py", "x/tools/train.py"],
        ["tools/train.py", "tools/train/__init__.py", "train.py"],
        ["my-scripts/train.py", "train.py", "other scripts/train.py"],
    ],
)
def test_files_with_one_module_name_all_keep_their_findings(tmp_path, layout):
    for name in layout:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BAD)
    result = run_cli(".", "--format", "json", "--no-cache", cwd=tmp_path)
    assert places(result) == sorted((name, "TFF101") for name in layout)
    assert json.loads(result.stdout)["summary"]["files"] == len(layout)


def test_named_files_with_one_module_name(tmp_path):
    (tmp_path / "tools").mkdir()
    (tmp_path / "train.py").write_text(BAD)
    (tmp_path / "tools" / "train.py").write_text(BAD)
    result = run_cli("train.py", "tools/train.py", "--format", "json", "--no-cache", cwd=tmp_path)
    assert places(result) == [("tools/train.py", "TFF101"), ("train.py", "TFF101")]


# 2. The cache never writes, prunes or deletes outside a real folder it created.


def _victims(folder, count=20):
    folder.mkdir()
    for number in range(count):
        (folder / f"{number:064x}.json").write_text("precious")
        (folder / f"notes-{number}.txt").write_text("precious")
    return sorted(p.name for p in folder.iterdir())


def test_symlinked_results_folder_is_never_pruned(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text(BAD)
    before = _victims(tmp_path / "elsewhere")
    lint = run_cli(".", "--format", "json", cwd=project)  # creates the cache
    assert lint.returncode == 1
    results = project / ".tflint-fn-cache" / "results"
    for entry in results.iterdir():
        entry.unlink()
    results.rmdir()
    results.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    for edit in range(20):  # many distinct keys: pruning would have run
        (project / "a.py").write_text(BAD + f"\nx = {edit}\n")
        result = run_cli(".", "--format", "json", cwd=project)
        assert result.returncode == 1 and places(result) == [("a.py", "TFF101")]
        assert "not using the cache" in result.stderr and "symbolic link" in result.stderr
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == before


def test_symlinked_cache_folder_gets_nothing_written_into_it(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.py").write_text(BAD)
    before = _victims(tmp_path / "elsewhere", count=3)
    (project / ".tflint-fn-cache").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = run_cli(".", "--format", "json", cwd=project)
    assert places(result) == [("a.py", "TFF101")]
    assert result.stderr.count("not using the cache") == 1
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == before
    cleaned = run_cli("clean", cwd=project)
    assert cleaned.returncode == 0 and "link" in cleaned.stdout
    assert not os.path.lexists(project / ".tflint-fn-cache")
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == before


def test_a_folder_it_did_not_create_is_neither_used_nor_removed(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    foreign = tmp_path / ".tflint-fn-cache"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("precious")
    result = run_cli(".", "--format", "json", cwd=tmp_path)
    assert places(result) == [("a.py", "TFF101")] and "was not created by tflint-fn" in result.stderr
    assert [p.name for p in foreign.iterdir()] == ["mine.txt"]
    cleaned = run_cli("clean", cwd=tmp_path)
    assert cleaned.returncode == 2 and "not removing it" in cleaned.stderr
    assert "internal error" not in cleaned.stderr
    assert (foreign / "mine.txt").read_text() == "precious"


def test_clean_never_follows_links_inside_the_cache(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    run_cli(".", cwd=tmp_path)
    _victims(tmp_path / "elsewhere", count=2)
    (tmp_path / ".tflint-fn-cache" / "results" / "link").symlink_to(tmp_path / "elsewhere")
    assert run_cli("clean", cwd=tmp_path).returncode == 0
    assert not os.path.lexists(tmp_path / ".tflint-fn-cache")
    assert len(list((tmp_path / "elsewhere").iterdir())) == 4


def test_pruning_removes_only_its_own_entries(tmp_path):
    results = tmp_path / cache_module.CACHE_DIR_NAME / "results"
    cache = cache_module.ResultCache(tmp_path)
    for number in range(cache_module._KEEP + 5):
        cache.store(f"{number:064x}", [], [], 1)
    (results / "user-notes.json").write_text("precious")
    (results / "somebody-else.tmp").write_text("precious")
    cache.store("f" * 64, [], [], 1)
    names = sorted(p.name for p in results.iterdir())
    assert "user-notes.json" in names and "somebody-else.tmp" in names
    assert len([n for n in names if n.endswith(".json") and n != "user-notes.json"]) == cache_module._KEEP


# 3. Only regular files are read, and only up to a size.


def test_fifo_in_the_tree_does_not_hang(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    os.mkfifo(tmp_path / "pipe.py")
    # A hang would never end; the limit is only there to turn one into a failure.
    result = run_cli(".", "--format", "json", "--no-cache", cwd=tmp_path)
    by_path = {f["path"]: f for f in findings_of(result)}
    assert by_path["a.py"]["code"] == "TFF101"
    assert by_path["pipe.py"]["code"] == "TFF001" and "FIFO" in by_path["pipe.py"]["message"]


def test_device_named_on_the_command_line(tmp_path):
    result = run_cli("/dev/zero", "--format", "json", "--no-cache", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    [finding] = findings_of(result)
    assert finding["code"] == "TFF001" and "character device" in finding["message"]


def test_oversized_file_is_tff001_not_an_internal_error(tmp_path):
    from tflint_fn.sources.parsing import MAX_FILE_BYTES

    with open(tmp_path / "huge.py", "wb") as handle:
        handle.write(b"import tensorflow as tf\n")
        handle.truncate(MAX_FILE_BYTES + 10)  # sparse: costs no disk
    result = run_cli(".", "--format", "json", "--no-cache", cwd=tmp_path)
    [finding] = findings_of(result)
    assert finding["code"] == "TFF001" and "larger than" in finding["message"]


# 4. stdin is decoded exactly like a file.

STDIN_CASES = {
    "latin-1 cookie": "# -*- coding: latin-1 -*-\n".encode() + BAD.replace("print(x)", "print('caf\xe9', x)").encode("latin-1"),
    "utf-8 BOM": b"\xef\xbb\xbf" + BAD.encode(),
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe tensorflow",
    "invalid utf-8": BAD.encode() + b"\nname = '\xff\xfe'\n",
}


@pytest.mark.parametrize("case", sorted(STDIN_CASES))
def test_stdin_gives_the_same_result_as_the_file(tmp_path, case):
    data = STDIN_CASES[case]
    (tmp_path / "m.py").write_bytes(data)
    from_file = subprocess.run(
        [sys.executable, "-m", "tflint_fn", "m.py", "--format", "json", "--no-cache"],
        cwd=tmp_path, capture_output=True, timeout=120,
    )
    from_stdin = subprocess.run(
        [sys.executable, "-m", "tflint_fn", "--format", "json", "--stdin-filename", "m.py", "-"],
        cwd=tmp_path, input=data, capture_output=True, timeout=120,
    )
    assert from_stdin.returncode == from_file.returncode != 2, from_stdin.stderr
    assert json.loads(from_stdin.stdout)["findings"] == json.loads(from_file.stdout)["findings"]
    assert json.loads(from_file.stdout)["findings"], "every case here has a finding"


# 5. A pyproject.toml without [tool.tflint-fn] is not a configuration file.


def test_nearer_pyproject_without_the_table_does_not_hide_the_parent(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.tflint-fn]\nignore = ["TFF101"]\n')
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "pyproject.toml").write_text('[project]\nname = "pkg"\ndependencies = ["tflint-fn"]\n')
    (package / "a.py").write_text(BAD)
    for cwd, path in ((tmp_path, "pkg"), (package, "."), (package, "a.py")):
        result = run_cli(path, "--format", "json", "--no-cache", cwd=cwd)
        assert result.returncode == 0 and findings_of(result) == [], (cwd, path)
    settings = run_cli("--show-settings", ".", cwd=package).stdout
    assert f"config file: {tmp_path / 'pyproject.toml'}" in settings


# 6. Bad configuration: one line naming the file and the key, never "internal error".

BAD_CONFIGS = {
    "invalid utf-8": (b'[tool.tflint-fn]\nselect = ["\xff"]\n', "not valid UTF-8"),
    "tool is a string": (b'tool = "x"\n', "`tool` must be a table"),
    "table is a number": (b"[tool]\ntflint-fn = 3\n", "`tool.tflint-fn` must be a table"),
    "invalid exclude": (b'[tool.tflint-fn]\nexclude = ["!"]\n', "`exclude`: invalid pattern `!`"),
    "invalid per-file pattern": (b'[tool.tflint-fn.per-file-ignores]\n"!" = ["TFF101"]\n', "invalid pattern"),
    "deep": (b"# tflint-fn\nx = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
    "near miss": (b'[tool.tflint-fn]\nselct = ["TFF1"]\n', "unknown key `selct`; did you mean `select`?"),
    "wrong type": (b'[tool.tflint-fn]\nselect = "TFF1"\n', "`select` must be a list of strings, not a string"),
    "underscore table": (b'[tool.tflint_fn]\nselect = ["TFF1"]\n', "spelled [tool.tflint-fn]"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_configuration_is_one_clear_line(tmp_path, case):
    content, expected = BAD_CONFIGS[case]
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "pyproject.toml").write_bytes(content)
    for args in ((".",), ("--config", "pyproject.toml", ".")):
        result = run_cli(*args, cwd=tmp_path)
        if case in ("tool is a string", "underscore table") and args == (".",):
            # Mentions no [tool.tflint-fn] table: not a configuration file.
            assert result.returncode == 1, result.stderr
            continue
        assert result.returncode == 2, (args, result.stdout)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and str(tmp_path / "pyproject.toml") in lines[0], result.stderr
        assert expected in lines[0] and "internal error" not in lines[0]


def test_config_that_is_not_toml(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "settings.txt").write_text("this is { not toml\n")
    result = run_cli("--config", "settings.txt", ".", cwd=tmp_path)
    assert result.returncode == 2 and "settings.txt: not valid TOML" in result.stderr


# 7. No silent green runs.


def test_no_python_files_is_a_warning(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# hello\n")
    result = run_cli("docs", cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: No Python files found under docs" in result.stderr


def test_syntax_error_in_a_file_without_tensorflow(tmp_path):
    (tmp_path / "util.py").write_text("def broken(:\n    pass\n")
    (tmp_path / "fine.py").write_text("def fine():\n    return 1\n")
    result = run_cli(".", "--format", "json", "--no-cache", cwd=tmp_path)
    [finding] = findings_of(result)
    assert (finding["path"], finding["code"], finding["start"]["line"]) == ("util.py", "TFF001", 1)


def test_a_broken_module_imported_by_several_is_reported_once(tmp_path):
    """Seen on a tutorial repository: one TFF001 per module importing the broken one."""
    (tmp_path / "resnet.py").write_text("import tensorflow as tf\n\nx = f(1\uff0c 2)\n")  # a full-width comma
    for name in ("train_a", "train_b", "train_c"):
        (tmp_path / f"{name}.py").write_text("import tensorflow as tf\nimport resnet\n")
    result = run_cli(".", "--format", "json", "--no-cache", cwd=tmp_path)
    assert [(f["path"], f["code"], f["start"]["line"]) for f in findings_of(result)] == [("resnet.py", "TFF001", 3)]


@pytest.mark.parametrize("output_format", ["sarif", "github", "json-lines"])
def test_statistics_with_an_unsupported_format_is_a_usage_error(tmp_path, output_format):
    (tmp_path / "a.py").write_text(BAD)
    result = run_cli(".", "--statistics", "--format", output_format, cwd=tmp_path)
    assert result.returncode == 2 and "--statistics" in result.stderr and result.stdout == ""


# 8. The smaller ones.


def test_folder_removed_during_the_walk(tmp_path, monkeypatch):
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.py").write_text(BAD)
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "b.py").write_text(BAD)
    real_stat = os.stat

    def stat_(path, *args, **kwargs):
        if os.path.basename(os.fspath(path)) == "gone":
            raise FileNotFoundError(2, "No such file or directory", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_)
    findings = run(["."], resolve_settings(FileConfig()), tmp_path).findings
    assert [(f.path, f.code) for f in findings] == [("keep/a.py", "TFF101")]


def test_file_removed_after_discovery_is_skipped(tmp_path, monkeypatch):
    from tflint_fn import engine

    (tmp_path / "a.py").write_text(BAD)
    (tmp_path / "b.py").write_text(BAD)
    real_read = engine.read_source

    def read_source(path, *limit):
        if path.name == "b.py":
            path.unlink()
        return real_read(path, *limit)

    monkeypatch.setattr(engine, "read_source", read_source)
    result = run(["."], resolve_settings(FileConfig()), tmp_path)
    assert [(f.path, f.code) for f in result.findings] == [("a.py", "TFF101")] and result.files == 1


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    cache = cache_module.ResultCache(tmp_path)
    cache.store("a" * 64, [], [], 1)
    results = tmp_path / cache_module.CACHE_DIR_NAME / "results"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.store("b" * 64, [], [], 1)
    assert sorted(p.name for p in results.iterdir()) == ["a" * 64 + ".json"]


def test_a_full_disk_leaves_no_empty_marks(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module.os, "replace", full)
    cache_module.ResultCache(tmp_path).store("a" * 64, [], [], 1)
    directory = tmp_path / cache_module.CACHE_DIR_NAME
    assert sorted(p.name for p in directory.iterdir()) == []  # no half-made tag, no .gitignore
    monkeypatch.undo()
    cache = cache_module.ResultCache(tmp_path)  # the next run takes the empty folder over
    assert cache.refused is None
    cache.store("a" * 64, [], [], 1)
    assert (directory / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert cache.load("a" * 64) == ([], [], 1)


def test_sigint_in_the_cli_prints_no_traceback(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    code = (
        "import signal, sys, tflint_fn.engine as e\n"
        "def stop(*a, **k):\n    raise KeyboardInterrupt\n"
        "e.read_source = stop\n"
        "sys.argv = ['tflint-fn', '.']\n"
        "from tflint_fn.cli import main\nmain()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.strip() == "tflint-fn: interrupted"


def _undecodable_tree(tmp_path):
    folder = os.fsencode(tmp_path / "d")
    os.mkdir(folder)
    with open(os.path.join(folder, b"bad\xffname.py"), "w") as handle:
        handle.write(BAD)
    (tmp_path / "d" / "my file #1.py").write_text(BAD)


def test_json_has_no_lone_surrogates(tmp_path):
    _undecodable_tree(tmp_path)
    for output_format in ("json", "json-lines", "sarif"):
        result = subprocess.run(
            [sys.executable, "-m", "tflint_fn", "d", "--format", output_format, "--no-cache"],
            cwd=tmp_path, capture_output=True, timeout=120,
        )
        result.stdout.decode("utf-8")  # strict: would fail on a surrogate
        text = result.stdout.decode()
        assert "\\udc" not in text and "bad\\\\xffname.py" in text or "bad%FFname.py" in text


def test_sarif_uris_are_percent_encoded(tmp_path):
    _undecodable_tree(tmp_path)
    result = run_cli("d", "--format", "sarif", "--no-cache", cwd=tmp_path)
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(result.stdout)["runs"][0]["results"]
    )
    assert uris == ["d/bad%FFname.py", "d/my%20file%20%231.py"]


def test_stdin_filename_without_dash_is_a_usage_error(tmp_path):
    (tmp_path / "a.py").write_text(BAD)
    result = run_cli("--stdin-filename", "a.py", "a.py", cwd=tmp_path)
    assert result.returncode == 2 and "needs `-`" in result.stderr


def test_show_settings_with_a_missing_path(tmp_path):
    result = run_cli("--show-settings", "nowhere", cwd=tmp_path)
    assert result.returncode == 2 and "nowhere: no such file or directory" in result.stderr


# 20. The cache key covers the tool's own code, not only its version.


def test_cache_key_changes_with_the_code(monkeypatch):
    key = cache_module.cache_key(["same"])
    assert cache_module.cache_key(["same"]) == key
    monkeypatch.setattr(cache_module, "_CODE_DIGEST", "another build")
    assert cache_module.cache_key(["same"]) != key


def test_code_digest_covers_every_module(tmp_path, monkeypatch):
    package = tmp_path / "tflint_fn"
    for source in (REPO / "tflint_fn").rglob("*.py"):
        target = package / source.relative_to(REPO / "tflint_fn")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    monkeypatch.setattr(cache_module, "__file__", str(package / "cache.py"))
    monkeypatch.setattr(cache_module, "_CODE_DIGEST", None)
    copy = cache_module.code_digest()
    with open(package / "checks" / "side_effects.py", "a") as handle:
        handle.write("\n# a development edit\n")
    monkeypatch.setattr(cache_module, "_CODE_DIGEST", None)
    assert cache_module.code_digest() != copy

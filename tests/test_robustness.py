"""Bad inputs: each gives a TFF001 finding or a clear one-line error, never a
traceback, and the other files are still analysed."""

import json
import os

import pytest

from tests.conftest import run_cli

TRACED = "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)\n    return x\n"


def lint_dir(tmp_path, *args):
    (tmp_path / "good.py").write_text(TRACED)
    result = run_cli(".", "--format", "json", *args, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    # The healthy file is always analysed.
    assert ("good.py", "TFF101") in {(f["path"], f["code"]) for f in document["findings"]}
    return {f["path"]: f for f in document["findings"] if f["path"] != "good.py"}


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("syntax.py", b"import tensorflow as tf\ndef f(:\n", "syntax error"),
        ("py2.py", b"import tensorflow as tf\nprint 'hello'\n", "syntax error"),
        ("utf8.py", b"import tensorflow as tf\nx = '\xff\xfe'\n", "cannot decode"),
        ("nul.py", b"import tensorflow as tf\nx = 1\x00\n", "NUL byte"),
        ("cookie.py", b"# -*- coding: klingon -*-\nimport tensorflow\n", "cannot decode"),
        ("nested.py", b"import tensorflow as tf\nx = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "nested"),
    ],
)
def test_unparsable_files_are_tff001(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    others = lint_dir(tmp_path)
    assert others[name]["code"] == "TFF001"
    assert reason in others[name]["message"]
    assert others[name]["function"] is None


@pytest.mark.parametrize(
    "name, data",
    [
        ("empty.py", b""),
        ("latin1.py", "# -*- coding: latin-1 -*-\nimport tensorflow as tf\nNAME = 'café'\n".encode("latin-1")),
        ("bom_crlf.py", b"\xef\xbb\xbfimport tensorflow as tf\r\n\r\n@tf.function\r\ndef f(x):\r\n    print(x)\r\n"),
    ],
)
def test_odd_but_valid_files_are_analysed(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    others = lint_dir(tmp_path)
    if name == "bom_crlf.py":
        assert others[name]["code"] == "TFF101" and others[name]["start"] == {"line": 5, "column": 5}
    else:
        assert name not in others


def test_ten_megabyte_file(tmp_path):
    body = "import tensorflow as tf\nDATA = '" + "x" * (10 * 1024 * 1024) + "'\n\n"
    (tmp_path / "big.py").write_text(body + "@tf.function\ndef f(x):\n    print(x)\n")
    others = lint_dir(tmp_path)
    assert others["big.py"]["code"] == "TFF101"


def test_expression_too_large_for_python(tmp_path):
    chain = " + ".join(["x"] * 20000)
    (tmp_path / "deep.py").write_text(f"import tensorflow as tf\n\n@tf.function\ndef f(x):\n    return {chain}\n")
    others = lint_dir(tmp_path)
    assert others["deep.py"]["code"] == "TFF001"
    assert "too deeply nested" in others["deep.py"]["message"]


def test_expression_too_deep_for_the_walker_skips_only_that_function(tmp_path):
    # Compiles, but deeper than the walker's recursion allows.
    chain = " + ".join(["x"] * 1200)
    (tmp_path / "deep.py").write_text(f"import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return {chain}\n")
    lint_dir(tmp_path)


def test_symlink_loop(tmp_path):
    (tmp_path / "pkg").mkdir()
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")
    lint_dir(tmp_path)


def test_unreadable_file(tmp_path, monkeypatch):
    from pathlib import Path

    from tflint_fn.config import FileConfig, resolve_settings
    from tflint_fn.engine import run

    (tmp_path / "good.py").write_text(TRACED)
    (tmp_path / "secret.py").write_text(TRACED)
    import os

    original = os.open

    def open_(path, *args, **kwargs):
        if Path(path).name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    findings = run(["."], resolve_settings(FileConfig()), tmp_path).findings
    by_path = {f.path: f for f in findings}
    assert by_path["secret.py"].code == "TFF001"
    assert by_path["secret.py"].message == "cannot read: Permission denied"
    assert by_path["good.py"].code == "TFF101"


def test_non_python_file_named_explicitly(tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\n\nSome *markdown* here.\n")
    result = run_cli("notes.md", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0  # mentions no TensorFlow: never parsed
    (tmp_path / "model.md").write_text("We use tensorflow here: `tf.function`.\n")
    result = run_cli("model.md", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stdout)["findings"][0]["code"] == "TFF001"


def test_nonexistent_path_is_exit_2(tmp_path):
    result = run_cli("missing_dir/", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "tflint-fn: error: missing_dir/: no such file or directory"


def test_directory_named_like_a_subcommand(tmp_path):
    (tmp_path / "rule").mkdir()
    (tmp_path / "rule" / "a.py").write_text(TRACED)
    result = run_cli("./rule", cwd=tmp_path)
    assert result.returncode == 1 and "TFF101" in result.stdout


def test_no_python_warnings_about_user_code_on_stderr(tmp_path):
    (tmp_path / "w.py").write_text("import tensorflow as tf\nx = 1\nif x is not 1:\n    pass\ndef f(:\n")
    result = run_cli("w.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == ""

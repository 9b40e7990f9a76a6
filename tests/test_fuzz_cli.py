"""Property-based fuzzing of the command line: discovery, configuration, stdin, options.

Hypothesis builds a project (files with odd names and contents, nested
folders, symlinks, `.gitignore`, broken or random `[tool.tflint-fn]` tables)
and a random command line, then runs `tflint-fn` on it. Whatever the input,
the exit code is 0, 1 or 2, there is never a traceback or an "internal error",
machine-readable output parses, and no run hangs (a generous per-run limit).

Bounded for CI; `TFLINT_FN_FUZZ_EXAMPLES=3000` for a long run.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tflint_fn.checks import RULES
from tflint_fn.cli import check as check_command
from tflint_fn.cli import main

EXAMPLES = int(os.environ.get("TFLINT_FN_FUZZ_EXAMPLES", "60"))
HANG_SECONDS = 300  # per run: far above any real run on these small trees, even on a loaded machine
REPO = Path(__file__).resolve().parent.parent
REAL_FILES = sorted(REPO.glob("fixtures/*/**/*.py")) + sorted(REPO.glob("examples/**/*.py"))
REAL_TEXTS = [path.read_text(encoding="utf-8") for path in REAL_FILES[:40]]
FUZZ = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)

# --- the project ------------------------------------------------------------------------

NAME_PIECES = [
    "train", "model", "__init__", "setup", "conftest", "tools", "src", "pkg", "build", ".venv",
    "node_modules", "__pycache__", ".git", "tests", "a b", "ünï", "-dash", "x.py", "dir.py", "[x]", "*",
    "\udcff", "caf\udce9", ".tflint-fn-cache", "results", "~", "$HOME", "con", "nul",
]
name_part = st.one_of(
    st.sampled_from(NAME_PIECES),
    st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=10),
).filter(lambda n: n not in (".", "..") and len(os.fsencode(n)) < 200)
file_name = st.one_of(
    st.builds(lambda stem, ext: stem + ext, name_part, st.sampled_from([".py", ".py", ".py", ".pyi", ".ipynb", ""])),
    st.sampled_from(["pyproject.toml", ".gitignore", "setup.cfg", "__init__.py"]),
)

SNIPPETS = [
    "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)\n    return x\n",
    "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    print(x)  # noqa: tff101\n    return x\n",
    "import tensorflow as tf\n\n@tf.function\ndef step(x):\n    return x  # noqa: TFF9, bogus\n",
    "# tflint-fn: skip-file\nimport tensorflow as tf\n",
    "import tensorflow as tf\ndef f(:\n",
    "print 'python 2'\n",
    "x = 1\n",
    "",
    "import tensorflow as tf\nx = " + "(" * 300 + "1" + ")" * 300 + "\n",
    "import tensorflow as tf\n\nclass L(tf.keras.layers.Layer):\n    def call(self, x, training):\n        print(x)\n",
]


def _encode(text: str, how: str) -> bytes:
    if how == "utf-8-sig":
        return text.encode("utf-8-sig", "surrogatepass")
    if how == "latin-1-cookie":
        return b"# -*- coding: latin-1 -*-\n" + text.encode("latin-1", "replace")
    if how == "bad-cookie":
        return b"# -*- coding: no-such-codec -*-\n" + text.encode("utf-8", "surrogatepass")
    if how == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8", "surrogatepass")
    if how == "utf-16":
        return text.encode("utf-16")
    return text.encode("utf-8", "surrogatepass")


@st.composite
def python_bytes(draw) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=300))
    text = draw(st.sampled_from(SNIPPETS + REAL_TEXTS))
    if kind == 1 and text:
        # cut, splice or insert random text
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=20)) + text[at + draw(st.integers(0, 20)):]
    data = _encode(text, draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1-cookie", "bad-cookie", "crlf", "utf-16"])))
    if kind == 2:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


# Configuration values: the right types, the wrong types, and edge values.
SELECTORS = ["TFF1", "TFF101", "tff102", "ALL", "all", "print-in-graph", "TFF", "TFF9", "TFF002", "XYZ1", "", " ", "E501"]
toml_scalar = st.one_of(
    st.sampled_from(SELECTORS),
    st.text(max_size=12),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
toml_value = st.recursive(
    toml_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
CONFIG_KEYS = [
    "select", "ignore", "extend-select", "exclude", "extend-exclude", "graph-decorators", "per-file-ignores",
    "dynamic", "selct", "Select", "extend_select", "cache", "",
]
DYNAMIC_KEYS = ["timeout", "memory-limit-mb", "examples", "jobs", "total-timeout", "pass-env", "timout"]
EXCLUDES = ["*.py", "sub/", "**/x", "[", "[!", "\\", "!keep.py", "build", "a b", "ünï*", "*/", "**", ""]


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # out-of-range integers are a TOML error to report
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string (lone surrogates: a TOML error to report)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@st.composite
def pyproject_bytes(draw) -> bytes:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return draw(st.sampled_from([b'tool = "x"\n', b"[tool]\ntflint-fn = 3\n", b"[project]\nname = 'x'\n",
                                     b"\xff\xfe[tool.tflint-fn]\n", b"[tool.tflint-fn]\nselect = [\n",
                                     b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n", b""]))
    lines = ["[tool.tflint-fn]"]
    for key in draw(st.lists(st.sampled_from(CONFIG_KEYS), max_size=4, unique=True)):
        if key in ("select", "ignore", "extend-select"):
            value = draw(st.one_of(st.lists(st.sampled_from(SELECTORS), max_size=3), toml_value))
        elif key in ("exclude", "extend-exclude"):
            value = draw(st.one_of(st.lists(st.sampled_from(EXCLUDES), max_size=3), toml_value))
        elif key == "per-file-ignores":
            value = draw(st.one_of(
                st.dictionaries(st.sampled_from(EXCLUDES), st.lists(st.sampled_from(SELECTORS), max_size=2), max_size=2),
                toml_value,
            ))
        elif key == "dynamic":
            value = draw(st.one_of(st.dictionaries(st.sampled_from(DYNAMIC_KEYS), toml_scalar, max_size=3), toml_value))
        else:
            value = draw(toml_value)
        lines.append(f"{json.dumps(key)} = {_toml(value)}")
    text = "\n".join(lines) + "\n"
    if kind == 2:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    return text.encode("utf-8", "surrogatepass")


gitignore_bytes = st.lists(st.sampled_from(EXCLUDES + ["#", "/x.py", "*.pyi", "\udcff"]), max_size=5).map(
    lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
)


@st.composite
def projects(draw):
    """Entries (relative path, bytes | None for a folder | ("symlink", target))."""
    entries: list[tuple[str, object]] = []
    folders = [""]
    for _ in range(draw(st.integers(1, 8))):
        parent = draw(st.sampled_from(folders))
        kind = draw(st.integers(0, 9))
        if kind == 0 and len(folders) < 5:
            path = os.path.join(parent, draw(name_part))
            entries.append((path, None))
            folders.append(path)
            continue
        if kind == 1:
            # inside the project, or dangling (a link out of it would walk whatever it points to)
            target = draw(st.sampled_from([".", "missing", *[os.path.relpath(f or ".", parent or ".") for f in folders], "a.py"]))
            entries.append((os.path.join(parent, draw(name_part)), ("symlink", target)))
            continue
        name = draw(file_name)
        if name == "pyproject.toml":
            data = draw(pyproject_bytes())
        elif name == ".gitignore":
            data = draw(gitignore_bytes)
        else:
            data = draw(python_bytes())
        entries.append((os.path.join(parent, name), data))
    return entries


def build(root: Path, entries) -> list[str]:
    """Write the project; returns the relative paths that exist."""
    made = []
    for relative, content in entries:
        path = root / relative
        try:
            if content is None:
                path.mkdir(parents=True, exist_ok=True)
            elif isinstance(content, tuple):
                path.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(content[1], path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    continue
                path.write_bytes(content)
        except (OSError, UnicodeError):
            continue  # a name this file system refuses: not the linter's business
        made.append(relative)
    return made


# --- the command line ---------------------------------------------------------------------


def _options():
    """The `check` command's options, read from the command itself (new options are fuzzed too)."""
    flags, choices = [], {}
    for param in check_command.params:
        if not isinstance(param, click.Option) or param.name in ("dynamic", "watch"):
            continue  # --dynamic runs the project's code with TensorFlow: tests/test_dynamic*.py
        name = max(param.opts, key=len)
        if param.is_flag:
            flags.append(name)
        elif isinstance(param.type, click.Choice):
            choices[name] = list(param.type.choices)
    return flags, choices


FLAGS, CHOICES = _options()
VALID_SELECTORS = ["TFF1", "TFF2", "TFF101", "tff102", "ALL", "TFF002", *sorted(RULES), *[r.name for r in RULES.values()]]
selector_value = st.one_of(
    st.sampled_from(VALID_SELECTORS),
    st.lists(st.sampled_from(VALID_SELECTORS), min_size=1, max_size=3).map(",".join),
    st.sampled_from(VALID_SELECTORS),
    st.sampled_from(VALID_SELECTORS),
    st.sampled_from(SELECTORS),
    st.text(max_size=8),
)


def chance(draw, n: int) -> bool:
    """True about once in ``n`` draws (Hypothesis favours the ends of a range: use its middle)."""
    return draw(st.integers(0, 1000 * n)) in range(500 * n, 500 * n + 1000)


@st.composite
def command_lines(draw, made: list[str]):
    args: list[str] = []
    stdin = None
    # a path starting with `-` is an option: users write ./-name
    existing = [("./" + p if p.startswith("-") else p) for p in made if p] or ["."]
    if chance(draw, 5):
        args += ["-", "--stdin-filename", draw(st.sampled_from([*existing, "x.py", "sub/new.py", "", "-"]))]
        stdin = draw(python_bytes())
    elif chance(draw, 30):
        args.append("-")  # without --stdin-filename, or with other paths
        stdin = draw(st.binary(max_size=20))
        if draw(st.booleans()):
            args.append(".")
    else:
        odd = st.sampled_from(["missing.py", "missing/", "/dev/null", os.path.abspath("/nonexistent/x.py")])
        path = st.one_of(st.sampled_from([".", *existing]), odd) if chance(draw, 4) else st.sampled_from([".", *existing])
        args += draw(st.lists(path, max_size=3))
    for option, values in CHOICES.items():
        if chance(draw, 3):
            args += [option, draw(st.sampled_from(values))]
    for option in ("--select", "--ignore", "--extend-select"):
        for _ in range(draw(st.integers(0, 2)) // 2 * draw(st.integers(1, 2))):
            args += [option, draw(selector_value)]
    args += draw(st.lists(st.sampled_from(FLAGS), max_size=4, unique=True))
    if chance(draw, 10):
        args += ["--config", draw(st.sampled_from([*existing, "missing.toml", "pyproject.toml", "."]))]
    if chance(draw, 8):
        args += ["--output-file", draw(st.sampled_from(["out.txt", *existing]))]
    if chance(draw, 41):
        args += draw(st.sampled_from([["--jobs", "2"], ["--examples", "x.py"], ["--bogus"], ["rule", "TFF101"], ["clean"]]))
    if chance(draw, 16):
        args = draw(st.permutations(args))
    return args, stdin


# --- running it ---------------------------------------------------------------------------


class Hang(BaseException):
    pass


@contextmanager
def time_limit(seconds: int):
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def working_directory(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def run_in_process(root: Path, args: list[str], stdin: bytes | None) -> tuple[int, str, str]:
    """`tflint-fn ARGS` through the real entry point (`tflint_fn.cli.main`), in this process."""
    runner = CliRunner()
    code = None
    with working_directory(root), runner.isolation(input=stdin or b"") as (out, err, _):
        argv = sys.argv
        sys.argv = ["tflint-fn", *args]
        try:
            with time_limit(HANG_SECONDS):
                main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
        finally:
            sys.argv = argv
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return (0 if code is None else code), stdout, stderr


def check_outcome(args, code, stdout, stderr) -> None:
    shown = f"args={args!r}\nexit={code}\nstderr={stderr[-2000:]}\nstdout={stdout[-1000:]}"
    assert "Hang:" not in stderr, "hang: " + shown
    assert "internal error" not in stderr and "Traceback" not in stderr + stdout, shown
    assert code in (0, 1, 2), shown
    if code == 2:
        assert stderr.strip(), "exit 2 without a message: " + shown
    writes_elsewhere = {"--output-file", "--show-settings", "--help", "-h", "--version"} & set(args)
    # --diff prints a diff, --fix-only and --add-noqa print nothing, --fix on stdin prints the fixed source
    writes_elsewhere = writes_elsewhere or {"--diff", "--fix-only", "--add-noqa"} & set(args) or {"--fix", "-"} <= set(args)
    if code in (0, 1) and not writes_elsewhere and args[:1] not in (["rule"], ["clean"]):
        formats = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--format" and args[i + 1] in CHOICES["--format"]]
        output_format = formats[-1] if formats else "text"
        if output_format == "json" or (output_format in ("sarif", "gitlab") and "--statistics" not in args):
            json.loads(stdout)
        elif output_format == "json-lines" and "--statistics" not in args:
            for line in stdout.splitlines():
                json.loads(line)
        elif output_format == "junit" and "--statistics" not in args:
            ElementTree.fromstring(stdout)


@settings(FUZZ, max_examples=EXAMPLES)
@given(data=st.data())
def test_command_line_on_generated_projects(data):
    entries = data.draw(projects(), label="project")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        made = build(root, entries)
        args, stdin = data.draw(command_lines(made), label="command line")
        code, stdout, stderr = run_in_process(root, args, stdin)
    check_outcome(args, code, stdout, stderr)


@settings(FUZZ, max_examples=max(5, EXAMPLES // 10))
@given(data=st.data())
def test_real_process_on_generated_projects(data):
    """A few whole processes: real stdout/stderr encodings, real stdin, real exit."""
    entries = data.draw(projects(), label="project")
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        made = build(root, entries)
        args, stdin = data.draw(command_lines(made), label="command line")
        # A real argv cannot hold a NUL byte (the OS refuses it before tflint-fn starts).
        assume(all("\x00" not in arg for arg in args))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "MUTANT_UNDER_TEST")}
        env["PYTHONPATH"] = str(REPO)
        try:
            result = subprocess.run(
                [sys.executable, "-m", "tflint_fn", *args], cwd=root, input=stdin or b"",
                capture_output=True, env=env, timeout=HANG_SECONDS, check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"hang: args={args!r}")
    check_outcome(
        args, result.returncode, result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
    )


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(data=python_bytes(), name=st.sampled_from(["m.py", "pkg/m.py", "caf\u00e9.py"]))
def test_stdin_and_file_give_the_same_findings(data, name):
    """The same bytes on stdin (`- --stdin-filename NAME`) and in the file NAME: the same findings."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        common = ["--format", "json", "--no-cache", "--extend-select", "TFF002"]
        from_file = run_in_process(root, [name, *common], None)
        from_stdin = run_in_process(root, ["-", "--stdin-filename", name, *common], data)
    for args, (code, stdout, stderr) in ((["file"], from_file), (["stdin"], from_stdin)):
        check_outcome(args, code, stdout, stderr)

    def findings(stdout):
        return [(f["code"], f["path"], f["start"], f["message"]) for f in json.loads(stdout)["findings"]]

    assert from_file[0] == from_stdin[0]
    assert findings(from_file[1]) == findings(from_stdin[1]), (data[:200], from_file, from_stdin)


# --- what the fuzzer found, kept as plain regression tests ---------------------------------


def test_invalid_gitignore_pattern_is_skipped(tmp_path):
    (tmp_path / ".gitignore").write_bytes(b"\\\nskipped.py\n")
    (tmp_path / "skipped.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n")
    (tmp_path / "kept.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n")
    code, stdout, stderr = run_in_process(tmp_path, ["--no-cache", "--format", "json"], None)
    check_outcome(["--format", "json"], code, stdout, stderr)
    assert [f["path"] for f in json.loads(stdout)["findings"]] == ["kept.py"]


@pytest.mark.skipif(os.fsencode("\udcff") != b"\xff", reason="needs a file system encoding with surrogateescape")
def test_non_utf8_file_name_on_a_strict_utf8_stdout(tmp_path):
    (tmp_path / "caf\udce9.py").write_bytes(b"x = 1\x00\n")  # TFF001, reported under the undecodable name
    code, stdout, stderr = run_in_process(tmp_path, ["--no-cache"], None)  # CliRunner's stdout is strict UTF-8
    check_outcome([], code, stdout, stderr)
    assert code == 1 and "TFF001" in stdout


def test_unsearchable_folder_on_the_way_to_pyproject(tmp_path):
    probe = Path("/proc/1/fdinfo/pyproject.toml")
    try:
        probe.is_file()
        pytest.skip("no folder here refuses a stat() (needs /proc/1/fdinfo unreadable)")
    except PermissionError:
        pass
    (tmp_path / "a.py").write_text("x = 1\n")
    os.symlink("/proc/1", tmp_path / "link")
    code, stdout, stderr = run_in_process(tmp_path, ["--no-cache"], None)
    check_outcome([], code, stdout, stderr)

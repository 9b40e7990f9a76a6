"""``--dynamic`` isolation and limits (issue 10, items 12, 15-18).

What the worker's user code can do to the linter and the machine: forge the
protocol, leave processes behind, flood the output, read the environment,
write bytecode into the tree; and how the time limits behave. The modules
are under ``tests/data/dynamic/isolation/``; each test copies its folder to
a temporary directory, since the modules write files next to themselves.

No test here depends on a time limit that a loaded machine could miss: a
module that must time out hangs forever, and the modules that must finish
get the default limits (or a retry at twice a limit that only a hang reaches).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tflint_fn.config import ConfigError, parse_table
from tflint_fn.dynamic.runner import DynamicError, options_from

DATA = REPO / "tests" / "data" / "dynamic" / "isolation"
LINUX = sys.platform.startswith("linux")
needs_linux = pytest.mark.skipif(not LINUX, reason="reads /proc; the subreaper is Linux-only")


def _copy(name: str, tmp_path: Path, config: str = "") -> Path:
    folder = tmp_path / name
    shutil.copytree(DATA / name, folder)
    if config:
        (folder / "pyproject.toml").write_text(f"[tool.tflint-fn.dynamic]\n{config}", encoding="utf-8")
    return folder


MEASURE = """
import atexit, json, resource, sys
from tflint_fn.dynamic import runner
peaks = {}
real_run_jobs = runner.run_jobs
def measured(*args, **kwargs):
    peaks["before"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        return real_run_jobs(*args, **kwargs)
    finally:
        peaks["after"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
runner.run_jobs = measured
atexit.register(lambda: sys.stderr.write('\\nPEAK-RSS-KB=%s\\n' % json.dumps(peaks)))
atexit.register(lambda: sys.stderr.write('\\nPARENT-IMPORTED-TF=%s\\n' % ('tensorflow' in sys.modules)))
from tflint_fn.cli import main
sys.argv = ['tflint-fn', '--dynamic', '--format', 'json', *ARGS]
main()
"""


def dynamic_run(cwd: Path, *args: str, env: dict | None = None) -> tuple[dict, dict]:
    """``tflint-fn --dynamic --format json ARGS`` in a subprocess: (findings by module stem, RSS peaks in KiB)."""
    code = MEASURE.replace("ARGS", repr(list(args) or ["."]))
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=cwd, capture_output=True, text=True, timeout=1800,
                            env=environment)
    assert result.returncode in (0, 1), result.stderr
    assert "PARENT-IMPORTED-TF=False" in result.stderr
    peaks = json.loads(result.stderr.rsplit("PEAK-RSS-KB=", 1)[1].splitlines()[0])
    findings: dict[str, list[dict]] = {}
    for finding in json.loads(result.stdout)["findings"]:
        findings.setdefault(Path(finding["path"]).stem, []).append(finding["dynamic"])
    return findings, peaks


def _only(findings: dict, stem: str) -> dict:
    verdicts = findings[stem]
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


# ---------------------------------------------------------------- 12. limits, validated


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("timeout", math.inf, "a positive number of seconds"),
    ("timeout", math.nan, "a positive number of seconds"),
    ("timeout", -5, "a positive number of seconds"),
    ("timeout", 0, "a positive number of seconds"),
    ("total-timeout", 0.0, "a positive number of seconds"),
    ("total-timeout", math.inf, "a positive number of seconds"),
    ("memory-limit-mb", -1, "0 (no limit) or a positive number of megabytes"),
    ("memory-limit-mb", 1.5, "0 (no limit) or a positive number of megabytes"),
    ("memory-limit-mb", 2**64, "0 (no limit) or a positive number of megabytes"),
    ("jobs", 0, "a positive integer"),
    ("pass-env", "HOME", "a list of environment variable names"),
    ("pass-env", ["NOT A NAME"], "a list of environment variable names"),
    ("timeout", True, "a positive number of seconds"),
])
def test_bad_dynamic_limits_are_one_line_errors_naming_the_key(key, value, expected):
    with pytest.raises(ConfigError) as raised:
        parse_table({"dynamic": {key: value}}, Path("pyproject.toml"))
    message = str(raised.value)
    assert "\n" not in message
    assert f"`dynamic.{key}`" in message and expected in message and "pyproject.toml" in message


def test_good_dynamic_limits_are_accepted(tmp_path):
    config = parse_table({"dynamic": {"timeout": 30, "total-timeout": 600.5, "memory-limit-mb": 0,
                                      "pass-env": ["AWS_PROFILE", "MY_*"], "jobs": 2}}, None)
    options = options_from(config.dynamic, tmp_path, None, None, progress=False)
    assert (options.timeout, options.total_timeout, options.memory_mb) == (30.0, 600.5, 0)
    assert options.pass_env == ("AWS_PROFILE", "MY_*") and options.jobs == 2
    # Settings that did not come through a file are checked too.
    with pytest.raises(DynamicError, match="dynamic.timeout"):
        options_from({"timeout": math.inf}, tmp_path, None, None, progress=False)


def test_timeout_inf_in_pyproject_is_a_usage_error_not_a_traceback(tmp_path):
    (tmp_path / "m.py").write_text("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    print(x)\n    return x\n")
    (tmp_path / "pyproject.toml").write_text("[tool.tflint-fn.dynamic]\ntimeout = inf\n")
    result = subprocess.run([sys.executable, "-m", "tflint_fn", "--dynamic", "."], check=False, cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "`dynamic.timeout`" in lines[0] and "inf" in lines[0], result.stderr


# ---------------------------------------------------------------- 12. retry, whole-run limit


@pytest.mark.tensorflow
def test_a_timed_out_module_is_retried_once_with_twice_the_limit(tmp_path):
    # The first import hangs forever (so it always times out); the retry imports
    # normally, with 2 x 30 s for tracing one print.
    folder = _copy("retry", tmp_path, "timeout = 30\n")
    findings, _ = dynamic_run(folder)
    verdict = _only(findings, "slow_once")
    assert verdict["status"] == "confirmed", verdict
    assert "retried with a 60 s limit after the first attempt timed out after 30 s" in verdict["evidence"]
    assert "took" in verdict["evidence"]  # the retry's elapsed time


@pytest.mark.tensorflow
def test_a_module_that_always_hangs_reports_both_attempts(tmp_path):
    folder = _copy("hangs", tmp_path, "timeout = 3\n")
    (folder / "hang_2.py").unlink()
    (folder / "hang_3.py").unlink()
    findings, _ = dynamic_run(folder)
    verdict = _only(findings, "hang_1")
    assert verdict["status"] == "error", verdict
    assert "timed out after 3 s" in verdict["evidence"] and "again after 6 s on a retry" in verdict["evidence"]
    assert "elapsed" in verdict["evidence"]


@pytest.mark.tensorflow
def test_the_whole_run_limit_skips_the_modules_not_reached(tmp_path):
    folder = _copy("hangs", tmp_path, "timeout = 4\ntotal-timeout = 6\n")
    findings, _ = dynamic_run(folder)
    first = _only(findings, "hang_1")
    assert first["status"] in ("error", "skipped"), first
    assert "dynamic.total-timeout" in first["evidence"] or "timed out" in first["evidence"], first
    for stem in ("hang_2", "hang_3"):
        verdict = _only(findings, stem)
        assert verdict["status"] == "skipped", verdict
        assert "not run" in verdict["evidence"] and "`dynamic.total-timeout` = 6 s" in verdict["evidence"]


# ---------------------------------------------------------------- 15. forged protocol


@pytest.mark.tensorflow
@needs_linux
def test_user_code_cannot_forge_verdicts_or_shift_them(tmp_path):
    folder = _copy("forge", tmp_path)
    findings, _ = dynamic_run(folder)
    forger, good = _only(findings, "a_forge"), _only(findings, "b_good")
    assert "FORGED" not in forger["evidence"] and "FORGED" not in good["evidence"]
    # Each module gets its own, real verdict: its own print, once per trace.
    assert forger["status"] == "confirmed" and "`print(\"forger\", x)`" in forger["evidence"], forger
    assert good["status"] == "confirmed" and "`print(\"good\", x)`" in good["evidence"], good
    # A subprocess of the user's code inherits stdin, stdout and stderr only (and the
    # descriptor it lists /proc/self/fd with), not the protocol's.
    assert json.loads((folder / "subprocess_fds.json").read_text()) == [0, 1, 2, 3]


@pytest.mark.tensorflow
def test_a_module_s_threads_never_write_into_the_next_module_s_evidence(tmp_path):
    # a_chatter leaves a thread printing forever; without a fresh worker for the
    # next module, b_quiet's evidence said "printed 'CHATTER from a_chatter'".
    folder = _copy("threads", tmp_path)
    findings, _ = dynamic_run(folder)
    quiet = _only(findings, "b_quiet")
    assert quiet["status"] == "confirmed", quiet
    assert "CHATTER" not in quiet["evidence"] and "printed 'quiet" in quiet["evidence"], quiet


# ---------------------------------------------------------------- 16. no process survives


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _survivors(folder: Path) -> tuple[list[int], list[int]]:
    pids = [int(p.read_text()) for p in sorted(folder.glob("*.pid"))]
    return pids, [pid for pid in pids if _alive(pid)]


def _kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.mark.tensorflow
@needs_linux
def test_no_child_outlives_a_normal_run(tmp_path):
    folder = _copy("procs", tmp_path)
    try:
        findings, _ = dynamic_run(folder)
        assert _only(findings, "fork_at_import")["status"] == "confirmed", findings
        assert _only(findings, "setsid_child")["status"] == "confirmed", findings
        pids, alive = _survivors(folder)
        assert len(pids) == 3  # forked at import; new session; double-forked daemon
        assert alive == []
    finally:
        _kill_all(_survivors(folder)[1])


@pytest.mark.tensorflow
@needs_linux
def test_no_child_outlives_a_timed_out_module(tmp_path):
    folder = _copy("hang_child", tmp_path, "timeout = 3\n")
    try:
        findings, _ = dynamic_run(folder)
        assert _only(findings, "hang_with_child")["status"] == "error"
        pids, alive = _survivors(folder)
        assert len(pids) == 1 and alive == []
    finally:
        _kill_all(_survivors(folder)[1])


# ---------------------------------------------------------------- 17. bounded output


@pytest.mark.tensorflow
@needs_linux
def test_a_flood_of_output_keeps_the_linter_small(tmp_path):
    folder = _copy("output", tmp_path)
    findings, peaks = dynamic_run(folder)
    crash = _only(findings, "big_crash")
    assert crash["status"] == "error" and "exited with code 3" in crash["evidence"], crash
    assert "the last words of big_crash" in crash["evidence"] and len(crash["evidence"]) < 1000
    assert _only(findings, "big_ok")["status"] == "confirmed", findings["big_ok"]
    # 300 MB went through the linter's pipes; its peak RSS may grow by a few MB only.
    growth_mb = (peaks["after"] - peaks["before"]) / 1024
    assert growth_mb < 40, peaks


# ---------------------------------------------------------------- 18. environment and bytecode


@pytest.mark.tensorflow
def test_user_code_gets_an_allow_listed_environment_and_writes_no_bytecode(tmp_path):
    folder = _copy("env", tmp_path)
    secrets = {"CI_JOB_TOKEN": "hunter2", "AWS_SECRET_ACCESS_KEY": "s3cr3t", "TF_TOKEN_app_terraform_io": "t",
               "MY_SETTING": "kept when asked", "TF_FORCE_GPU_ALLOW_GROWTH": "true"}
    findings, _ = dynamic_run(folder, env=secrets)
    assert _only(findings, "env_probe")["status"] == "confirmed", findings
    seen = json.loads((folder / "environment.json").read_text())
    environ = seen["environ"]
    for name in ("CI_JOB_TOKEN", "AWS_SECRET_ACCESS_KEY", "TF_TOKEN_app_terraform_io", "MY_SETTING"):
        assert name not in environ, name
    assert environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"  # TensorFlow's own settings pass
    assert environ["PATH"] == os.environ["PATH"] and "HOME" in environ
    assert environ["PYTHONDONTWRITEBYTECODE"] == "1" and seen["dont_write_bytecode"] is True
    assert not list(folder.rglob("__pycache__"))

    (folder / "pyproject.toml").write_text('[tool.tflint-fn.dynamic]\npass-env = ["MY_SETTING", "AWS_*"]\n')
    dynamic_run(folder, env=secrets)
    environ = json.loads((folder / "environment.json").read_text())["environ"]
    assert environ["MY_SETTING"] == "kept when asked" and environ["AWS_SECRET_ACCESS_KEY"] == "s3cr3t"
    assert "CI_JOB_TOKEN" not in environ
    assert not list(folder.rglob("__pycache__"))


@pytest.mark.tensorflow
@needs_linux
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_no_child_outlives_an_interrupted_or_killed_linter(tmp_path, how):
    folder = _copy("hang_child", tmp_path, "timeout = 3000\n")
    code = "import sys\nfrom tflint_fn.cli import main\nsys.argv = ['tflint-fn', '--dynamic', '.']\nmain()\n"
    # SIGINT as a terminal gives it: a run started in the background (`nohup ... &`) inherits
    # it ignored, and Python then never raises KeyboardInterrupt.
    linter = subprocess.Popen([sys.executable, "-c", code], cwd=folder, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pid_file = folder / "hang_with_child.pid"
    try:
        # Waits for the module to start its child (a bound on waiting, not a verdict).
        for _ in range(6000):
            if pid_file.exists() and pid_file.read_text():
                break
            assert linter.poll() is None
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert _alive(child)
        linter.send_signal(how)
        linter.wait(timeout=300)
        # SIGKILL gives the linter no chance: the supervisor's parent-death signal does the work.
        for _ in range(600):
            if not _alive(child):
                break
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        if linter.poll() is None:
            linter.kill()
            linter.wait()
        _kill_all(_survivors(folder)[1])


# ---------------------------------------------------------------- without TensorFlow


SPAWNER = """
import os, subprocess, sys, time
session = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
grouped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print(session.pid, grouped.pid, flush=True)
sys.exit(int(sys.argv[1]))
"""


@needs_linux
@pytest.mark.parametrize("code", [0, 5])
def test_the_supervisor_reaps_every_process_and_ends_as_the_worker_did(tmp_path, code):
    from tflint_fn.dynamic.runner import SUPERVISOR

    script = tmp_path / "spawner.py"
    script.write_text(SPAWNER)
    result = subprocess.run([sys.executable, str(SUPERVISOR), str(os.getpid()), sys.executable, str(script), str(code)],
                            check=False, capture_output=True, text=True, timeout=300)
    pids = [int(p) for p in result.stdout.split()]
    try:
        assert result.returncode == code, result.stderr
        assert len(pids) == 2 and not any(_alive(pid) for pid in pids)
    finally:
        _kill_all(pids)


@needs_linux
def test_the_supervisor_passes_on_the_signal_that_killed_the_worker(tmp_path):
    from tflint_fn.dynamic.runner import SUPERVISOR

    result = subprocess.run([sys.executable, str(SUPERVISOR), str(os.getpid()), sys.executable, "-c",
                             "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"],
                            check=False, capture_output=True, timeout=300)
    assert result.returncode == -signal.SIGSEGV


def test_the_worker_environment_is_an_allow_list():
    from tflint_fn.dynamic.runner import worker_environment

    environ = {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "0",
               "GITHUB_TOKEN": "x", "TF_VAR_db_password": "x", "TF_TOKEN_app": "x", "CUDA_AUTH": "x",
               "KERAS_API_KEY": "x", "MY_APP_MODE": "fast", "MY_APP_SECRET": "y", "OTHER": "z", "PYTHONSTARTUP": "s"}
    env = worker_environment((), environ)
    assert {k for k in env if k in environ} == {"PATH", "HOME", "LC_ALL", "TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES"}
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["TF_CPP_MIN_LOG_LEVEL"] == "3"
    env = worker_environment(("MY_APP_*", "OTHER"), environ)
    assert {"MY_APP_MODE", "MY_APP_SECRET", "OTHER"} <= set(env) and "GITHUB_TOKEN" not in env


def test_the_output_tail_keeps_only_the_end():
    from tflint_fn.dynamic.runner import TAIL_BYTES, OutputTail

    read, write = os.pipe()
    tail = OutputTail(os.fdopen(read, "rb"))
    tail.mark()
    block = b"z" * 65535 + b"\n"
    for _ in range(64):  # 4 MiB
        os.write(write, block)
    os.write(write, b"the end\n")
    os.close(write)
    tail.close()
    text = tail.text()
    assert text.endswith("the end\n") and len(text) <= TAIL_BYTES
    assert len(tail.data) <= 2 * TAIL_BYTES and tail.total == 64 * 65536 + 8
    tail.mark()
    assert tail.text() == ""


def _reader_worker(monkeypatch, limit: int):
    """A Worker reading replies from a pipe we write to, with no process behind it."""
    from types import SimpleNamespace

    from tflint_fn.dynamic import runner

    monkeypatch.setattr(runner, "MAX_REPLY_BYTES", limit)
    read, write = os.pipe()
    worker = object.__new__(runner.Worker)
    worker.process = SimpleNamespace(stdout=os.fdopen(read, "rb"), poll=lambda: 0, wait=lambda timeout=None: 0,
                                     returncode=0)
    worker.stats = runner.Stats()
    worker.buffer = b""
    worker.output = SimpleNamespace(text=lambda: "")
    return worker, write


def test_replies_without_the_request_s_token_are_ignored(monkeypatch):
    worker, write = _reader_worker(monkeypatch, 1 << 20)
    forged = b'{"module": "m", "results": {"0": {"status": "confirmed", "evidence": "FORGED"}}}\n'
    real = b'{"module": "m", "results": {"0": {"status": "not-reproduced", "evidence": "real"}}}\n'
    os.write(write, forged + b"old-token " + forged + b"no newline, then " + b"t0ken " + real)
    os.close(write)
    reply = worker._read(300, "tracing `m`", "t0ken")
    assert reply["results"]["0"]["evidence"] == "real"
    assert worker.stats.ignored_protocol_bytes == 2 * len(forged) + len(b"old-token ")


def test_a_flood_on_the_protocol_stream_is_dropped_as_it_comes(monkeypatch):
    worker, write = _reader_worker(monkeypatch, 4096)
    real = b't0ken {"module": "m", "results": {}}\n'

    def flood():
        block = b"g" * 65536  # no newline at all: 8 MiB of one "line"
        for _ in range(128):
            os.write(write, block)
        os.write(write, real)
        os.close(write)

    writer = threading.Thread(target=flood)
    writer.start()
    reply = worker._read(300, "tracing `m`", "t0ken")
    writer.join()
    assert reply == {"module": "m", "results": {}}
    assert len(worker.buffer) < 4096 and worker.stats.ignored_protocol_bytes > 8_000_000

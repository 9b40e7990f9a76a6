"""The parent side of ``--dynamic``: batches modules into worker subprocesses.

This module never imports TensorFlow. It sends each worker one job per module
(the module's traced roots and the findings about them), enforces the time
limit per module (a module that times out is tried once more, with twice the
limit) and for the whole run, restarts a worker that crashed or hung, and
merges the verdicts back into the findings.

Isolation (what the user's code can do to the linter): each worker runs under
a ``supervisor`` process that kills whatever the worker leaves behind; the
worker gets an allow-listed environment and writes no bytecode; its output
(stderr, where its stdout goes too) is read as it comes and only a bounded
tail is kept; every reply must carry the random token of its job, so a line
the user's code writes to the protocol stream is ignored, never taken for
(or shifting) a verdict.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import secrets
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from tflint_fn.dynamic import DynamicError
from tflint_fn.findings import ChainLink, Finding, Position, Subject, TraceContext

__all__ = ["DynamicError", "Options", "Stats", "run_dynamic", "run_jobs", "tensorflow_available"]

DEFAULT_TIMEOUT = 60.0  # seconds per module (a timed-out module is retried once with twice this)
DEFAULT_TOTAL_TIMEOUT = 3600.0  # seconds for the whole run; modules not reached by then are skipped
# TensorFlow maps several GB of address space before it computes anything
# (about 2 GB to import, more with Keras and tf.data threads).
DEFAULT_MEMORY_MB = 8192
STARTUP_TIMEOUT = 300.0  # importing TensorFlow on a cold, busy machine
KILL_GRACE = 30.0  # for the supervisor to kill and reap everything below it, before it is killed itself
TAIL_BYTES = 64 * 1024  # of the worker's output, kept for crash reports; the rest is read and dropped
MAX_REPLY_BYTES = 64 * 1024 * 1024
# No release is published yet: the hint says how to get the extra today.
INSTALL_HINT = 'pip install -e ".[dynamic]" in a clone of tflint-fn (after the first release: pip install "tflint-fn[dynamic]")'
SUPERVISOR = Path(__file__).with_name("supervisor.py")

# The environment the user's code gets (item 18): what Python, TensorFlow, CUDA
# and the locale need, not the CI's tokens. `dynamic.pass-env` adds names.
ENV_NAMES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "LANG", "LANGUAGE", "TMPDIR", "TEMP", "TMP",
    "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "LD_LIBRARY_PATH", "XDG_CACHE_HOME",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
})
ENV_PREFIXES = ("LC_", "TF_", "CUDA_", "XLA_", "KERAS_", "NVIDIA_")
# Never passed by a prefix (only when named in pass-env): Terraform's TF_* and
# anything named like a credential.
ENV_REFUSED_PREFIXES = ("TF_VAR_", "TF_TOKEN_", "TF_CLI_")
ENV_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "_KEY", "APIKEY")


@dataclass
class Options:
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    examples: Path | None = None
    jobs: int = 1
    progress: bool = False
    python: str = sys.executable
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    pass_env: tuple[str, ...] = ()


@dataclass
class Stats:
    """What a run cost, for ``--dynamic`` users who wonder where the time goes."""

    modules: int = 0
    workers_started: int = 0
    import_seconds: list[float] = field(default_factory=list)
    module_seconds: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    retries: int = 0
    retired_workers: int = 0  # closed after a module left threads or processes running
    not_reached: int = 0
    ignored_protocol_bytes: int = 0  # written to the protocol stream by the user's code


def tensorflow_available(python: str = sys.executable) -> bool:
    """Is TensorFlow installed for the worker's interpreter? Never imports it here."""
    if python == sys.executable:
        return importlib.util.find_spec("tensorflow") is not None
    check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('tensorflow') is None)"
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def options_from(settings_dynamic: dict, root: Path, jobs: int | None, examples: str | None, progress: bool) -> Options:
    from tflint_fn.config import dynamic_problem

    for key, value in settings_dynamic.items():  # settings that did not come from a file are checked here
        problem = dynamic_problem(key, value)
        if problem is not None:
            raise DynamicError(problem)
    options = Options(progress=progress)
    options.timeout = float(settings_dynamic.get("timeout", DEFAULT_TIMEOUT))
    options.total_timeout = float(settings_dynamic.get("total-timeout", DEFAULT_TOTAL_TIMEOUT))
    options.memory_mb = int(settings_dynamic.get("memory-limit-mb", DEFAULT_MEMORY_MB))
    options.pass_env = tuple(settings_dynamic.get("pass-env", ()))
    configured = examples if examples is not None else settings_dynamic.get("examples")
    if configured:
        path = Path(configured) if examples is not None else root / configured
        if not path.is_file():
            raise DynamicError(f"examples module {configured}: no such file")
        options.examples = path.absolute()
    chosen = jobs if jobs is not None else settings_dynamic.get("jobs", 1)
    if not isinstance(chosen, int) or chosen < 1:
        raise DynamicError("--jobs must be a positive integer")
    options.jobs = chosen
    return options


# ---------------------------------------------------------------- jobs


def _root_of(path: Path, module: str) -> Path:
    """The folder to put on sys.path so that ``module`` imports from ``path``."""
    root = path.parent
    depth = len(module.split(".")) - (0 if path.stem == "__init__" else 1)
    for _ in range(depth):
        root = root.parent
    return root


_REDEFINED = ("in a definition that a later one of the same name replaces: --dynamic imports the module, "
              "which holds only the last")
_IN_NOTEBOOK = ("in a notebook: --dynamic imports modules from files, not notebooks "
                "(`jupyter nbconvert --to script` makes a module of it)")


def _subject_json(subject: Subject, cwd: Path) -> dict:
    return {
        "module": subject.module,
        "qualname": subject.qualname,
        "path": str((cwd / subject.path).absolute()),
        "line": subject.line,
        "kind": subject.kind,
        "class_qualname": subject.class_qualname,
        "autograph": subject.autograph,
        "input_signature": subject.input_signature,
        "parameter": subject.parameter,
    }


def build_jobs(findings: list[Finding], targets: list[Subject], cwd: Path, config_root: Path | None,
               examples: Path | None) -> list[dict]:
    jobs: dict[str, dict] = {}
    # An examples module names a module as it is imported, unless two of this run's
    # modules are imported by that name (two script folders with a `train.py`).
    keys_by_name: dict[str, set[str]] = {}
    for subject in [*targets, *(f.subject for f in findings if f.subject is not None)]:
        keys_by_name.setdefault(subject.module, set()).add(subject.key or subject.module)

    def job_for(subject: Subject) -> dict:
        # Keyed by file too: two projects checked together may both have a `model` module.
        key = f"{subject.module}\t{subject.path}"
        job = jobs.get(key)
        if job is None:
            path = (cwd / subject.path).absolute()
            roots = [_root_of(path, subject.module)]
            for extra in (config_root, config_root / "src" if config_root else None, cwd, cwd / "src"):
                if extra is not None and extra.is_dir() and extra.absolute() not in roots:
                    roots.append(extra.absolute())
            job = jobs[key] = {
                "key": key, "module": subject.module, "path": str(path), "roots": [str(r) for r in roots],
                "example_names": list(dict.fromkeys(
                    [subject.key or subject.module]
                    + ([subject.module] if len(keys_by_name.get(subject.module, ())) == 1 else [])
                )),
                "examples": str(examples) if examples else None, "subjects": [], "findings": [],
            }
        return job

    for subject in targets:
        job_for(subject)["subjects"].append(_subject_json(subject, cwd))
    for index, finding in enumerate(findings):
        if finding.subject is None:
            continue
        job_for(finding.subject)["findings"].append({
            "id": index, "code": finding.code, "path": str((cwd / finding.path).absolute()), "function": finding.function,
            "line": finding.start.line, "column": finding.start.column,
            "end_line": finding.end.line, "end_column": finding.end.column,
            "subject": _subject_json(finding.subject, cwd),
        })
    return [jobs[key] for key in sorted(jobs)]


# ---------------------------------------------------------------- workers


class WorkerFailure(Exception):
    pass


class TimedOut(WorkerFailure):
    def __init__(self, limit: float, elapsed: float, doing: str, tail: str) -> None:
        self.limit, self.elapsed, self.doing, self.tail = limit, elapsed, doing, tail
        super().__init__(f"{self.attempt()} while {doing}{tail}")

    def attempt(self) -> str:
        return f"timed out after {self.limit:g} s ({self.elapsed:.1f} s elapsed)"


def worker_environment(pass_env: tuple[str, ...] = (), environ=None) -> dict[str, str]:
    """The allow-listed environment of a worker: see ENV_NAMES; ``pass_env`` names (or ``PREFIX*``) are added."""
    environ = os.environ if environ is None else environ

    def asked(name: str) -> bool:
        return any(name == p or (p.endswith("*") and name.startswith(p[:-1])) for p in pass_env)

    def allowed(name: str) -> bool:
        if name in ENV_NAMES or asked(name):
            return True
        return (name.startswith(ENV_PREFIXES) and not name.startswith(ENV_REFUSED_PREFIXES)
                and not any(word in name.upper() for word in ENV_SECRET_WORDS))

    env = {name: value for name, value in environ.items() if allowed(name)}
    env["AUTOGRAPH_STRICT_CONVERSION"] = "1"  # a silent "could not transform" becomes an error
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the user's tree
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), package_parent) if p)
    return env


class OutputTail:
    """Reads a pipe as it comes (a thread), keeping only its last ``TAIL_BYTES``."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.data = bytearray()
        self.total = 0
        self.marked = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        descriptor = self.stream.fileno()
        while True:
            try:
                chunk = os.read(descriptor, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk
                self.total += len(chunk)
                if len(self.data) > 2 * TAIL_BYTES:
                    del self.data[:-TAIL_BYTES]

    def mark(self) -> None:
        """Later, ``text`` shows only what came after this."""
        with self.lock:
            self.marked = self.total

    def text(self) -> str:
        with self.lock:
            since = min(self.total - self.marked, len(self.data), TAIL_BYTES)
            data = bytes(self.data[len(self.data) - since:])
        return data.decode("utf-8", "replace")

    def close(self) -> None:
        self.thread.join(5)  # EOF comes when the supervisor and all below it are gone
        try:
            self.stream.close()
        except OSError:
            pass


class Worker:
    """One subprocess (under its supervisor); TensorFlow is imported once and serves many modules."""

    def __init__(self, options: Options, cwd: Path, stats: Stats, startup_limit: float = STARTUP_TIMEOUT) -> None:
        self.stats = stats
        command = [options.python, "-m", "tflint_fn.dynamic.worker", str(options.memory_mb)]
        self.process = subprocess.Popen(
            [options.python, str(SUPERVISOR), str(os.getpid()), *command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=cwd, env=worker_environment(options.pass_env), start_new_session=True,
        )
        self.output = OutputTail(self.process.stderr)
        self.buffer = b""
        stats.workers_started += 1
        token = secrets.token_hex(16)
        try:
            self._send({"token": token}, "starting")
            hello = self._read(startup_limit, "starting (importing TensorFlow)", token)
        except WorkerFailure:
            self.kill()
            self.close()
            raise
        stats.import_seconds.append(float(hello.get("import_seconds", 0.0)))

    def _send(self, message: dict, doing: str) -> None:
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except OSError:
            raise WorkerFailure(self._death(doing)) from None

    def request(self, job: dict, timeout: float) -> dict:
        self.output.mark()
        token = secrets.token_hex(16)
        doing = f"tracing `{job['module']}`"
        self._send({**job, "token": token}, "receiving the job")
        reply = self._read(timeout, doing, token)
        if reply.get("module") != job["module"]:
            raise WorkerFailure(f"the worker answered for `{reply.get('module')}` while {doing}")
        return reply

    def _read(self, timeout: float, doing: str, token: str) -> dict:
        """The line that carries ``token``; other lines were written by the user's code: ignored."""
        started = time.monotonic()
        deadline = started + timeout
        marker = token.encode() + b" "
        stream = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while True:
                while b"\n" in self.buffer:
                    line, self.buffer = self.buffer.split(b"\n", 1)
                    at = line.find(marker)
                    if at < 0:
                        self.stats.ignored_protocol_bytes += len(line) + 1
                        continue
                    try:
                        return json.loads(line[at + len(marker):])
                    except ValueError:
                        raise WorkerFailure(f"the worker's reply was garbled while {doing} (the module's code "
                                            "wrote to the worker's protocol stream at the same time)") from None
                if len(self.buffer) > MAX_REPLY_BYTES:
                    if marker in self.buffer:
                        raise WorkerFailure(f"the worker's reply was larger than {MAX_REPLY_BYTES >> 20} MB "
                                            f"while {doing}")
                    self.stats.ignored_protocol_bytes += len(self.buffer) - len(marker)
                    self.buffer = self.buffer[-len(marker):]
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    elapsed = time.monotonic() - started
                    raise TimedOut(timeout, elapsed, doing, self._tail())
                if not selector.select(left):
                    continue
                chunk = os.read(stream, 65536)
                if not chunk:
                    raise WorkerFailure(self._death(doing))
                self.buffer += chunk

    def _death(self, doing: str) -> str:
        try:
            code = self.process.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        if code is not None and code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        return f"the worker process {how} while {doing}{self._tail()}"

    def _tail(self) -> str:
        lines = [line for line in self.output.text().splitlines() if line.strip() and not _tf_noise(line)]
        shown = [line if len(line) <= 100 else line[:100] + "…" for line in lines[-3:]]
        return f"; last output: {' | '.join(shown)}" if shown else ""

    def kill(self) -> None:
        """Stop the worker and every process below it (the supervisor does it), then the supervisor."""
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGTERM)
                self.process.wait(timeout=KILL_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # the worker ends; the supervisor kills what it left
                self.process.wait(timeout=KILL_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.output.close()


def _tf_noise(line: str) -> bool:
    """TensorFlow's own start-up chatter on stderr, useless as crash evidence."""
    return any(word in line for word in ("cuda", "oneDNN", "absl::InitializeLog", "TF_ENABLE_ONEDNN", "computation_placer"))


def run_jobs(jobs: list[dict], options: Options, cwd: Path, stats: Stats) -> dict[str, dict]:
    """Every job's result (or an ``error``/``skipped`` for each of its findings), by module."""
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    results: dict[str, dict] = {}
    lock = threading.Lock()
    done = [0]
    stats.modules = len(jobs)
    started = time.perf_counter()
    run_deadline = time.monotonic() + options.total_timeout

    show_progress = options.progress and len(jobs) > 3
    cannot_start: list[str] = []
    startup_retried: list[bool] = []
    live: list[Worker] = []

    def run_left() -> float:
        return run_deadline - time.monotonic()

    def progress() -> None:
        if show_progress:
            sys.stderr.write(f"\rtflint-fn --dynamic: {done[0]}/{len(jobs)} modules traced")
            sys.stderr.flush()

    def attempt(job: dict, worker: Worker | None) -> tuple[dict, Worker | None]:
        """One module: tried, and tried again with twice the limit if it timed out."""
        limit = options.timeout
        first: TimedOut | None = None
        while True:
            if run_left() <= 0:
                return _out_of_time(job, options, first), worker
            if worker is None:
                if cannot_start:
                    return _failed(job, cannot_start[0]), None
                startup = min(STARTUP_TIMEOUT, run_left())
                try:
                    worker = Worker(options, cwd, stats, startup)
                except TimedOut as timed_out:
                    if startup < STARTUP_TIMEOUT:
                        return _out_of_time(job, options, first, timed_out), None
                    with lock:
                        retry_start = not startup_retried
                        startup_retried.append(True)
                    if retry_start:  # a loaded machine: once more before giving up on every module
                        continue
                    cannot_start.append(str(timed_out))
                    return _failed(job, str(timed_out)), None
                except WorkerFailure as failure:
                    # TensorFlow itself does not import (too little memory, a broken
                    # install): every module would fail the same way.
                    cannot_start.append(str(failure))
                    return _failed(job, str(failure)), None
                except OSError as error:
                    return _failed(job, f"cannot start the worker: {error}"), None
                live.append(worker)
            allowed = min(limit, max(run_left(), 0.001))
            try:
                result = worker.request(job, allowed)
            except TimedOut as timed_out:
                worker.kill()
                worker.close()
                if allowed < limit:  # stopped by the whole run's limit, not its own
                    return _out_of_time(job, options, first, timed_out), None
                if first is None:  # a loaded machine, or a real hang: once more, with twice the limit
                    first, limit = timed_out, 2 * options.timeout
                    with lock:
                        stats.retries += 1
                    worker = None
                    continue
                return _failed(job, f"{first.attempt()}, and again after {limit:g} s on a retry "
                                    f"({timed_out.elapsed:.1f} s elapsed) while {timed_out.doing}"
                                    f"{timed_out.tail}"), None
            except WorkerFailure as failure:
                worker.kill()
                worker.close()
                return _failed(job, str(failure)), None  # the next module gets a fresh worker
            if first is not None:
                note = (f"; retried with a {limit:g} s limit after the first attempt timed out after "
                        f"{first.limit:g} s, and took {float(result.get('seconds', 0.0)):.1f} s")
                for verdict in result.get("results", {}).values():
                    verdict["evidence"] = f"{verdict['evidence']}{note}"
            if result.get("left_behind"):
                # Threads or processes still running would write into the next
                # module's output: it gets a fresh worker, and they are killed.
                with lock:
                    stats.retired_workers += 1
                worker.close()
                worker = None
            return result, worker

    def serve() -> None:
        worker = None
        try:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    break
                result, worker = attempt(job, worker)
                with lock:
                    results[job["key"]] = result
                    stats.module_seconds[job["key"]] = float(result.get("seconds", 0.0))
                    stats.not_reached += bool(result.get("not_reached"))
                    done[0] += 1
                    progress()
        finally:
            if worker is not None:
                worker.close()

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(min(options.jobs, max(1, len(jobs))))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        # Interrupted (Ctrl-C): the workers run in their own sessions, so stop them here.
        for worker in live:
            worker.kill()
        raise
    stats.wall_seconds = time.perf_counter() - started
    if show_progress:
        sys.stderr.write("\n")
    return results


def _failed(job: dict, why: str, status: str = "error") -> dict:
    return {
        "module": job["module"],
        "results": {str(f["id"]): {"status": status, "evidence": why} for f in job["findings"]},
        "new": [],
        "failure": why,
    }


def _out_of_time(job: dict, options: Options, first: TimedOut | None, cut: TimedOut | None = None) -> dict:
    """``skipped``: the whole run's limit was reached before (or while) this module was traced."""
    limit = f"the whole run's limit (`dynamic.total-timeout` = {options.total_timeout:g} s) was reached"
    if cut is None and first is None:
        result = _failed(job, f"not run: {limit} before this module", "skipped")
        result["not_reached"] = True
        return result
    why = f"stopped: {limit} while tracing `{job['module']}`"
    if cut is not None:
        why = f"{why} ({cut.elapsed:.1f} s into it)"
    if first is not None:
        why = f"{first.attempt()}, and the retry was {why}"
    return _failed(job, why, "skipped")


# ---------------------------------------------------------------- merging


def run_dynamic(result, cwd: Path, options: Options, config_root: Path | None, enabled: frozenset[str],
                stats: Stats | None = None, observed: dict | None = None):
    """Trace every root of ``result`` and attach a verdict to each finding.

    ``observed`` (a dict) receives, per confirmed TFF401/TFF405 finding (keyed by
    ``observed_key``), the input signature its calls showed, for the fix proposal.
    """
    from tflint_fn.registry import FAILS_TO_TRACE

    stats = stats or Stats()
    jobs = build_jobs(result.findings, result.targets, cwd, config_root, options.examples)
    outcomes = run_jobs(jobs, options, cwd, stats)
    merged = []
    for index, finding in enumerate(result.findings):
        verdict = None
        if finding.subject is not None:
            key = f"{finding.subject.module}\t{finding.subject.path}"
            verdict = outcomes.get(key, {}).get("results", {}).get(str(index))
        if observed is not None and verdict is not None and ("signature" in verdict or "signature_problem" in verdict):
            observed[observed_key(finding)] = (verdict.get("signature"), verdict.get("signature_problem", ""))
        if verdict is None and finding.cell is not None:
            verdict = {"status": "skipped", "evidence": _IN_NOTEBOOK}
        if verdict is None and finding.subject is None and finding.context is not None:
            verdict = {"status": "skipped", "evidence": _REDEFINED}
        if verdict is None:
            verdict = (
                {"status": "skipped", "evidence": "not about traced code"} if finding.subject is None
                else {"status": "skipped", "evidence": "no result from the worker"}
            )
        merged.append(replace(finding, dynamic=_with_hint(finding, verdict)))
    if FAILS_TO_TRACE.code in enabled:
        for outcome in outcomes.values():
            for new in outcome.get("new", []):
                finding = _fails_to_trace(new, cwd, FAILS_TO_TRACE)
                if _suppressed(finding, result.sources.get(finding.path)):
                    result.suppressed.append(finding)
                else:
                    merged.append(finding)
    merged.sort(key=lambda f: f.sort_key)
    result.findings = merged
    return result


def observed_key(finding: Finding) -> tuple:
    """A call-site finding, as every lint round of ``--fix`` reports it (lines move when imports are added)."""
    subject = finding.subject
    return (finding.path, finding.code, subject.qualname if subject else None, subject.parameter if subject else None)


def _suppressed(finding: Finding, source: str | None) -> bool:
    """``# noqa: TFF900`` on the line TensorFlow raised at."""
    from tflint_fn.checks.suppressions import is_suppressed, line_suppressions

    if source is None:
        return False
    return is_suppressed(finding.code, finding.name, (finding.start.line,), line_suppressions(source))


def _with_hint(finding: Finding, verdict: dict) -> dict:
    from tflint_fn.registry import RULES

    rule = RULES.get(finding.code)
    hint = finding.fix.message if finding.fix is not None else (rule.summary if rule else "")
    return {"status": verdict["status"], "evidence": verdict["evidence"], "hint": hint, "doc": f"rules/{finding.code}.md"}


def _display(path: str, cwd: Path) -> str:
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


def _fails_to_trace(new: dict, cwd: Path, rule) -> Finding:
    try:
        text = Path(new["path"]).read_text(encoding="utf-8").splitlines()[new["line"] - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        text = ""
    start = len(text) - len(text.lstrip()) + 1
    end = max(start + 1, len(text.rstrip()) + 1)
    path = _display(new["path"], cwd)
    kind = new["kind"] if new["path"] == new["root_path"] else "called-from"
    return Finding(
        code=rule.code, name=rule.name, severity=rule.severity,
        message=new["message"],
        path=path, start=Position(new["line"], start), end=Position(new["line"], end),
        function=new["qualname"],
        context=TraceContext(kind, (ChainLink(new["qualname"], _display(new["root_path"], cwd), new["root_line"]),)),
        fix=None,
        dynamic={"status": "confirmed", "evidence": new["evidence"],
                 "hint": "Run the function eagerly and under tf.function to see what tracing changes; "
                         "see the rule page for the usual causes",
                 "doc": f"rules/{rule.code}.md"},
    )

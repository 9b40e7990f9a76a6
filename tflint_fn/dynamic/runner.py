"""The parent side of ``--dynamic``: batches modules into worker subprocesses.

This module never imports TensorFlow. It sends each worker one job per module
(the module's traced roots and the findings about them), enforces the time
limit per module, restarts a worker that crashed or hung, and merges the
verdicts back into the findings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from tflint_fn.dynamic import DynamicError
from tflint_fn.findings import ChainLink, Finding, Position, Subject, TraceContext

__all__ = ["DynamicError", "Options", "Stats", "run_dynamic", "run_jobs", "tensorflow_available"]

DEFAULT_TIMEOUT = 60.0  # seconds per module
# TensorFlow maps several GB of address space before it computes anything
# (about 2 GB to import, more with Keras and tf.data threads).
DEFAULT_MEMORY_MB = 8192
STARTUP_TIMEOUT = 300.0  # importing TensorFlow on a cold, busy machine
INSTALL_HINT = 'pip install "tflint-fn[dynamic]"'


@dataclass
class Options:
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    examples: Path | None = None
    jobs: int = 1
    progress: bool = False
    python: str = sys.executable


@dataclass
class Stats:
    """What a run cost, for ``--dynamic`` users who wonder where the time goes."""

    modules: int = 0
    workers_started: int = 0
    import_seconds: list[float] = field(default_factory=list)
    module_seconds: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0


def tensorflow_available(python: str = sys.executable) -> bool:
    """Is TensorFlow installed for the worker's interpreter? Never imports it here."""
    if python == sys.executable:
        return importlib.util.find_spec("tensorflow") is not None
    check = "import importlib.util, sys; sys.exit(importlib.util.find_spec('tensorflow') is None)"
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def options_from(settings_dynamic: dict, root: Path, jobs: int | None, examples: str | None, progress: bool) -> Options:
    options = Options(progress=progress)
    options.timeout = float(settings_dynamic.get("timeout", DEFAULT_TIMEOUT))
    options.memory_mb = int(settings_dynamic.get("memory-limit-mb", DEFAULT_MEMORY_MB))
    if options.timeout <= 0:
        raise DynamicError("`dynamic.timeout` must be a positive number of seconds")
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


class Worker:
    """One subprocess; TensorFlow is imported once and serves many modules."""

    def __init__(self, options: Options, cwd: Path, stats: Stats) -> None:
        env = dict(os.environ)
        env["AUTOGRAPH_STRICT_CONVERSION"] = "1"  # a silent "could not transform" becomes an error
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PYTHONUNBUFFERED"] = "1"
        package_parent = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), package_parent) if p)
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [options.python, "-m", "tflint_fn.dynamic.worker", str(options.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            cwd=cwd, env=env, start_new_session=True,
        )
        self.buffer = b""
        stats.workers_started += 1
        hello = self._read(STARTUP_TIMEOUT, "starting (importing TensorFlow)")
        stats.import_seconds.append(float(hello.get("import_seconds", 0.0)))

    def request(self, job: dict, timeout: float) -> dict:
        self.log_start = self.log.seek(0, os.SEEK_END)
        try:
            self.process.stdin.write((json.dumps(job) + "\n").encode())
            self.process.stdin.flush()
        except OSError:
            raise WorkerFailure(self._death("receiving the job")) from None
        return self._read(timeout, f"tracing `{job['module']}`")

    def _read(self, timeout: float, doing: str) -> dict:
        deadline = time.monotonic() + timeout
        stream = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise WorkerFailure(f"timed out after {timeout:g} s while {doing}{self._tail()}")
                if not selector.select(left):
                    continue
                chunk = os.read(stream, 65536)
                if not chunk:
                    raise WorkerFailure(self._death(doing))
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _death(self, doing: str) -> str:
        try:
            code = self.process.wait(timeout=10)
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
        try:
            self.log.seek(getattr(self, "log_start", 0))
            text = self.log.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if line.strip() and not _tf_noise(line)]
        return f"; last output: {' | '.join(lines[-3:])[:300]}" if lines else ""

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.log.close()


def _tf_noise(line: str) -> bool:
    """TensorFlow's own start-up chatter on stderr, useless as crash evidence."""
    return any(word in line for word in ("cuda", "oneDNN", "absl::InitializeLog", "TF_ENABLE_ONEDNN", "computation_placer"))


def run_jobs(jobs: list[dict], options: Options, cwd: Path, stats: Stats) -> dict[str, dict]:
    """Every job's result (or an ``error`` for each of its findings), by module."""
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    results: dict[str, dict] = {}
    lock = threading.Lock()
    done = [0]
    stats.modules = len(jobs)

    show_progress = options.progress and len(jobs) > 3
    cannot_start: list[str] = []
    live: list[Worker] = []

    def progress() -> None:
        if show_progress:
            sys.stderr.write(f"\rtflint-fn --dynamic: {done[0]}/{len(jobs)} modules traced")
            sys.stderr.flush()

    def serve() -> None:
        worker = None
        while True:
            try:
                job = pending.get_nowait()
            except queue.Empty:
                break
            try:
                if worker is None:
                    if cannot_start:
                        raise WorkerFailure(cannot_start[0])
                    try:
                        worker = Worker(options, cwd, stats)
                        live.append(worker)
                    except WorkerFailure as failure:
                        # TensorFlow itself does not import (too little memory, a broken
                        # install): every module would fail the same way.
                        cannot_start.append(str(failure))
                        raise
                result = worker.request(job, options.timeout)
            except WorkerFailure as failure:
                result = _failed(job, str(failure))
                if worker is not None:
                    worker.kill()
                    worker.close()
                worker = None  # the next module gets a fresh worker
            except OSError as error:
                result = _failed(job, f"cannot start the worker: {error}")
            with lock:
                results[job["key"]] = result
                stats.module_seconds[job["key"]] = float(result.get("seconds", 0.0))
                done[0] += 1
                progress()
        if worker is not None:
            worker.close()

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(min(options.jobs, max(1, len(jobs))))]
    started = time.perf_counter()
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


def _failed(job: dict, why: str) -> dict:
    return {
        "module": job["module"],
        "results": {str(f["id"]): {"status": "error", "evidence": why} for f in job["findings"]},
        "new": [],
        "failure": why,
    }


# ---------------------------------------------------------------- merging


def run_dynamic(result, cwd: Path, options: Options, config_root: Path | None, enabled: frozenset[str],
                stats: Stats | None = None):
    """Trace every root of ``result`` and attach a verdict to each finding."""
    from tflint_fn.checks import FAILS_TO_TRACE

    stats = stats or Stats()
    jobs = build_jobs(result.findings, result.targets, cwd, config_root, options.examples)
    outcomes = run_jobs(jobs, options, cwd, stats)
    merged = []
    for index, finding in enumerate(result.findings):
        verdict = None
        if finding.subject is not None:
            key = f"{finding.subject.module}\t{finding.subject.path}"
            verdict = outcomes.get(key, {}).get("results", {}).get(str(index))
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


def _suppressed(finding: Finding, source: str | None) -> bool:
    """``# noqa: TFF900`` on the line TensorFlow raised at."""
    from tflint_fn.suppressions import is_suppressed, line_suppressions

    if source is None:
        return False
    return is_suppressed(finding.code, finding.name, (finding.start.line,), line_suppressions(source))


def _with_hint(finding: Finding, verdict: dict) -> dict:
    from tflint_fn.checks import RULES

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

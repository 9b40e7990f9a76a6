"""Benchmark tflint-fn on real TensorFlow code, side by side with LibCST parsing.

    python bench/bench.py [--runs 3] [--cache DIR] [--packages NAME==VERSION ...]

Downloads pinned packages from PyPI (``pip download --no-deps``) into a
cache outside the repository, unpacks their ``.py`` files, then times, in the
same run and alternating so that machine noise hits both alike:

* ``tflint-fn``: the whole command, start-up included, in a fresh process;
* ``parse-only``: ``libcst.parse_module`` of the same files in one process
  (also a fresh process, start-up included).

It prints the median wall time of each, lines per second, peak memory, and the
ratio tflint-fn / parse-only. Ratios, not absolute times, are what compare
across machines.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

DEFAULT_PACKAGES = ("tf-models-official==2.18.0", "tf-agents==0.19.0")
PARSE_ONLY = """
import sys
from pathlib import Path
import libcst
files = [line for line in Path(sys.argv[1]).read_text().splitlines() if line]
for name in files:
    try:
        libcst.parse_module(Path(name).read_text(encoding="utf-8"))
    except Exception:
        pass
"""


def fetch(package: str, cache: Path) -> Path:
    name = package.split("==")[0].replace("-", "_")
    target = cache / package.replace("==", "-")
    if target.is_dir():
        return target
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(downloads), package],
        check=True,
    )
    version = package.split("==")[1] if "==" in package else ""
    wheels = [w for w in downloads.glob("*.whl") if w.name.lower().startswith(f"{name.lower()}-{version}")]
    if not wheels:
        raise SystemExit(f"bench: no wheel for {package} in {downloads}")
    staging = target.with_suffix(".tmp")
    with zipfile.ZipFile(wheels[0]) as archive:
        for member in archive.namelist():
            if member.endswith(".py"):
                archive.extract(member, staging)
    staging.rename(target)
    return target


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "tflint-fn-bench")
    parser.add_argument("--packages", nargs="+", default=list(DEFAULT_PACKAGES))
    args = parser.parse_args()

    tflint = [sys.executable, "-m", "tflint_fn", "--format", "json", "."]
    rows = []
    for package in args.packages:
        root = fetch(package, args.cache)
        files = python_files(root)
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
            listing.write("\n".join(str(p) for p in files))
        parse_only = [sys.executable, "-c", PARSE_ONLY, listing.name]
        lint_times, parse_times, lint_memory = [], [], 0.0
        for _ in range(args.runs):
            seconds, memory = timed(tflint, root)
            lint_times.append(seconds)
            lint_memory = max(lint_memory, memory)
            parse_times.append(timed(parse_only, root)[0])
        os.unlink(listing.name)
        lint, parse = statistics.median(lint_times), statistics.median(parse_times)
        rows.append((package, len(files), lines, lint, parse, lint_memory))

    print(f"{'package':<30} {'files':>6} {'lines':>8} {'tflint-fn s':>11} {'parse s':>8} "
          f"{'tflint lines/s':>14} {'parse lines/s':>13} {'ratio':>6} {'peak MiB':>8}")
    for package, count, lines, lint, parse, memory in rows:
        print(f"{package:<30} {count:>6} {lines:>8} {lint:>11.2f} {parse:>8.2f} "
              f"{lines / lint:>14.0f} {lines / parse:>13.0f} {lint / parse:>6.2f} {memory:>8.0f}")
    print(f"(median of {args.runs} runs each, whole process; ratio = tflint-fn / LibCST parse-only; "
          f"{os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()

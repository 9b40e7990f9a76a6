"""Benchmark tflint-fn on real code, side by side with LibCST parse-only, ruff and Fixit.

    python bench/bench.py [--runs 3] [--cache DIR] [--packages NAME==VERSION ...]
                          [--no-fixit] [--no-ruff] [--jobs N]

Downloads pinned packages from PyPI (``pip download --no-deps``) into a cache
outside the repository and unpacks their ``.py`` files. Then, for each
package, it times whole processes (start-up included), CPU seconds (user +
system, children included) and wall seconds, alternating the tools within
each round so that machine noise hits all of them alike:

* ``cold``: ``tflint-fn --no-cache --jobs 1``; ``cold-jN``: the same with ``--jobs N``;
* ``warm``: ``tflint-fn`` on the unchanged tree, its cache filled;
* ``edit``: ``tflint-fn`` after one traced module was edited (a comment added);
* ``edit-one``: ``tflint-fn <that module>`` after the same edit, checked in its whole
  project (what pre-commit and the editor server run; the package is made a repository root);
* ``parse``: ``libcst.parse_module`` of the same files, one process;
* ``ruff-all``, ``ruff``: ``ruff check --select ALL`` and ruff's default rules;
* ``fixit``: ``fixit lint`` (Fixit 2, the LibCST-based peer).

Then peak memory of cold runs on the first 10/100/400/all files of the first
package, and a pre-commit-sized run (20 files) beside the cost of starting
Python and importing LibCST alone. It prints medians and the ratios table the
README shows. Compare ratios across machines, not times.

tflint-fn's bytecode is written before anything is timed, as an installed
package has it: from a checkout with ``PYTHONDONTWRITEBYTECODE`` set, every
timed run would otherwise compile all of tflint-fn's modules again.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
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
for name in Path(sys.argv[1]).read_text().splitlines():
    try:
        libcst.parse_module(Path(name).read_text(encoding="utf-8"))
    except Exception:
        pass
"""


def fetch(package: str, cache: Path) -> Path:
    name, _, version = package.partition("==")
    target = cache / package.replace("==", "-")
    if target.is_dir():
        return target
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(downloads), package],
        check=True,
    )
    prefix = f"{name.replace('-', '_').lower()}-{version}"
    wheels = [w for w in downloads.glob("*.whl") if w.name.lower().startswith(prefix)]
    if not wheels:
        raise SystemExit(f"bench: no wheel for {package} in {downloads}")
    staging = target.with_suffix(".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(wheels[0]) as archive:
        for member in archive.namelist():
            if member.endswith(".py"):
                archive.extract(member, staging)
    staging.rename(target)
    return target


def timed(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """CPU seconds (user + system), wall seconds and peak memory (MiB) of one child process."""
    wrapper = [
        sys.executable, "-c",
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)",
        *command,
    ]
    start = time.perf_counter()
    output = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True, check=False).stdout
    elapsed = time.perf_counter() - start
    cpu, peak_kib = output.split()
    return float(cpu), elapsed, int(peak_kib) / 1024


def traced_module(root: Path) -> Path:
    """A module with a tf.function: what the `edit` round touches."""
    for path in sorted(root.rglob("*.py")):
        if "@tf.function" in path.read_text(encoding="utf-8", errors="replace"):
            return path
    raise SystemExit(f"bench: no tf.function in {root}")


def measure(package: str, root: Path, runs: int, fixit: bool, ruff: bool, jobs: int) -> dict:
    files = sorted(p for p in root.rglob("*.py") if p.is_file())
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    listing = Path(tempfile.mkstemp(suffix=".txt")[1])
    listing.write_text("\n".join(str(p) for p in files))
    tflint = [sys.executable, "-m", "tflint_fn", "--format", "json"]
    edited = traced_module(root)
    tools = {
        "cold": [*tflint, "--no-cache", "--jobs", "1", "."],
        f"cold-j{jobs}": [*tflint, "--no-cache", "--jobs", str(jobs), "."],
        "warm": [*tflint, "."],
        "edit": [*tflint, "."],
        "edit-one": [*tflint, str(edited.relative_to(root))],
        "parse": [sys.executable, "-c", PARSE_ONLY, str(listing)],
    }
    if ruff:
        tools["ruff-all"] = ["ruff", "check", "--isolated", "--no-cache", "--exit-zero", "-q", "--select", "ALL", "."]
        tools["ruff"] = ["ruff", "check", "--isolated", "--no-cache", "--exit-zero", "-q", "."]
    if fixit:
        tools["fixit"] = [sys.executable, "-m", "fixit", "lint", "."]
    original = edited.read_bytes()
    marker = root / ".git"  # the project root of a project-context run (edit-one)
    made_root = not marker.exists()
    if made_root:
        marker.mkdir()
    subprocess.run(tools["warm"], cwd=root, stdout=subprocess.DEVNULL, check=False)  # fill the cache
    cpu: dict[str, list[float]] = {name: [] for name in tools}
    wall: dict[str, list[float]] = {name: [] for name in tools}
    peaks: dict[str, float] = {name: 0.0 for name in tools}
    try:
        for round_ in range(runs):
            for name, command in tools.items():
                if name in ("edit", "edit-one"):
                    edited.write_bytes(original + f"# bench edit {round_}\n".encode())
                seconds, elapsed, peak = timed(command, root)
                if name in ("edit", "edit-one"):
                    edited.write_bytes(original)
                    subprocess.run(tools["warm"], cwd=root, stdout=subprocess.DEVNULL, check=False)
                cpu[name].append(seconds)
                wall[name].append(elapsed)
                peaks[name] = max(peaks[name], peak)
    finally:
        edited.write_bytes(original)
        if made_root:
            marker.rmdir()
        listing.unlink()
        shutil.rmtree(root / ".tflint-fn-cache", ignore_errors=True)
    return {
        "package": package, "files": len(files), "lines": lines, "jobs": jobs,
        "cpu": {name: statistics.median(values) for name, values in cpu.items()},
        "wall": {name: statistics.median(values) for name, values in wall.items()},
        "peak": peaks["cold"],
    }


def memory_by_size(root: Path, sizes=(10, 100, 400)) -> list[tuple[int, int, float]]:
    """Peak MiB of a cold run on the first N files (and on all): it should stay flat."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))
    rows = []
    for size in [*sizes, len(files)]:
        chosen = files[:size]
        lines = sum((root / f).read_bytes().count(b"\n") for f in chosen)
        listing = chosen if size < len(files) else ["."]
        _, _, peak = timed([sys.executable, "-m", "tflint_fn", "--no-cache", "--jobs", "1", "--no-project-context", *listing], root)
        rows.append((len(chosen), lines, peak))
    return rows


def write_bytecode() -> None:
    package = Path(importlib.util.find_spec("tflint_fn").origin).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


FLOOR = [sys.executable, "-c", "import libcst"]  # starting Python and importing LibCST, nothing else


def precommit_sized(root: Path, runs: int) -> tuple[float, float, int, float]:
    """CPU and wall seconds of a run on 20 files, and of the floor (``FLOOR``), alternated in
    each round (the machine's speed drifts between blocks of runs): medians, and the lines."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))[:20]
    command = [sys.executable, "-m", "tflint_fn", "--no-cache", "--no-project-context", *files]
    lines = sum((root / f).read_bytes().count(b"\n") for f in files)
    samples, floors = [], []
    for _ in range(max(runs, 9)):
        samples.append(timed(command, root))
        floors.append(timed(FLOOR, root)[0])
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples), lines,
            statistics.median(floors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "tflint-fn-bench")
    parser.add_argument("--packages", nargs="+", default=list(DEFAULT_PACKAGES))
    parser.add_argument("--no-fixit", action="store_true", help="skip Fixit (pip install fixit to include it)")
    parser.add_argument("--no-ruff", action="store_true", help="skip ruff (pip install ruff to include it)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="the parallel cold run's --jobs")
    args = parser.parse_args()
    fixit = not args.no_fixit and importlib.util.find_spec("fixit") is not None
    ruff = not args.no_ruff and shutil.which("ruff") is not None
    # A missing peer leaves its columns as dashes: say so before the long run, not after.
    if not ruff and not args.no_ruff:
        print("bench: no `ruff` on PATH: its columns are left out (pip install ruff, or activate the venv)", file=sys.stderr)
    if not fixit and not args.no_fixit:
        print("bench: Fixit is not installed: its column is left out (pip install fixit)", file=sys.stderr)

    write_bytecode()
    rows = [measure(p, fetch(p, args.cache), args.runs, fixit, ruff, args.jobs) for p in args.packages]
    first = fetch(args.packages[0], args.cache)
    memory = memory_by_size(first)
    small_cpu, small_wall, small_lines, floor = precommit_sized(first, args.runs)

    print(f"CPU seconds (user + system), medians of {args.runs} alternated rounds; wall in brackets")
    for row in rows:
        times = "  ".join(f"{name} {row['cpu'][name]:.2f} ({row['wall'][name]:.2f})" for name in row["cpu"])
        print(f"{row['package']} ({row['files']} files, {row['lines']} lines): {times}; peak {row['peak']:.0f} MiB")
    print()
    columns = ["cold / parse-only", "cold / ruff ALL", "cold / ruff default", "edit / cold", "edit one file / cold",
               "warm / cold",
               f"wall cold / cold -j{args.jobs}", "Fixit / cold"]
    print("| package | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in rows:
        c, w = row["cpu"], row["wall"]
        cells = [
            f"{c['cold'] / c['parse']:.2f}",
            f"{c['cold'] / c['ruff-all']:.1f}" if "ruff-all" in c else "—",
            f"{c['cold'] / c['ruff']:.1f}" if "ruff" in c else "—",
            f"{c['edit'] / c['cold']:.0%}",
            f"{c['edit-one'] / c['cold']:.0%}",
            f"{c['warm'] / c['cold']:.1%}",
            f"{w['cold'] / w[f'cold-j{args.jobs}']:.2f}",
            f"{c['fixit'] / c['cold']:.1f}" if "fixit" in c else "—",
        ]
        print(f"| {row['package']} | " + " | ".join(cells) + " |")
    print()
    print("peak memory of a cold run by size (" + args.packages[0] + "): " + ", ".join(
        f"{files} files / {lines} lines: {peak:.0f} MiB" for files, lines, peak in memory))
    print(f"pre-commit-sized run: 20 files ({small_lines} lines) of {args.packages[0]}: "
          f"{small_cpu:.2f} CPU s ({small_wall:.2f} s wall), start-up included; "
          f"starting Python and importing LibCST alone: {floor:.2f} CPU s")
    print(f"({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()

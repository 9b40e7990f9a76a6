"""Benchmark tflint-fn on real code, side by side with LibCST parsing and Fixit.

    python bench/bench.py [--runs 3] [--cache DIR] [--packages NAME==VERSION ...]
                          [--control NAME==VERSION] [--no-fixit]

Downloads pinned packages from PyPI (``pip download --no-deps``) into a cache
outside the repository and unpacks their ``.py`` files. Then, for each
package, it times whole processes (start-up included), alternating the tools
within each round so that machine noise hits all of them alike:

* ``tflint-fn cold``: ``tflint-fn --no-cache``;
* ``tflint-fn warm``: ``tflint-fn`` on the unchanged tree, its cache filled;
* ``parse-only``: ``libcst.parse_module`` of the same files, one process;
* ``fixit``: ``fixit lint`` (Fixit 2, the LibCST-based peer) on the same files.

Last, a pre-commit-sized run: tflint-fn on 20 files of the first package.
It prints medians, lines per second, peak memory and the ratios. Compare
ratios across machines, not absolute times.
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
DEFAULT_CONTROL = "sqlalchemy==2.0.36"
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


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one child process."""
    wrapper = [
        sys.executable, "-c",
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        *command,
    ]
    start = time.perf_counter()
    output = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True, check=False).stdout
    elapsed = time.perf_counter() - start
    peak_kib = int(output.strip() or 0)
    return elapsed, peak_kib / 1024


def measure(package: str, root: Path, runs: int, fixit: bool) -> dict:
    files = sorted(p for p in root.rglob("*.py") if p.is_file())
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    listing = Path(tempfile.mkstemp(suffix=".txt")[1])
    listing.write_text("\n".join(str(p) for p in files))
    tools = {
        "cold": [sys.executable, "-m", "tflint_fn", "--no-cache", "--format", "json", "."],
        "warm": [sys.executable, "-m", "tflint_fn", "--format", "json", "."],
        "parse": [sys.executable, "-c", PARSE_ONLY, str(listing)],
    }
    if fixit:
        tools["fixit"] = [sys.executable, "-m", "fixit", "lint", "."]
    subprocess.run(tools["warm"], cwd=root, stdout=subprocess.DEVNULL, check=False)  # fill the cache
    times: dict[str, list[float]] = {name: [] for name in tools}
    peaks: dict[str, float] = {name: 0.0 for name in tools}
    for _ in range(runs):
        for name, command in tools.items():
            seconds, peak = timed(command, root)
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    listing.unlink()
    shutil.rmtree(root / ".tflint-fn-cache", ignore_errors=True)
    return {
        "package": package, "files": len(files), "lines": lines,
        **{name: statistics.median(values) for name, values in times.items()},
        "peak": peaks["cold"],
    }


def precommit_sized(root: Path, runs: int) -> tuple[float, int]:
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py"))[:20]
    command = [sys.executable, "-m", "tflint_fn", "--no-cache", *files]
    lines = sum((root / f).read_bytes().count(b"\n") for f in files)
    return statistics.median(timed(command, root)[0] for _ in range(max(runs, 5))), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "tflint-fn-bench")
    parser.add_argument("--packages", nargs="+", default=list(DEFAULT_PACKAGES))
    parser.add_argument("--control", default=DEFAULT_CONTROL, help="a package without TensorFlow")
    parser.add_argument("--no-fixit", action="store_true", help="skip Fixit (pip install fixit to include it)")
    args = parser.parse_args()
    fixit = not args.no_fixit and importlib.util.find_spec("fixit") is not None

    rows = [measure(p, fetch(p, args.cache), args.runs, fixit) for p in [*args.packages, args.control]]
    small, small_lines = precommit_sized(fetch(args.packages[0], args.cache), args.runs)

    header = f"{'package':<28} {'files':>5} {'lines':>7} {'cold s':>7} {'warm s':>6} {'parse s':>7}"
    header += f" {'fixit s':>7}" if fixit else ""
    header += f" {'lines/s':>7} {'cold/parse':>10} {'warm/cold':>9}" + (f" {'fixit/cold':>10}" if fixit else "")
    print(header + f" {'peak MiB':>8}")
    for row in rows:
        line = f"{row['package']:<28} {row['files']:>5} {row['lines']:>7} {row['cold']:>7.2f} {row['warm']:>6.2f} {row['parse']:>7.2f}"
        line += f" {row['fixit']:>7.2f}" if fixit else ""
        line += f" {row['lines'] / row['cold']:>7.0f} {row['cold'] / row['parse']:>10.2f} {row['warm'] / row['cold']:>9.1%}"
        line += f" {row['fixit'] / row['cold']:>10.1f}" if fixit else ""
        print(line + f" {row['peak']:>8.0f}")
    print(f"pre-commit-sized run: 20 files ({small_lines} lines) of {args.packages[0]}: {small:.2f} s, start-up included")
    print(f"(medians of {args.runs} runs, whole processes; control package: {args.control}; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()

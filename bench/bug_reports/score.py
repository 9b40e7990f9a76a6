"""Score tflint-fn on the bug-report corpus.

Every program marks the line that causes the reported symptom with a trailing
`# expect: TFFnnn` (the code the linter should report there) or `# expect: TFFnxx`
(any code of that family: no existing rule fits). A program with several markers is
caught when the linter reports the expected code on any one of them; none of its marked
lines is a false positive. A program's family is the family of its expected code.

    python bench/bug_reports/score.py [CORPUS] [--json] [--findings FILE] [-- LINTER OPTIONS]

runs `python -m tflint_fn --format json --no-cache CORPUS` (or reads its saved output
from --findings) and prints the recall per family and in all, the false positives
(findings on lines without a marker) and the programs missed. Exit status: 0, or 2 when
the linter could not run or a program has no marker.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"#\s*expect:\s*(TFF\d(?:\d\d|xx))\b")
FAMILIES = ("TFF1xx", "TFF2xx", "TFF3xx", "TFF4xx")


def parse_markers(text: str) -> list[tuple[int, str]]:
    """The (line, code) of every `# expect:` marker, lines counted from 1."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in MARKER.finditer(line):
            found.append((number, match.group(1)))
    return found


def family(code: str) -> str:
    return code[:4] + "xx"


def code_matches(expected: str, reported: str) -> bool:
    if expected.endswith("xx"):
        return reported.startswith(expected[:4])
    return reported == expected


def corpus_programs(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.glob("[0-9][0-9][0-9]_*.py"))


def run_linter(corpus: Path, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "tflint_fn", "--format", "json", "--no-cache", *extra, "."]
    done = subprocess.run(command, cwd=corpus, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"tflint-fn exited {done.returncode}: {done.stderr.strip()[:500]}")
    return json.loads(done.stdout)


def score(corpus: Path, report: dict) -> dict:
    """Compare the linter's JSON report with the markers of the programs in `corpus`."""
    programs = {p.resolve(): parse_markers(p.read_text(encoding="utf-8"))
                for p in corpus_programs(corpus)}
    unmarked = sorted(p.name for p, marks in programs.items() if not marks)
    by_file: dict[Path, list[dict]] = {}
    for finding in report.get("findings", []):
        path = Path(finding["path"])
        if not path.is_absolute():
            path = (corpus / path).resolve()
        by_file.setdefault(path, []).append(finding)

    per_family = {name: {"programs": 0, "caught": 0} for name in FAMILIES}
    missed, false_positives, other_codes = [], [], []
    for path, marks in sorted(programs.items()):
        if not marks:
            continue
        name = family(marks[0][1])
        per_family.setdefault(name, {"programs": 0, "caught": 0})
        per_family[name]["programs"] += 1
        marked_lines = {line for line, _ in marks}
        findings = by_file.get(path, [])
        caught = any(
            f["start"]["line"] == line and code_matches(code, f["code"])
            for line, code in marks for f in findings
        )
        if caught:
            per_family[name]["caught"] += 1
        else:
            missed.append({"program": path.name, "expected": sorted({c for _, c in marks}),
                           "lines": sorted(marked_lines)})
        for f in findings:
            where = {"program": path.name, "line": f["start"]["line"], "code": f["code"]}
            if f["start"]["line"] not in marked_lines:
                false_positives.append(where)
            elif not any(code_matches(c, f["code"]) for ln, c in marks
                         if ln == f["start"]["line"]):
                other_codes.append(where)
    for path, findings in by_file.items():
        if path not in programs:
            false_positives.extend({"program": path.name, "line": f["start"]["line"],
                                    "code": f["code"]} for f in findings)
    total = sum(v["programs"] for v in per_family.values())
    caught = sum(v["caught"] for v in per_family.values())
    for values in per_family.values():
        values["recall"] = values["caught"] / values["programs"] if values["programs"] else None
    return {
        "families": per_family,
        "programs": total,
        "caught": caught,
        "recall": caught / total if total else None,
        "false_positives": false_positives,
        "other_codes_on_marked_lines": other_codes,
        "missed": missed,
        "unmarked": unmarked,
    }


def render(result: dict) -> str:
    lines = []
    for name, values in result["families"].items():
        recall = "n/a" if values["recall"] is None else f"{values['recall']:.2f}"
        lines.append(f"{name}: {values['caught']}/{values['programs']} caught, recall {recall}")
    recall = "n/a" if result["recall"] is None else f"{result['recall']:.2f}"
    lines.append(f"total: {result['caught']}/{result['programs']} caught, recall {recall}")
    lines.append(f"false positives (findings on unmarked lines): {len(result['false_positives'])}")
    lines.extend(f"  {fp['program']}:{fp['line']}: {fp['code']}" for fp in result["false_positives"])
    if result["other_codes_on_marked_lines"]:
        lines.append("other codes on marked lines (not counted as caught or as false positives):")
        lines.extend(f"  {o['program']}:{o['line']}: {o['code']}"
                     for o in result["other_codes_on_marked_lines"])
    lines.append(f"missed: {len(result['missed'])}")
    lines.extend(f"  {m['program']} (expected {', '.join(m['expected'])} on line "
                 f"{', '.join(map(str, m['lines']))})" for m in result["missed"])
    if result["unmarked"]:
        lines.append("programs without an `# expect:` marker: " + ", ".join(result["unmarked"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Options after `--` go to tflint-fn (e.g. `-- --extend-select TFF108`).")
    parser.add_argument("corpus", nargs="?", default=str(HERE), help="the corpus folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--findings", help="score this saved `--format json` output instead")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    args = parser.parse_args(own)
    corpus = Path(args.corpus).resolve()
    try:
        if args.findings:
            report = json.loads(Path(args.findings).read_text(encoding="utf-8"))
        else:
            report = run_linter(corpus, extra)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"score.py: {exc}", file=sys.stderr)
        return 2
    result = score(corpus, report)
    print(json.dumps(result, indent=1) if args.json else render(result))
    return 2 if result["unmarked"] else 0


if __name__ == "__main__":
    sys.exit(main())

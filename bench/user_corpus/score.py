"""Score tflint-fn on the user-code corpus against its triage.

The corpus is ten public repositories of tutorials, courses and books (see
README.md beside this file: names and commits); their code is never kept in
this repository. ``triage.json`` holds, for every finding an earlier run
reported, whether it is a real bug (TP), deliberate (a tracing print, an
exercise blank) or a false positive (FP), with the reason.

    python bench/user_corpus/score.py CORPUS_DIR   # CORPUS_DIR/<repo>/... as extracted

prints the findings per rule and verdict, the triaged findings that are gone
(real bugs gone are listed one by one) and every finding not triaged yet.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def key(finding: dict, repo: str) -> tuple:
    return (repo, finding["path"], finding.get("cell"), finding["line"] if "line" in finding else finding["start"]["line"],
            finding["column"] if "column" in finding else finding["start"]["column"], finding["code"])


def main(corpus: Path) -> int:
    triage = {key(row, row["repo"]): row for row in json.loads((HERE / "triage.json").read_text())}
    repos = sorted({row["repo"] for row in triage.values()})
    found = {}
    for repo in repos:
        run = subprocess.run([sys.executable, "-m", "tflint_fn", ".", "--format", "json", "--no-cache"],
                             cwd=corpus / repo, capture_output=True, text=True)
        if run.returncode not in (0, 1):
            print(f"{repo}: tflint-fn failed: {run.stderr.strip()}")
            return 2
        for finding in json.loads(run.stdout)["findings"]:
            found[key(finding, repo)] = finding
    verdicts = Counter(triage[k]["verdict"] if k in triage else "new" for k in found)
    total = len(found)
    print(f"findings: {total}; " + ", ".join(f"{name} {count}" for name, count in sorted(verdicts.items())))
    if total:
        print(f"false positives: {verdicts['FP'] / total:.1%} of findings")
    for (code, verdict), count in sorted(Counter((k[-1], triage[k]["verdict"] if k in triage else "new") for k in found).items()):
        print(f"  {code} {verdict:<10} {count}")
    gone = [row for k, row in triage.items() if k not in found]
    print("gone since triage: " + ", ".join(f"{n} {c}" for n, c in sorted(Counter(r["verdict"] for r in gone).items())))
    for row in gone:
        if row["verdict"] == "TP":
            print(f"  real bug no longer reported: {row['repo']}/{row['path']} cell {row['cell']} line {row['line']} {row['code']}")
    for k in sorted(k for k in found if k not in triage):
        print(f"  not triaged: {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))

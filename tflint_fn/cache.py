"""Results of unchanged projects, reused.

The key covers everything a result depends on: the tool version, the
settings of every file, the flags that change findings, and the path and
content hash of every file checked (cross-module analysis means any file
can change another's findings). Entries are written atomically; an entry
that cannot be read or does not match is ignored and recomputed, so a
corrupted or concurrently written cache never changes results.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from tflint_fn import __version__
from tflint_fn.findings import Finding

CACHE_DIR_NAME = ".tflint-fn-cache"
_FORMAT = 1
_KEEP = 16  # entries kept; older ones are pruned
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file marks a cache directory created by tflint-fn.\n"


def cache_key(parts: list[str]) -> str:
    digest = hashlib.sha256()
    digest.update(f"tflint-fn {__version__} cache {_FORMAT}\n".encode())
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ResultCache:
    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR_NAME

    def load(self, key: str) -> tuple[list[Finding], list[Finding], int] | None:
        path = self.directory / "results" / f"{key}.json"
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document["key"] != key or document["version"] != __version__ or document["format"] != _FORMAT:
                return None
            findings = [Finding.from_json(item) for item in document["findings"]]
            suppressed = [Finding.from_json(item) for item in document["suppressed"]]
            files = int(document["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return findings, suppressed, files

    def store(self, key: str, findings: list[Finding], suppressed: list[Finding], files: int) -> None:
        document = {
            "format": _FORMAT,
            "version": __version__,
            "key": key,
            "files": files,
            "findings": [f.to_json() for f in findings],
            "suppressed": [f.to_json() for f in suppressed],
        }
        try:
            results = self.directory / "results"
            results.mkdir(parents=True, exist_ok=True)
            self._mark()
            handle, temporary = tempfile.mkstemp(dir=results, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream)
            os.replace(temporary, results / f"{key}.json")
            self._prune(results)
        except OSError:
            return  # a read-only checkout: run without a cache

    def _mark(self) -> None:
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(_TAG, encoding="utf-8")
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by tflint-fn.\n*\n", encoding="utf-8")

    @staticmethod
    def _prune(results: Path) -> None:
        entries = sorted(results.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[_KEEP:]:
            old.unlink(missing_ok=True)
        for stale in results.glob("*.tmp"):
            stale.unlink(missing_ok=True)


def clean(root: Path) -> bool:
    """Remove the cache below ``root``; True when there was one."""
    directory = root / CACHE_DIR_NAME
    if not directory.is_dir():
        return False
    shutil.rmtree(directory)
    return True

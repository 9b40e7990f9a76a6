"""Module summaries for many files: from the per-file cache, or built, in parallel when it pays.

A summary depends only on the file's text, its module name and whether it is
a package's ``__init__`` (and on the tool's own code): that is its key in the
cache, so an edit re-summarises the edited file only. Summaries hold no
LibCST node and cross processes as pickles.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from tflint_fn.model.names import ImportTable
from tflint_fn.model.summary import ModuleInfo, summarize
from tflint_fn.sources.parsing import ParseFailure, parse_syntax

# Below this many files to summarise, worker processes cost more than they save.
PARALLEL_FROM = 64


@dataclass(frozen=True)
class Request:
    path: Path
    display_path: str
    module: str
    is_package: bool
    text: str


def summary_key(request: Request, code: str) -> str:
    digest = hashlib.sha256()
    for part in (code, request.module, "package" if request.is_package else "module", request.text):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def build(request: Request) -> ModuleInfo | ParseFailure:
    """The summary of one file, or why it has none (TFF001)."""
    tree = parse_syntax(request.text)
    if isinstance(tree, ParseFailure):
        return tree
    module = ModuleInfo(
        path=request.path,
        display_path=request.display_path,
        name=request.module,
        is_package=request.is_package,
        source=request.text,
        imports=ImportTable(request.module, request.is_package),
    )
    try:
        summarize(module, tree)
    except RecursionError:
        return ParseFailure("too deeply nested to analyse")
    return module


def _build_pickled(request: Request) -> bytes:
    return pickle.dumps(build(request), protocol=pickle.HIGHEST_PROTOCOL)


def load_all(requests: list[Request], store=None, jobs: int = 1) -> dict[str, ModuleInfo | ParseFailure]:
    """Summaries by module name: cached ones read back, the others built (``jobs`` processes)."""
    found: dict[str, ModuleInfo | ParseFailure] = {}
    missing: list[tuple[Request, str | None]] = []
    for request in requests:
        key = store.key(request) if store is not None else None
        cached = store.load(key) if key is not None else None
        if isinstance(cached, ModuleInfo) and cached.name == request.module:
            cached.path, cached.display_path, cached.source = request.path, request.display_path, request.text
            found[request.module] = cached
        else:
            missing.append((request, key))
    if jobs > 1 and len(missing) >= PARALLEL_FROM:
        from concurrent.futures import ProcessPoolExecutor  # here: its imports cost a pre-commit run 10 ms

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunk = max(1, len(missing) // (jobs * 8))
            built = [pickle.loads(data) for data in pool.map(_build_pickled, [r for r, _ in missing], chunksize=chunk)]
        for (request, _), summary in zip(missing, built):
            if isinstance(summary, ModuleInfo):
                summary.source = request.text
    else:
        built = [build(request) for request, _ in missing]
    for (request, key), summary in zip(missing, built):
        found[request.module] = summary
        if key is not None and isinstance(summary, ModuleInfo):
            store.save(key, summary)
    return found


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)

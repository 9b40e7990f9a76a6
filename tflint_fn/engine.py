"""The static pipeline: files -> modules -> traced functions -> findings.

This module reads and decodes the files and serves an unchanged project from
the cache; the analysis itself (``analysis.py``, with LibCST) is imported only
when the cache has no result.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tflint_fn.cache import ResultCache, SummaryStore, TreeStore, cache_key, content_hash
from tflint_fn.config import Settings, SettingsResolver, describe
from tflint_fn.findings import Finding, Result
from tflint_fn.sources.discovery import (
    SourceFile,
    discover,
    isolate,
    source_file,
    with_file,
)
from tflint_fn.sources.notebooks import (
    MAX_NOTEBOOK_BYTES,
    Notebook,
    is_notebook,
    load_notebook,
)
from tflint_fn.sources.parsing import (
    MAX_FILE_BYTES,
    FileGone,
    ParseFailure,
    decode,
    read_source,
    too_large,
)


def run(
    paths: list[str],
    settings: Settings,
    cwd: Path,
    stdin: tuple[str, bytes] | None = None,
    force_exclude: bool = False,
    resolver: SettingsResolver | None = None,
    cache_root: Path | None = None,
    collect_targets: bool = False,
    jobs: int | None = None,
    project_context: bool = False,
    fixes: bool = True,
    overlay: dict[Path, bytes] | None = None,
) -> Result:
    """Check ``paths`` (or, with ``stdin``, one buffer of bytes reported under a path).

    With a ``resolver``, every file gets the settings of its nearest
    pyproject.toml; otherwise ``settings`` applies to all. With a
    ``cache_root``, the result of an unchanged project is reused. With
    ``collect_targets`` (for ``--dynamic``), the result lists every traced root.
    With ``project_context``, files named one by one (or the stdin buffer) are
    checked as part of their whole project (``project_context_of``), and only
    their findings are reported: the same findings a whole-project run gives them.
    ``overlay`` (absolute path -> bytes) is read instead of those files: the
    rounds of ``--fix`` and ``--diff`` lint the fixed text without writing it.
    """
    settings_for = resolver.for_path if resolver is not None else (lambda path: settings)
    hashes: dict[Path, str] = {}
    texts: dict[Path, str | ParseFailure] = {}
    notebooks: dict[Path, Notebook] = {}
    excluded = (lambda path, is_dir: settings_for(path).excluded(path, is_dir))
    context = project_context_of(paths, stdin, cwd, settings_for) if project_context else None
    if stdin is not None and context is None:
        name, data = stdin
        files = [_stdin_file(name, cwd)]
        limit = _size_limit(files[0])
        _decode_into(files[0], data if len(data) <= limit else too_large(limit), texts, notebooks)
        cache_root = None
    else:
        if context is None:
            found = discover(paths, cwd, excluded, force_exclude=force_exclude)
        else:
            # The whole project, so that a helper is known to be traced from
            # another module; findings are then kept for the given files only.
            given = [str(path) for path in context.files if path.is_file()]
            found = discover([str(context.root), *given], cwd, excluded, force_exclude=force_exclude)
            if stdin is not None:
                found = with_file(found, context.files[0], cwd)
        files = []
        for file in found:
            if stdin is not None and file.path == context.files[0]:
                # The buffer replaces the file on disk.
                limit = _size_limit(file)
                data = stdin[1] if len(stdin[1]) <= limit else too_large(limit)
                files.append(file)
                hashes[file.path] = "unreadable" if isinstance(data, ParseFailure) else content_hash(data)
                _decode_into(file, data, texts, notebooks)
                continue
            try:
                fixed = overlay.get(Path(os.path.abspath(file.path))) if overlay else None
                data = fixed if fixed is not None else read_source(file.path, _size_limit(file))
            except FileGone:
                continue  # removed since it was found: as if it had never been there
            files.append(file)
            hashes[file.path] = "unreadable" if isinstance(data, ParseFailure) else content_hash(data)
            _decode_into(file, data, texts, notebooks)
    files = _isolated(files, texts)
    file_settings = {file.display_path: settings_for(file.path) for file in files}
    sources = {file.display_path: texts[file.path] for file in files if isinstance(texts[file.path], str)}
    cells = {file.display_path: notebooks[file.path] for file in files if file.path in notebooks}
    # A project-context run checks only the traced functions of the files asked for:
    # the fixpoint still covers the whole project, and the findings of those files are
    # the ones a whole-project run gives them (each traced function's are in its own file).
    reported = _reported(context, files)
    cache = ResultCache(cache_root) if cache_root is not None else None
    key = None
    if cache is not None and cache.refused is None:
        parts = _key_parts(files, hashes, file_settings, settings)
        key = whole = cache_key(parts)
        cached = cache.load(whole)  # a whole-project result serves any part of it
        if reported is not None:
            key = cache_key([*parts, "reported", *sorted(reported)])  # a partial result, only the same part
            cached = cached if cached is not None else cache.load(key)
        if cached is not None:
            findings, suppressed, count = cached
            return _given_only(Result(findings, count, suppressed, sources, notebooks=cells), context, files)
    store = SummaryStore(cache_root) if cache is not None and cache.refused is None else None
    trees = TreeStore(cache_root) if store is not None else None
    from tflint_fn.analysis import (
        analyze_files,  # LibCST and the checks: only when the cache has no result
    )
    from tflint_fn.model.loading import default_jobs

    jobs = default_jobs() if jobs is None else jobs
    with no_full_collections():
        result = analyze_files(
            files, texts, sources, file_settings, settings, collect_targets, cells, store, jobs, reported=reported,
            trees=trees,
        )
        if fixes:
            result.findings = _with_fixes(result.findings, cwd, overlay, stdin, settings_for)
    if store is not None:
        store.prune(keep=4 * len(files) + 1000)
        trees.prune(keep=1000)  # besides the trees this run used: older versions of edited code
    if key is not None and fixes:  # cached results carry their fixes
        cache.store(key, result.findings, result.suppressed, result.files)
    result.cache_refused = cache.refused if cache is not None else None
    return _given_only(result, context, files)


@contextmanager
def no_full_collections():
    """Only young objects are collected for cycles while the analysis and fixes run.

    The run builds millions of long-lived objects (summaries, LibCST trees kept
    to the end), and they hold no reference cycles. Each full collection
    re-traverses all of them: about a fifth of a cold run's CPU on
    tf-models-official, for nothing freed. Young garbage cycles (a walker's
    closures) are still collected; what is left is freed when the run ends.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], _NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


_NEVER = 2**31 - 1  # full collections wait for this many young-generation ones


@dataclass(frozen=True)
class ProjectContext:
    root: Path
    files: tuple[Path, ...]  # the files asked for (absolute)


def project_context_of(paths, stdin, cwd: Path, settings_for) -> ProjectContext | None:
    """The project a partial run belongs to: files named one by one (pre-commit) or a buffer.

    The root is the folder of the configuration that applies, else the
    repository root; without either there is no project to take context from.
    """
    if stdin is not None:
        targets = [(cwd / stdin[0]).absolute()]
    else:
        targets = [(cwd / raw).absolute() for raw in paths]
        if not targets or not all(path.is_file() for path in targets):
            return None  # a folder is a whole run already
    settings = settings_for(targets[0])
    root = settings.root if settings.config_path is not None else _repository_root(targets[0].parent)
    if root is None or not all(path.is_relative_to(root) for path in targets):
        return None
    return ProjectContext(root, tuple(targets))


def _repository_root(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def _reported(context: ProjectContext | None, files) -> frozenset[str] | None:
    """The display paths a project-context run reports on; None when it reports on all."""
    if context is None:
        return None
    wanted = set(context.files)
    return frozenset(file.display_path for file in files if file.path in wanted)


def _given_only(result: Result, context: ProjectContext | None, files) -> Result:
    """A project-context run reports on the files asked for only."""
    if context is None:
        return result
    shown = _reported(context, files)
    result.findings = [f for f in result.findings if f.path in shown]
    result.suppressed = [f for f in result.suppressed if f.path in shown]
    result.targets = [t for t in result.targets if t.path in shown]
    result.files = len(shown)
    return result


def attach_fixes(findings: list[Finding], cwd: Path, settings_for, stdin=None) -> list[Finding]:
    """The findings of a ``fixes=False`` run with their fixes, as a run with fixes gives them."""
    return _with_fixes(findings, cwd, None, stdin, settings_for)


def _with_fixes(findings: list[Finding], cwd: Path, overlay, stdin, settings_for) -> list[Finding]:
    """The fix post-pass (fixes/): each finding with the edit tflint-fn makes for it, or none."""
    from tflint_fn.fixes import FIXABLE_CODES

    if not any(finding.code in FIXABLE_CODES for finding in findings):
        return [dataclasses.replace(f, fix=None) if f.fix is not None else f for f in findings]
    from tflint_fn.fixes.runner import Sources, absolute, attach

    sources = Sources(cwd, dict(overlay or {}), stdin)
    return attach(findings, sources, lambda display: settings_for(absolute(cwd, display)).fixable)


def _isolated(files: list[SourceFile], texts) -> list[SourceFile]:
    """Module names that hide nothing from another folder's imports (``discovery.isolate``)."""
    roots = {file.root for file in files}
    if len(roots) < 2:
        return files
    from tflint_fn.analysis import text_imports

    imported: dict[Path, set[str]] = {}
    for file in files:
        text = texts.get(file.path)
        if isinstance(text, str) and file.root is not None:
            names = text_imports(text, file, {}, relative=False)
            imported.setdefault(file.root, set()).update(name.split(".", 1)[0] for name in names)
    return isolate(files, imported)


def _key_parts(files, hashes, file_settings, default: Settings) -> list[str]:
    distinct: dict[int, int] = {}
    parts = [describe(default)]
    for file in files:
        settings = file_settings[file.display_path]
        if id(settings) not in distinct:
            distinct[id(settings)] = len(distinct)
            parts.append(describe(settings))
        parts.append(f"{file.display_path}\t{file.module}\t{hashes.get(file.path, '')}\t{distinct[id(settings)]}")
    return parts


def _size_limit(file: SourceFile) -> int:
    return MAX_NOTEBOOK_BYTES if is_notebook(file.path) else MAX_FILE_BYTES


def _decode_into(file: SourceFile, data: bytes | ParseFailure, texts: dict, notebooks: dict) -> None:
    """The file's Python text (a notebook's code cells, joined) into ``texts``."""
    if isinstance(data, ParseFailure):
        texts[file.path] = data
    elif not is_notebook(file.path):
        texts[file.path] = decode(data)
    else:
        loaded = load_notebook(data)
        if loaded is None:
            texts[file.path] = ""  # a notebook in another language: nothing to check
        elif isinstance(loaded, ParseFailure):
            texts[file.path] = loaded
        else:
            texts[file.path], notebooks[file.path] = loaded


def _stdin_file(name: str, cwd: Path) -> SourceFile:
    return source_file(cwd / name, cwd)

"""The analysis of the files a run read: summaries -> traced functions -> checks -> suppressions.

``engine.run`` reads, decodes and looks the project up in the cache; only on a
miss does it import this module, and with it LibCST and the checks.
"""

from __future__ import annotations

import re
from pathlib import Path

from tflint_fn.checks import ALL_CHECKS, PROJECT_CHECKS
from tflint_fn.checks.run import Positions, analyze, subject_of
from tflint_fn.checks.suppressions import (
    ALL,
    line_suppressions,
    matches,
    skips_file,
    suppressing_entries,
)
from tflint_fn.config import Settings
from tflint_fn.findings import Finding, Position, Result, Subject
from tflint_fn.model.loading import Request, build, load_all
from tflint_fn.model import summary
from tflint_fn.model.names import resolve_relative
from tflint_fn.model.summary import ModuleInfo
from tflint_fn.project.prefetch import parsing_ahead
from tflint_fn.project.traces import Project
from tflint_fn.registry import PARSE_ERROR, RULES, UNUSED_SUPPRESSION
from tflint_fn.sources.discovery import SourceFile, import_prefixes
from tflint_fn.sources.notebooks import to_cells
from tflint_fn.sources.parsing import ChunkParseError, ParseFailure, syntax_error

# A file that mentions none of these (nor a configured graph decorator) cannot
# hold traced code by itself; it is parsed only if traced code imports it.
_RELEVANT_WORDS = ("tensorflow", "keras")


def _request(file: SourceFile, texts) -> Request:
    return Request(file.path, file.display_path, file.module, file.is_package, texts[file.path])


def analyze_files(
    files, texts, sources, file_settings, settings: Settings, collect_targets=False, notebooks=None, store=None, jobs=1,
    reported: frozenset[str] | None = None, trees=None,
) -> Result:
    """The findings of ``files``; with ``reported`` (display paths), of those files only.

    The whole project is still summarised and traced, for the traced functions
    of the reported files and what the project checks find in them. ``store`` and
    ``trees`` are the cache's summaries and LibCST trees (``cache.py``), or None.
    """
    notebooks = notebooks or {}
    findings: list[Finding] = []
    graph_decorators = frozenset().union(*(s.graph_decorators for s in file_settings.values()), settings.graph_decorators)
    words = _RELEVANT_WORDS + tuple(d.rsplit(".", 1)[-1] for d in graph_decorators)
    by_module = {file.module: file for file in files}
    modules: dict[str, ModuleInfo] = {}
    pending = []
    others = []  # files that mention neither TensorFlow nor Keras
    for file in files:
        text = texts[file.path]
        if isinstance(text, ParseFailure):
            findings.append(_parse_finding(file, text))
        elif skips_file(text):
            continue
        elif any(word in text for word in words):
            pending.append(file)
        else:
            others.append(file)
    summaries = load_all([_request(file, texts) for file in pending], store, jobs)
    prefixes = import_prefixes(files)
    unparsable: set[str] = set()  # reported once, however many modules import them
    while pending:
        # Summarise the relevant files and every project module they import, a wave of
        # imports at a time: a wave's new summaries are built together (in processes with --jobs) ...
        while pending:
            wave, pending = pending, []
            new = {
                file.module: file for file in wave
                if file.module not in summaries and file.module not in modules and file.module not in unparsable
            }
            if new:
                summaries.update(load_all([_request(file, texts) for file in new.values()], store, jobs))
            for file in wave:
                if file.module in modules or file.module in unparsable:
                    continue
                module = summaries[file.module]
                if isinstance(module, ParseFailure):
                    findings.append(_parse_finding(file, module))
                    unparsable.add(file.module)
                    continue
                _place(module, file, prefixes)
                modules[file.module] = module
                for imported in sorted(module.imports.imported_modules):
                    for candidate in _module_prefixes(imported):
                        if candidate in by_module and candidate not in modules:
                            imported_text = texts[by_module[candidate].path]
                            if isinstance(imported_text, str) and not skips_file(imported_text):
                                pending.append(by_module[candidate])
        # ... and the other files that import one of them (a subclass of a project layer).
        remaining = []
        for file in others:
            if file.module in modules:
                continue
            imported = text_imports(texts[file.path], file, prefixes.get(file.root, {}))
            if any(prefix in modules for name in imported for prefix in _module_prefixes(name)):
                pending.append(file)
            else:
                remaining.append(file)
        others = remaining
    # Python files that cannot hold traced code are not analysed, but a syntax
    # error in them is still TFF001 (Python's own check: cheap next to LibCST).
    # A file named explicitly with another ending (notes.md) is not Python.
    for file in others:
        if file.path.suffix not in (".py", ".pyi") or file.display_path in notebooks:
            continue
        failure = syntax_error(texts[file.path])
        if failure is not None:
            findings.append(_parse_finding(file, failure))
    enabled = frozenset().union(*(s.enabled for s in file_settings.values()), settings.enabled)
    if trees is not None:
        # A project seen before (most summaries were in the cache) is likely to be run again:
        # pickling the trees parsed here (half a parse more) saves half a parse next time.
        trees.keep_parsed = store is not None and 2 * store.loaded >= len(modules)
    while True:
        try:
            found, targets = _trace_and_check(modules, graph_decorators, enabled, collect_targets, jobs, reported, trees)
            break
        except ChunkParseError as error:
            # CPython parsed the file, LibCST not one of its statements (rare):
            # the module is TFF001 and the analysis runs again without it.
            failed = error.module
            findings.append(_parse_finding(by_module[failed.name], error.failure))
            del modules[failed.name]
            modules = {name: _reload(module, texts, by_module, prefixes) for name, module in modules.items()}
    findings.extend(found)
    if reported is not None:
        findings = [finding for finding in findings if finding.path in reported]
    paths_by_display = {file.display_path: file.path for file in files}
    result = _filter(findings, file_settings, settings, paths_by_display, sources, len(files), reported)
    if notebooks:
        failures = [
            _parse_finding(file, ParseFailure(failure.reason, failure.line, failure.column), cell=failure.cell)
            for file in files if file.display_path in notebooks
            for failure in notebooks[file.display_path].failures
            if PARSE_ERROR.code in file_settings[file.display_path].enabled
            and not file_settings[file.display_path].ignored_for(file.path, PARSE_ERROR.code)
        ]
        result.findings = sorted([*(to_cells(f, notebooks) for f in result.findings), *failures], key=lambda f: f.sort_key)
        result.suppressed = sorted((to_cells(f, notebooks) for f in result.suppressed), key=lambda f: f.sort_key)
        result.notebooks = notebooks
        # --dynamic imports modules from files: a notebook is not one
        targets = [t for t in targets if t.path not in notebooks]
    result.targets = sorted(targets, key=lambda s: (s.path, s.line, s.qualname))
    return result


def _trace_and_check(
    modules: dict[str, ModuleInfo], graph_decorators, enabled, collect_targets: bool, jobs: int = 1, reported=None,
    trees=None,
):
    project = Project(sorted(modules.values(), key=lambda m: m.name), graph_decorators)
    summary.stored_trees = trees
    try:
        with parsing_ahead(project, jobs, trees) as ahead:
            project.trace_all(announce=ahead.ask_for if ahead is not None else None)
            if ahead is not None:
                ahead.stop()  # the checks run in as many processes as there are jobs; they take the trees it sent
            checks = [check() for check in ALL_CHECKS if check.code in enabled]
            project_checks = [check() for check in PROJECT_CHECKS if check.code in enabled]
            positions = Positions()  # shared: --dynamic's targets need the same modules' positions
            found = analyze(project, checks, project_checks, positions, jobs, reported)
            return found, _targets(project, positions) if collect_targets else []
    finally:
        summary.stored_trees = None


def _place(module: ModuleInfo, file: SourceFile, prefixes) -> None:
    """Where the module stands in this run: its import name, and imports of its folder's renamed neighbours."""
    module.import_name = file.natural or file.module
    if file.root in prefixes:
        module.imports.rebase(prefixes[file.root])


def _reload(module: ModuleInfo, texts, by_module, prefixes) -> ModuleInfo:
    """A fresh summary of ``module``: the failed run's caches must not carry over."""
    fresh = build(_request(by_module[module.name], texts))
    _place(fresh, by_module[module.name], prefixes)
    return fresh


def _targets(project: Project, positions: Positions) -> list[Subject]:
    targets = []
    for trace in project.traces.values():
        if trace.parent is None and not trace.function.superseded:
            try:
                targets.append(subject_of(trace, positions))
            except RecursionError:
                continue  # a module too deeply nested for position metadata
    return targets


_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+([\w., \t()]+)|import[ \t]+([\w., \t]+))", re.MULTILINE)


def text_imports(text: str, file: SourceFile, prefixes: dict[str, str], relative: bool = True) -> set[str]:
    """Modules a file imports, read from its text without parsing it (``relative=False``: absolute imports only)."""
    found: set[str] = set()

    def moved(name: str) -> str:
        top, dot, rest = name.partition(".")
        return prefixes[top] + dot + rest if top in prefixes else name

    for match in _IMPORT_LINE.finditer(text):
        source, names, plain = match.groups()
        if plain is not None:
            found.update(moved(part.split(" as ")[0].strip()) for part in plain.split(","))
            continue
        level = len(source) - len(source.lstrip("."))
        if level and not relative:
            continue
        base = resolve_relative(file.module, file.is_package, level, source.lstrip(".") or None) if level else moved(source)
        if base:
            found.add(base)
            for name in names.strip("() \t").split(","):
                name = name.split(" as ")[0].strip()
                if name:
                    found.add(f"{base}.{name}")
    return found


def _module_prefixes(dotted: str):
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        yield ".".join(parts[:end])


def _parse_finding(file: SourceFile, failure: ParseFailure, cell: int | None = None) -> Finding:
    """TFF001; in a notebook, ``cell`` is the code cell and the position is inside it."""
    position = Position(failure.line, failure.column)
    return Finding(
        code=PARSE_ERROR.code,
        name=PARSE_ERROR.name,
        severity=PARSE_ERROR.severity,
        message=failure.reason,
        path=file.display_path,
        start=position,
        end=position,
        cell=cell,
    )


def _filter(findings, file_settings, default: Settings, paths, sources, file_count: int, reported=None) -> Result:
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    tables: dict[str, dict] = {}
    used: set[tuple[str, int, str]] = set()
    for finding in findings:
        settings = file_settings.get(finding.path, default)
        if finding.code not in settings.enabled:
            continue
        if settings.ignored_for(paths.get(finding.path, Path(finding.path)), finding.code):
            continue
        table = tables.get(finding.path)
        if table is None:
            table = tables[finding.path] = line_suppressions(sources.get(finding.path, ""))
        lines = (finding.start.line, finding.end.line)
        entries = suppressing_entries(finding.code, finding.name, lines, table)
        if entries:
            suppressed.append(finding)
            used.update((finding.path, line, entry) for line, entry in entries)
        else:
            kept.append(finding)
    checked = sources if reported is None else {path: source for path, source in sources.items() if path in reported}
    kept.extend(_unused_suppressions(checked, tables, used, file_settings, default))
    kept.sort(key=lambda f: f.sort_key)
    suppressed.sort(key=lambda f: f.sort_key)
    return Result(kept, file_count, suppressed, sources)


def _unused_suppressions(sources, tables, used, file_settings, default: Settings) -> list[Finding]:
    """TFF002 for each suppression entry that suppressed nothing, where TFF002 is enabled."""
    found = []
    for path, source in sources.items():
        settings = file_settings.get(path, default)
        if UNUSED_SUPPRESSION.code not in settings.enabled:
            continue
        table = tables.get(path)
        if table is None:
            table = line_suppressions(source)
        for suppression in table.values():
            for entry in sorted(suppression.entries):
                if (path, suppression.line, entry) in used:
                    continue
                if entry != ALL and not _names_enabled_rule(entry, settings):
                    continue  # about a rule that did not run: cannot tell
                text = "`# noqa`" if entry == ALL else f"`{entry}`"
                position = Position(suppression.line, suppression.column)
                found.append(
                    Finding(
                        code=UNUSED_SUPPRESSION.code,
                        name=UNUSED_SUPPRESSION.name,
                        severity=UNUSED_SUPPRESSION.severity,
                        message=f"unused suppression {text}: nothing here is reported under it; remove it",
                        path=path,
                        start=position,
                        end=position,
                    )
                )
    return found


def _names_enabled_rule(entry: str, settings: Settings) -> bool:
    return any(matches(entry, code, RULES[code].name) for code in settings.enabled)


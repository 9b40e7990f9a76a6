"""Turn command-line paths into the Python files to check, with module names."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pathspec

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "__pycache__", "build",
        "dist", "node_modules", ".mypy_cache", ".pytest_cache", ".eggs", "site-packages",
        ".ruff_cache", ".tflint-fn-cache", ".ipynb_checkpoints",
    }
)


# What a directory walk picks up: modules, stubs and Jupyter notebooks.
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")


class DiscoveryError(Exception):
    """A path the user named does not exist or cannot be listed."""


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    display_path: str  # relative to the working directory when inside it
    module: str
    is_package: bool  # an __init__.py


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def module_name(path: Path) -> tuple[str, bool]:
    """Dotted module name from the enclosing packages (dirs with __init__.py)."""
    is_package = path.name in ("__init__.py", "__init__.pyi")
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists() or (directory / "__init__.pyi").exists():
        parts.append(directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    if not parts:
        parts = [path.parent.name or "__main__"]
    return ".".join(reversed(parts)), is_package


Excluder = Callable[[Path, bool], bool]  # (path, is_dir) -> excluded?


def pattern_excluder(spec: pathspec.PathSpec | None, base: Path) -> Excluder:
    """Match gitignore-style patterns against paths relative to ``base``."""

    def excluded(path: Path, is_dir: bool) -> bool:
        if spec is None:
            return False
        relative = _relative(path, base)
        return spec.match_file(relative + "/" if is_dir else relative)

    return excluded


def discover(
    paths: list[str],
    cwd: Path,
    exclude: pathspec.PathSpec | Excluder | None = None,
    force_exclude: bool = False,
    respect_gitignore: bool = True,
) -> list[SourceFile]:
    excluded = exclude if callable(exclude) else pattern_excluder(exclude, cwd)
    found: dict[Path, SourceFile] = {}
    for raw in paths:
        path = (cwd / raw).absolute()
        if not path.exists():
            raise DiscoveryError(f"{raw}: no such file or directory")
        if path.is_dir():
            for file in _walk(path, excluded, respect_gitignore):
                found.setdefault(file, _source(file, cwd))
        elif force_exclude and (excluded(path, False) or (respect_gitignore and _GitIgnores(path.parent).ignored(path, False))):
            continue
        else:
            found.setdefault(path, _source(path, cwd))  # named explicitly: checked unless --force-exclude
    files = sorted(found.values(), key=lambda f: f.display_path)
    return _unique_module_names(files)


class _GitIgnores:
    """The ``.gitignore`` files that apply below a directory, up to the repository root."""

    def __init__(self, start: Path) -> None:
        self.specs: dict[Path, pathspec.PathSpec] = {}
        directory = start
        while True:
            self.add(directory)
            if (directory / ".git").exists() or directory.parent == directory:
                break
            directory = directory.parent

    def add(self, directory: Path) -> None:
        if directory in self.specs:
            return
        ignore_file = directory / ".gitignore"
        lines: list[str] = []
        if ignore_file.is_file():
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
        self.specs[directory] = _gitignore_spec(lines)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for directory, spec in self.specs.items():
            if spec is None or directory not in path.parents:
                continue
            relative = path.relative_to(directory).as_posix()
            if spec.match_file(relative + "/" if is_dir else relative):
                return True
        return False


def _gitignore_spec(lines: list[str]) -> pathspec.PathSpec | None:
    """A ``.gitignore``'s patterns; a pattern pathspec cannot read (a lone ``\\``) is skipped, not an error."""
    if not lines:
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        valid = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except ValueError:
                continue
            valid.append(line)
        return pathspec.GitIgnoreSpec.from_lines(valid) if valid else None


def _walk(root: Path, excluded: Excluder, respect_gitignore: bool):
    gitignores = _GitIgnores(root) if respect_gitignore else None
    seen_dirs: set[tuple[int, int]] = set()
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            stat = os.stat(directory)
        except OSError:  # removed (or made unreadable) while the walk was under way
            dirnames[:] = []
            continue
        identity = (stat.st_dev, stat.st_ino)
        if identity in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add(identity)
        base = Path(directory)
        if gitignores is not None:
            gitignores.add(base)
        kept = []
        for name in sorted(dirnames):
            if name in DEFAULT_EXCLUDED_DIRS or name.endswith(".egg-info"):
                continue
            if excluded(base / name, True) or (gitignores is not None and gitignores.ignored(base / name, True)):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            file = base / name
            if excluded(file, False) or (gitignores is not None and gitignores.ignored(file, False)):
                continue
            yield file


def _relative(path: Path, cwd: Path) -> str:
    return display_path(path, cwd)


def _source(path: Path, cwd: Path) -> SourceFile:
    name, is_package = module_name(path)
    return SourceFile(path, display_path(path, cwd), name, is_package)


def _unique_module_names(files: list[SourceFile]) -> list[SourceFile]:
    """Give every file its own module name, whatever the layout.

    Two top-level scripts with one name (``train.py``, ``tools/train.py``)
    would otherwise be one module and one file's findings would be lost. The
    file nearest the top keeps its name (as Python would import it from
    there); the others are named after their display path, and where even
    that is taken, numbered.
    """
    by_name: dict[str, list[SourceFile]] = {}
    for file in files:
        by_name.setdefault(file.module, []).append(file)
    taken = set(by_name)
    renamed: dict[Path, str] = {}
    for name, group in by_name.items():
        if len(group) == 1:
            continue
        group = sorted(group, key=lambda f: (f.display_path.count("/"), f.display_path))
        for file in group[1:]:
            candidate = _path_module_name(file) or name
            number = 2
            unique = candidate
            while unique in taken:
                unique = f"{candidate}_{number}"
                number += 1
            taken.add(unique)
            renamed[file.path] = unique
    return [
        SourceFile(file.path, file.display_path, renamed[file.path], file.is_package) if file.path in renamed else file
        for file in files
    ]


def _path_module_name(file: SourceFile) -> str | None:
    """``tools/train.py`` -> ``tools.train``, when every part is an identifier."""
    parts = file.display_path.rsplit(".", 1)[0].split("/")
    if file.is_package:
        parts = parts[:-1]
    if parts and all(part.isidentifier() for part in parts):
        return ".".join(parts)
    return None

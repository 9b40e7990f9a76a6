"""Turn command-line paths into the Python files to check, with module names."""

from __future__ import annotations

import os
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


def discover(
    paths: list[str], cwd: Path, exclude: pathspec.PathSpec | None = None, force_exclude: bool = False
) -> list[SourceFile]:
    found: dict[Path, SourceFile] = {}
    for raw in paths:
        path = (cwd / raw).absolute()
        if not path.exists():
            raise DiscoveryError(f"{raw}: no such file or directory")
        if path.is_dir():
            for file in _walk(path, cwd, exclude):
                found.setdefault(file, _source(file, cwd))
        elif force_exclude and exclude is not None and exclude.match_file(_relative(path, cwd)):
            continue
        else:
            found.setdefault(path, _source(path, cwd))  # named explicitly: checked unless --force-exclude
    files = sorted(found.values(), key=lambda f: f.display_path)
    return _unique_module_names(files)


def _walk(root: Path, cwd: Path, exclude: pathspec.PathSpec | None):
    seen_dirs: set[tuple[int, int]] = set()
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        stat = os.stat(directory)
        identity = (stat.st_dev, stat.st_ino)
        if identity in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add(identity)
        base = Path(directory)
        kept = []
        for name in sorted(dirnames):
            if name in DEFAULT_EXCLUDED_DIRS or name.endswith(".egg-info"):
                continue
            if exclude is not None and exclude.match_file(_relative(base / name, cwd) + "/"):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith((".py", ".pyi")):
                continue
            file = base / name
            if exclude is not None and exclude.match_file(_relative(file, cwd)):
                continue
            yield file


def _relative(path: Path, cwd: Path) -> str:
    return display_path(path, cwd)


def _source(path: Path, cwd: Path) -> SourceFile:
    name, is_package = module_name(path)
    return SourceFile(path, display_path(path, cwd), name, is_package)


def _unique_module_names(files: list[SourceFile]) -> list[SourceFile]:
    """Two top-level scripts with one name (``a/train.py``, ``b/train.py``) get distinct names."""
    seen: set[str] = set()
    result = []
    for file in files:
        name = file.module
        if name in seen:
            name = file.display_path.removesuffix(".py").replace("/", ".")
        seen.add(name)
        result.append(SourceFile(file.path, file.display_path, name, file.is_package))
    return result

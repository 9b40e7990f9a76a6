"""Turn command-line paths into the Python files to check, with module names."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec


def compile_patterns(lines: list[str]) -> pathspec.PathSpec:
    """Gitignore-style patterns, matched with pathspec (imported only by a run that has some)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


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
    module: str  # the name the analysis knows it by (unique in a run)
    is_package: bool  # an __init__.py
    # The folder Python would import it from (sys.path[0] for a script, the
    # folder above its top package), and the name it is imported by from there.
    root: Path | None = None
    natural: str = ""


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
        return compile_patterns(lines)
    except ValueError:
        valid = []
        for line in lines:
            try:
                compile_patterns([line])
            except ValueError:
                continue
            valid.append(line)
        return compile_patterns(valid) if valid else None


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
    return SourceFile(path, display_path(path, cwd), name, is_package, import_root(path, name, is_package), name)


def source_file(path: Path, cwd: Path) -> SourceFile:
    """One file as discovery would give it (its name may still clash: see ``with_file``)."""
    return _source(path.absolute(), cwd)


def with_file(files: list[SourceFile], path: Path, cwd: Path) -> list[SourceFile]:
    """``files`` and one more (a buffer from stdin), module names unique again."""
    path = path.absolute()
    if any(file.path == path for file in files):
        return files
    natural = [replace(file, module=file.natural or file.module) for file in files]
    return _unique_module_names(sorted([*natural, _source(path, cwd)], key=lambda f: f.display_path))


def import_root(path: Path, module: str, is_package: bool) -> Path:
    """The folder to put on sys.path so that ``module`` imports from ``path``."""
    root = path.parent
    depth = len(module.split(".")) - (0 if is_package else 1)
    for _ in range(depth):
        root = root.parent
    return root


def _unique_module_names(files: list[SourceFile]) -> list[SourceFile]:
    """Give every file its own module name, as Python would import it.

    Python imports a top-level name from the folder a script runs in (or the
    folder above a package), not from anywhere in the tree: ``tools/numpy.py``
    does not hide NumPy from ``train.py`` beside ``tools/``. The files under
    the one shallowest such folder (the primary root) keep their names; a file
    under a root below it is named after its path from there (``tools.numpy``),
    and ``import_prefixes`` tells its neighbours how to find it. Two files
    that still share a name (``train.py`` twice) are told apart the same way:
    the one nearest the top keeps its name, the others are named after their
    display path, and where even that is taken, numbered.
    """
    primary = _primary_root(files)
    return _unique_module_names_only([_rooted(file, primary) for file in files])


def _unique_module_names_only(files: list[SourceFile]) -> list[SourceFile]:
    """Duplicate names told apart: the file nearest the top keeps it, the others are renamed by path."""
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
    return [replace(file, module=renamed[file.path]) if file.path in renamed else file for file in files]


def _primary_root(files: list[SourceFile]) -> Path | None:
    """The one shallowest import root (the project's top), if there is one.

    Sibling folders of scripts at the same depth (``lesson1/``, ``lesson2/``)
    have none: each keeps its modules' names, and a name two of them share is
    told apart as duplicates are.
    """
    roots = {file.root for file in files if file.root is not None}
    if not roots:
        return None
    shallowest = min(len(root.parts) for root in roots)
    top = [root for root in roots if len(root.parts) == shallowest]
    return top[0] if len(top) == 1 else None


def _rooted(file: SourceFile, primary: Path | None) -> SourceFile:
    """Under a root below the primary one, the name is prefixed with the root's path."""
    if primary is None or file.root is None or file.root == primary:
        return file
    try:
        parts = file.root.relative_to(primary).parts
    except ValueError:
        parts = file.root.parts[-2:]
    prefix = _identifier_parts(parts)
    if not prefix:
        return file
    return replace(file, module=".".join([*prefix, file.natural or file.module]))


def isolate(files: list[SourceFile], imported: dict[Path, set[str]]) -> list[SourceFile]:
    """Rename the top-level modules that another folder imports by name but cannot see.

    ``tools/numpy.py`` beside ``other/train.py`` (``import numpy``): Python
    gives ``other/train.py`` NumPy, so the project module must not be called
    ``numpy``. ``imported``: the top-level names each import root's files import.
    """
    tops_by_root: dict[Path, set[str]] = {}
    for file in files:
        if file.root is not None:
            tops_by_root.setdefault(file.root, set()).add((file.natural or file.module).split(".", 1)[0])
    primary = _primary_root(files)  # its modules are seen from every folder (the project's top on sys.path)
    changed = []
    for file in files:
        natural = file.natural or file.module
        if file.root == primary:
            changed.append(file)
            continue
        top = natural.split(".", 1)[0]
        hidden_from = [
            root for root, names in imported.items()
            if root != file.root and top in names and top not in tops_by_root.get(root, ())
        ]
        if hidden_from and file.module == natural and file.root is not None:
            changed.append(replace(file, module=".".join([*_identifier_parts(file.root.parts[-1:]), natural])))
        else:
            changed.append(file)
    return _unique_module_names_only(changed) if changed != files else files


def _identifier_parts(parts) -> list[str]:
    return [part if part.isidentifier() else "_" + "".join(c if c.isalnum() else "_" for c in part) for part in parts]


def import_prefixes(files: list[SourceFile]) -> dict[Path, dict[str, str]]:
    """For each import root whose files were renamed: top-level name -> the module-name prefix it stands for.

    ``tools/train.py`` doing ``import numpy`` gets ``tools/numpy.py`` (named
    ``tools.numpy``) when there is one, and NumPy everywhere else.
    """
    found: dict[Path, dict[str, str]] = {}
    for file in files:
        if file.root is None or not file.natural:
            continue
        top = file.natural.split(".", 1)[0]
        depth = file.natural.count(".")
        if depth and file.module.count(".") < depth:
            continue
        key_parts = file.module.split(".")
        prefix = ".".join(key_parts[: len(key_parts) - depth]) if depth else file.module
        if prefix != top:
            found.setdefault(file.root, {}).setdefault(top, prefix)
    return found


def _path_module_name(file: SourceFile) -> str | None:
    """``tools/train.py`` -> ``tools.train``, when every part is an identifier."""
    parts = file.display_path.rsplit(".", 1)[0].split("/")
    if file.is_package:
        parts = parts[:-1]
    if parts and all(part.isidentifier() for part in parts):
        return ".".join(parts)
    return None

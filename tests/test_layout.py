"""The package layout shows the pipeline: each stage imports only earlier stages, and no modules import each other."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "tflint_fn"
# The stages in pipeline order; a module may import its own stage and earlier ones.
STAGES = ["sources", "model", "function", "project", "checks", "reporters"]
# Beside the stages: the shared contract (findings.py) comes first, the orchestration last.
FIRST = {"findings", "registry", "processes"}
LAST = {"engine", "analysis", "cli", "__main__", "cache", "config", "dynamic"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(("tflint_fn",) + parts).removesuffix(".__init__"), path


def _imports(path: Path, module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    known = {name for name, _ in _modules()}
    return {name for name in found if name in known and name != module}


def _rank(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in FIRST:
        return -1
    if parts[1] in STAGES:
        return STAGES.index(parts[1])
    return len(STAGES)  # engine, cli, cache, config, dynamic: after every stage


@pytest.mark.parametrize("module, path", list(_modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_stage_imports_a_later_one(module, path):
    later = sorted(name for name in _imports(path, module) if _rank(name) > _rank(module) and name != "tflint_fn")
    assert not later, f"{module} (stage {_rank(module)}) imports later stages: {later}"


def test_no_import_cycles():
    graph = {module: _imports(path, module) - {"tflint_fn"} for module, path in _modules()}
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}  # a package's own __init__
    cycles = []

    def visit(node, stack, seen):
        for dep in sorted(graph.get(node, ())):
            if dep in stack:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in seen:
                seen.add(dep)
                visit(dep, stack + [dep], seen)

    for module in sorted(graph):
        visit(module, [module], {module})
    assert not cycles, f"import cycles: {cycles[:3]}"


def test_every_stage_package_exists_and_says_what_it_does():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file() and ast.get_docstring(ast.parse(init.read_text())), stage

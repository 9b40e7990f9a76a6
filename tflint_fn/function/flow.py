"""Statement-order facts inside one function body.

Where a statement sits (its block and the blocks around it), which names a
piece of code binds or reads, and whether a name is read after a statement
before being assigned again. AutoGraph's own checks are about exactly this:
a variable a tensor ``if`` defines on one branch only, a loop variable that
is ``None`` when the loop first reads it.
"""

from __future__ import annotations

import libcst as cst

from tflint_fn.model.scopes import collect_bindings, target_names
from tflint_fn.sources.cstwalk import walk

NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

# (statements of a block, index of the statement in it), innermost first.
Path = list[tuple[tuple[cst.BaseStatement, ...], int]]


def blocks_of(statement: cst.BaseStatement) -> list[tuple[cst.BaseStatement, ...]]:
    """The statement lists directly inside a compound statement."""
    suites: list[cst.BaseSuite] = []
    elif_block: list[tuple[cst.BaseStatement, ...]] = []
    if isinstance(statement, cst.If):
        suites.append(statement.body)
        if isinstance(statement.orelse, cst.If):
            elif_block.append((statement.orelse,))
        elif statement.orelse is not None:
            suites.append(statement.orelse.body)
    elif isinstance(statement, (cst.For, cst.While)):
        suites.append(statement.body)
        if statement.orelse is not None:
            suites.append(statement.orelse.body)
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        suites.append(statement.body)
        suites.extend(handler.body for handler in statement.handlers)
        if statement.orelse is not None:
            suites.append(statement.orelse.body)
        if statement.finalbody is not None:
            suites.append(statement.finalbody.body)
    elif isinstance(statement, cst.With):
        suites.append(statement.body)
    elif isinstance(statement, cst.Match):
        suites.extend(case.body for case in statement.cases)
    return [tuple(suite.body) for suite in suites if isinstance(suite, cst.IndentedBlock)] + elif_block


def locate(function: cst.FunctionDef, target: cst.BaseStatement) -> Path | None:
    """The blocks around ``target``, from its own block out to the function body."""
    if not isinstance(function.body, cst.IndentedBlock):
        return None

    def search(block: tuple[cst.BaseStatement, ...]) -> Path | None:
        for index, statement in enumerate(block):
            if statement is target:
                return [(block, index)]
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue
            for inner in blocks_of(statement):
                path = search(inner)
                if path is not None:
                    return path + [(block, index)]
        return None

    return search(tuple(function.body.body))


def assigned_names(node: cst.CSTNode) -> set[str]:
    """Names bound anywhere in ``node``, outside nested scopes."""
    names: set[str] = set()
    collect_bindings(node, names)
    return names


def reads(node: cst.CSTNode, name: str, skip_none_tests: bool = False) -> bool:
    """Whether ``node`` reads ``name`` (outside nested scopes).

    With ``skip_none_tests``, ``name is None`` / ``name is not None`` do not
    count: they are how code guards a value that starts as ``None``.
    """
    bound: set[int] = set()
    found = False

    def enter(current: cst.CSTNode) -> bool:
        nonlocal found
        if found:
            return False
        node_type = type(current)  # exact tests: every node of the body passes here
        if node_type in (cst.AssignTarget, cst.AnnAssign, cst.For, cst.NamedExpr):
            _binding_name_ids(current.target, bound)
        elif node_type is cst.WithItem and current.asname is not None:
            _binding_name_ids(current.asname.name, bound)
        elif node_type in (cst.FunctionDef, cst.ClassDef):
            return False
        elif skip_none_tests and node_type is cst.Comparison and _is_none_test(current, name):
            return False
        elif node_type is cst.Name and current.value == name and id(current) not in bound:
            found = True
            return False
        return node_type not in NESTED_SCOPES

    walk(node, enter)
    return found


def _effect(statements, name: str, skip_none_tests: bool = False) -> str | None:
    """What running ``statements`` first does to ``name``: "read", "killed" (assigned
    on every path before any read) or None (neither, on some path)."""
    for statement in statements:
        effect = _statement_effect(statement, name, skip_none_tests)
        if effect is not None:
            return effect
    return None


def _statement_effect(statement: cst.CSTNode, name: str, skip_none_tests: bool) -> str | None:
    def block(suite) -> str | None:
        if suite is None:
            return None
        if isinstance(suite, cst.If):  # elif
            return _statement_effect(suite, name, skip_none_tests)
        body = suite.body if isinstance(suite, (cst.Else, cst.Finally, cst.ExceptHandler)) else suite
        return _effect(body.body, name, skip_none_tests)

    if isinstance(statement, cst.SimpleStatementLine):
        return _effect(statement.body, name, skip_none_tests)
    if isinstance(statement, cst.If):
        if reads(statement.test, name, skip_none_tests):
            return "read"
        effects = (block(statement.body), block(statement.orelse))
        if "read" in effects:
            return "read"
        return "killed" if effects == ("killed", "killed") else None
    if isinstance(statement, (cst.For, cst.While)):
        head = statement.iter if isinstance(statement, cst.For) else statement.test
        if reads(head, name, skip_none_tests):
            return "read"
        if isinstance(statement, cst.For) and name in _bound_by(statement.target):
            return None  # the body reads the loop's own binding
        if "read" in (block(statement.body), block(statement.orelse)):
            return "read"
        return None  # the loop may not run
    if isinstance(statement, cst.With):
        if any(reads(item.item, name, skip_none_tests) for item in statement.items):
            return "read"
        if any(item.asname is not None and name in _bound_by(item.asname.name) for item in statement.items):
            return "killed"
        return block(statement.body)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        parts = [block(statement.body)] + [block(h) for h in statement.handlers]
        parts += [block(statement.orelse), block(statement.finalbody)]
        return "read" if "read" in parts else None
    if isinstance(statement, (cst.Assign, cst.AnnAssign)):
        if statement.value is not None and reads(statement.value, name, skip_none_tests):
            return "read"
        targets: set[str] = set()
        for target in statement.targets if isinstance(statement, cst.Assign) else (statement,):
            target_names(target.target, targets)
        if name in targets:
            return "killed"
        return "read" if reads(statement, name, skip_none_tests) else None
    return "read" if reads(statement, name, skip_none_tests) else None


def read_later(path: Path, name: str) -> bool:
    """Whether ``name`` may be read after the located statement before being reassigned."""
    for block, index in path:
        effect = _effect(block[index + 1 :], name)
        if effect is not None:
            return effect == "read"
    return False


def read_before_assigned(body: cst.BaseSuite, name: str) -> bool:
    """Whether a block may read ``name`` before assigning it (ignoring ``is None`` tests)."""
    return _effect(body.body, name, skip_none_tests=True) == "read"


def assigned_before(path: Path, name: str) -> bool:
    """Whether a statement before the located one (in its block or around it) binds ``name``."""
    return any(name in assigned_names(statement) for block, index in path for statement in block[:index])


def value_before(path: Path, name: str) -> cst.BaseExpression | None:
    """The value of the last plain ``name = value`` before the located statement.

    Only a statement of the same block or an enclosing one counts, and only
    when nothing between it and the located statement rebinds ``name``.
    """
    for block, index in path:
        for statement in reversed(block[:index]):
            if not isinstance(statement, cst.SimpleStatementLine):
                if name in assigned_names(statement):
                    return None
                continue
            for small in reversed(statement.body):
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if isinstance(target, cst.Name) and target.value == name:
                        return small.value
                if name in assigned_names(small):
                    return None
    return None


def _bound_by(target: cst.BaseExpression) -> set[str]:
    names: set[str] = set()
    target_names(target, names)
    return names


def _binding_name_ids(target: cst.BaseExpression, ids: set[int]) -> None:
    if isinstance(target, cst.Name):
        ids.add(id(target))
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _binding_name_ids(element.value, ids)
    elif isinstance(target, cst.StarredElement):
        _binding_name_ids(target.value, ids)


def tests_none(node: cst.CSTNode, name: str) -> bool:
    """Whether ``node`` contains ``name is None`` or ``name is not None``."""
    found = False

    def enter(current: cst.CSTNode) -> bool:
        nonlocal found
        found = found or _is_none_test(current, name)
        return not found and not isinstance(current, NESTED_SCOPES)

    walk(node, enter)
    return found


def _is_none_test(node: cst.CSTNode, name: str) -> bool:
    return (
        isinstance(node, cst.Comparison)
        and isinstance(node.left, cst.Name)
        and node.left.value == name
        and len(node.comparisons) == 1
        and isinstance(node.comparisons[0].operator, (cst.Is, cst.IsNot))
        and isinstance(node.comparisons[0].comparator, cst.Name)
        and node.comparisons[0].comparator.value == "None"
    )

"""Resolve a name in a function to a project function or an outside API."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from tflint_fn.model.names import BUILTIN_NAMES, canonical, dotted_name
from tflint_fn.model.summary import FunctionInfo, ModuleInfo


@dataclass(frozen=True, slots=True)
class External:
    """A callee outside the project, by canonical qualified name."""

    qualified: str


@dataclass(frozen=True, slots=True)
class ProjectName:
    """A callee in the project, by global qualified name (``pkg.mod.f``)."""

    qualified: str


@dataclass(frozen=True, slots=True)
class MethodRef:
    """``self.m`` / ``cls.m`` / ``super().m`` inside a class."""

    class_key: str
    method: str
    via_super: bool = False


@dataclass(frozen=True, slots=True)
class LocalFunction:
    function: FunctionInfo


Target = External | ProjectName | MethodRef | LocalFunction


class Resolver:
    """Resolves names in a function to project functions or external names."""

    def __init__(self, project) -> None:
        self.project = project

    def resolve(
        self,
        node: cst.BaseExpression,
        module: ModuleInfo,
        function: FunctionInfo | None,
        local_names: set[str] | frozenset[str] = frozenset(),
    ) -> Target | None:
        # Exact types, as in the walker: LibCST's classes are ABCs (slow isinstance misses).
        node_type = type(node)
        if node_type is cst.Name:
            name = node.value
            scope = function
            while scope is not None:
                if name in scope.nested:
                    return LocalFunction(scope.nested[name])
                scope = scope.parent
            if name in local_names:
                return None
            if name in module.module_names:
                qualified = f"{module.name}.{name}"
                if name in module.imports.aliases:
                    return self._imported(module.imports.resolve_dotted(name))
                return ProjectName(qualified)
            if name in module.imports.aliases:
                return self._imported(module.imports.resolve_dotted(name))
            if name in BUILTIN_NAMES:
                return External(name)
            return None
        if node_type is cst.Attribute:
            base = node.value
            in_class = function is not None and function.class_qualname is not None
            if type(base) is cst.Name and base.value in ("self", "cls") and in_class:
                if base.value not in local_names or _is_first_param(function, base.value):
                    return MethodRef(f"{module.name}.{function.class_qualname}", node.attr.value)
            if (
                type(base) is cst.Call
                and type(base.func) is cst.Name
                and base.func.value == "super"
                and in_class
            ):
                return MethodRef(f"{module.name}.{function.class_qualname}", node.attr.value, via_super=True)
            dotted = dotted_name(node)
            if dotted is None:
                return None
            head = dotted.split(".", 1)[0]
            if head in local_names:
                return None
            if head in module.imports.aliases:
                return self._imported(module.imports.resolve_dotted(dotted))
            if head in module.classes and "." in dotted:
                return ProjectName(f"{module.name}.{dotted}")
            if dotted.count(".") == 1 and (function is None or head in module.module_names):
                # `tracker.record(x)`, at the top level or in a function, on a module-level instance
                return self._instance_method(module, head, node.attr.value)
        return None

    def _instance_method(self, module: ModuleInfo, name: str, method: str) -> Target | None:
        """``model.run(...)`` at a script's top level, where ``model = Model(...)`` made a project class's instance."""
        bindings = module.global_bindings.get(name)
        if not bindings or bindings[-1].kind != "call" or bindings[-1].callee is None:
            return None
        callee = bindings[-1].callee
        qualified = f"{module.name}.{callee}" if callee in module.classes else callee
        class_info = self.project.class_(qualified)
        return MethodRef(class_info.key, method) if class_info is not None else None

    def _imported(self, qualified: str | None) -> Target | None:
        if qualified is None:
            return None
        if self.project.owns(qualified):
            if self.project.function(qualified) is None and self.project.class_(qualified) is None:
                outside = self.project.external_name(qualified)
                if outside is not None:
                    return External(outside)
            return ProjectName(qualified)
        return External(canonical(qualified))

    def overrides(self, target: Target) -> list[FunctionInfo]:
        """For ``self.m()``, the ``m`` of project subclasses: any of them may run."""
        if not isinstance(target, MethodRef) or target.via_super:
            return []
        return [
            child.methods[target.method]
            for child in self.project.subclasses(target.class_key)
            if target.method in child.methods and not child.methods[target.method].is_property
        ]

    def function_of(self, target: Target, caller: FunctionInfo | None = None) -> FunctionInfo | None:
        if isinstance(target, LocalFunction):
            return target.function
        if isinstance(target, ProjectName):
            return self.project.function(target.qualified)
        if isinstance(target, MethodRef):
            return self.project.method(target.class_key, target.method, skip_own=target.via_super)
        return None


def _is_first_param(function: FunctionInfo, name: str) -> bool:
    params = function.params()
    return bool(params) and params[0].name == name

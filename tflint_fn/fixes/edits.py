"""The fix of each rule, built from a finding's node: which edit, and how safe.

A builder gets the node the finding points at and the file's imports, and
returns a ``Plan`` (text edits, ``safe`` or ``unsafe``, a message) or None when
no correct edit exists for that spelling. Replacements reuse the text of the
sub-expressions as written, so comments and line breaks inside them stay.

Safe: the fixed code means what the original meant, for every input the
original accepted (with TensorFlow 2.21, float and integer tensors compared
against NumPy and ``math``). Unsafe: it may differ (another random stream,
integer results of another dtype); applied only with ``--unsafe-fixes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from tflint_fn.fixes.units import Imports, Unit
from tflint_fn.model.names import canonical

SAFE, UNSAFE = "safe", "unsafe"


@dataclass(frozen=True)
class TextEdit:
    unit: int  # index of the file's unit (a notebook's cell)
    start: int  # offsets in the unit's text
    end: int
    content: str


@dataclass
class Plan:
    code: str
    applicability: str
    message: str
    edits: list[TextEdit] = field(default_factory=list)
    # TFF401's `tf.constant(...)` at a call site: "float" when the value is a float as written, else "number";
    # a --dynamic proof calls the tf.function with such tensors (fixes/proof.py)
    constant: str | None = None


class FileFixer:
    """Builds plans for the findings of one file."""

    def __init__(self, units: list[Unit]) -> None:
        self.units = units
        self.imports = Imports.of(units)
        self.finding = None  # the finding whose plan is being built (its traced-by chain names the tf.function)

    def unit_index(self, unit: Unit) -> int:
        return next(index for index, candidate in enumerate(self.units) if candidate is unit)

    def replace(self, unit: Unit, node: cst.CSTNode, content: str) -> TextEdit:
        start, end = unit.span(node)
        return TextEdit(self.unit_index(unit), start, end, content)

    def insert(self, unit: Unit, offset: int, content: str) -> TextEdit:
        return TextEdit(self.unit_index(unit), offset, offset, content)

    def module_name(self, module: str, preferred: str) -> tuple[str, list[TextEdit]] | None:
        """How to name ``module`` here: its alias, or ``preferred`` with a new import line."""
        alias = self.imports.alias_of(module)
        if alias is not None:
            return alias, []
        if preferred in self.imports.names or preferred in self.imports.bound or self.imports.anchor is None:
            return None
        unit, offset = self.imports.anchor
        line = f"import {module}" if preferred == module else f"import {module} as {preferred}"
        return preferred, [self.insert(unit, offset, line + unit.newline())]

    def plan(self, code: str, unit: Unit, nodes: list[cst.CSTNode], finding=None) -> Plan | None:
        builder = BUILDERS.get(code)
        if builder is None:
            return None
        self.finding = finding
        for node in nodes:
            if code in _NEW_TENSOR_CODES and not _autograph_converts(finding) and _feeds_a_python_condition(unit, node):
                return None
            plan = builder(self, unit, node)
            if plan is not None:
                plan.code = code
                return plan
        return None


def _positional(call: cst.Call) -> list[cst.BaseExpression] | None:
    """The positional arguments, or None when a call has ``*args``/``**kwargs``."""
    if any(arg.star for arg in call.args):
        return None
    return [arg.value for arg in call.args if arg.keyword is None]


def _keywords(call: cst.Call) -> dict[str, cst.BaseExpression]:
    return {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}


def _positional_first(call: cst.Call) -> bool:
    """No positional argument after a keyword (``f(a, k=1)``, never ``f(k=1, *a)``)."""
    seen_keyword = False
    for arg in call.args:
        if arg.keyword is not None or arg.star == "**":
            seen_keyword = True
        elif seen_keyword:
            return False
    return True


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


# --- TFF101 print -> tf.print -------------------------------------------------

def _embeds_text_of_value(node: cst.BaseExpression) -> bool:
    """An argument that turns a value into text while tracing: f-string, ``%``, ``.format``, ``str()``."""
    if isinstance(node, cst.FormattedString):
        return any(isinstance(part, cst.FormattedStringExpression) for part in node.parts)
    if isinstance(node, cst.ConcatenatedString):
        return _embeds_text_of_value(node.left) or _embeds_text_of_value(node.right)
    if isinstance(node, cst.BinaryOperation):
        return isinstance(node.operator, cst.Modulo) and isinstance(node.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)) or (
            isinstance(node.operator, cst.Add) and (_embeds_text_of_value(node.left) or _embeds_text_of_value(node.right))
        )
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("str", "repr", "format"):
            return True
        return isinstance(func, cst.Attribute) and func.attr.value == "format"
    return False


def fix_print(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name) or node.func.value != "print":
        return None
    if any(arg.star == "**" for arg in node.args) or not _positional_first(node):
        return None
    keywords = _keywords(node)
    if set(keywords) - {"sep", "end", "file"}:
        return None  # `flush=`: tf.print has no such argument
    if any(_embeds_text_of_value(arg.value) for arg in node.args if arg.keyword is None):
        return None  # the text is made at trace time: tf.print would print the symbolic tensor too
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    stream = keywords.get("file")
    if stream is not None:
        target = fixer.imports.qualified(stream)
        if target not in ("sys.stdout", "sys.stderr"):
            return None  # a file object: tf.print writes to a stream or a `file://` path only
        keyword_arg = next(arg for arg in node.args if arg.keyword is not None and arg.keyword.value == "file")
        edits.append(fixer.replace(unit, keyword_arg.keyword, "output_stream"))
        where = target
    else:
        sys_name = fixer.module_name("sys", "sys")
        if sys_name is None:
            return None
        name, import_edits = sys_name
        edits.extend(import_edits)
        stream_text = f"output_stream={name}.stdout"
        if node.args:
            _, last_end = unit.span(node.args[-1].value)
            edits.append(fixer.insert(unit, last_end, ", " + stream_text))
        else:
            _, call_end = unit.span(node)
            edits.append(fixer.insert(unit, call_end - 1, stream_text))  # before `)`
        where = "sys.stdout"
    edits.insert(0, fixer.replace(unit, node.func, f"{tf_name}.print"))
    return Plan("", SAFE, f"Replace `print` with `tf.print` (same arguments, `sep` and `end`; to `{where}` as before)", edits)


# --- TFF203 NumPy -> TensorFlow ------------------------------------------------

@dataclass(frozen=True)
class Equivalent:
    """A NumPy function's TensorFlow twin, checked with TensorFlow 2.21."""

    tf: str  # under the `tf` alias: `reduce_mean`, `math.log`
    positional: tuple[str, ...]  # NumPy's positional parameters accepted, in order (the same order in TF)
    keywords: dict = field(default_factory=dict)  # NumPy keyword -> TF keyword
    required: tuple[str, ...] = ()  # NumPy parameters that must be given (`argmax` without `axis` flattens)
    add: str = ""  # an argument TF needs and NumPy defaults (`axis=0` for `concat`)
    min_positional: int = 1
    unsafe: str = ""  # why the fix is unsafe ("" = safe)


_REDUCE = {"axis": "axis", "keepdims": "keepdims"}
_NAN_INDEX = "with NaN values NumPy returns the first NaN's index, TensorFlow another"
_INT_ACCUMULATES = "on integer tensors NumPy accumulates in int64, TensorFlow in the tensor's dtype"

NUMPY_EQUIVALENTS: dict[str, Equivalent] = {
    "mean": Equivalent("reduce_mean", ("a", "axis"), _REDUCE,
                       unsafe="on integer tensors NumPy returns the float64 mean, `tf.reduce_mean` an integer"),
    "average": Equivalent("reduce_mean", ("a", "axis"), {"axis": "axis"},
                          unsafe="on integer tensors NumPy returns the float64 mean, `tf.reduce_mean` an integer"),
    "sum": Equivalent("reduce_sum", ("a", "axis"), _REDUCE, unsafe=_INT_ACCUMULATES),
    "prod": Equivalent("reduce_prod", ("a", "axis"), _REDUCE, unsafe=_INT_ACCUMULATES),
    "max": Equivalent("reduce_max", ("a", "axis"), _REDUCE),
    "amax": Equivalent("reduce_max", ("a", "axis"), _REDUCE),
    "min": Equivalent("reduce_min", ("a", "axis"), _REDUCE),
    "amin": Equivalent("reduce_min", ("a", "axis"), _REDUCE),
    "std": Equivalent("math.reduce_std", ("a", "axis"), _REDUCE),
    "var": Equivalent("math.reduce_variance", ("a", "axis"), _REDUCE),
    "square": Equivalent("square", ("x",)),
    "sqrt": Equivalent("sqrt", ("x",)),
    "exp": Equivalent("exp", ("x",)),
    "log": Equivalent("math.log", ("x",)),
    "log1p": Equivalent("math.log1p", ("x",)),
    "abs": Equivalent("abs", ("x",)),
    "absolute": Equivalent("abs", ("x",)),
    "negative": Equivalent("negative", ("x",)),
    "sign": Equivalent("sign", ("x",)),
    "tanh": Equivalent("tanh", ("x",)),
    "sin": Equivalent("sin", ("x",)),
    "cos": Equivalent("cos", ("x",)),
    "floor": Equivalent("floor", ("x",)),
    "ceil": Equivalent("math.ceil", ("x",)),
    "maximum": Equivalent("maximum", ("x1", "x2"), min_positional=2),
    "minimum": Equivalent("minimum", ("x1", "x2"), min_positional=2),
    "power": Equivalent("pow", ("x1", "x2"), min_positional=2),
    "matmul": Equivalent("linalg.matmul", ("x1", "x2"), min_positional=2),
    "where": Equivalent("where", ("condition", "x", "y"), min_positional=3),
    "clip": Equivalent("clip_by_value", ("a", "a_min", "a_max"), min_positional=3),
    "concatenate": Equivalent("concat", ("arrays", "axis"), {"axis": "axis"}, add="axis=0"),
    "stack": Equivalent("stack", ("arrays", "axis"), {"axis": "axis"}),
    "reshape": Equivalent("reshape", ("a", "shape"), {"newshape": "shape", "shape": "shape"}, required=("shape",)),
    "transpose": Equivalent("transpose", ("a", "axes"), {"axes": "perm"}),
    "expand_dims": Equivalent("expand_dims", ("a", "axis"), {"axis": "axis"}, required=("axis",)),
    "squeeze": Equivalent("squeeze", ("a", "axis"), {"axis": "axis"}),
    "argmax": Equivalent("argmax", ("a", "axis"), {"axis": "axis"}, required=("axis",), unsafe=_NAN_INDEX),
    "argmin": Equivalent("argmin", ("a", "axis"), {"axis": "axis"}, required=("axis",), unsafe=_NAN_INDEX),
    "cumsum": Equivalent("cumsum", ("a", "axis"), {"axis": "axis"}, required=("axis",), unsafe=_INT_ACCUMULATES),
    "zeros_like": Equivalent("zeros_like", ("a",)),
    "ones_like": Equivalent("ones_like", ("a",)),
}


def fix_numpy(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not isinstance(node, cst.Call):
        return None
    qualified = fixer.imports.qualified(node.func)
    if qualified is None or not qualified.startswith("numpy.") or qualified.count(".") != 1:
        return None
    name = qualified.split(".")[1]
    equivalent = NUMPY_EQUIVALENTS.get(name)
    positional = _positional(node)
    if equivalent is None or positional is None or not _positional_first(node):
        return None
    keywords = _keywords(node)
    if len(positional) > len(equivalent.positional) or len(positional) < equivalent.min_positional:
        return None
    if set(keywords) - set(equivalent.keywords):
        return None  # `dtype=`, `out=`, `ddof=`, `order=`, `where=`: no exact TF twin
    given = set(equivalent.positional[: len(positional)]) | {
        numpy_name for numpy_name in keywords if numpy_name in equivalent.keywords
    }
    given |= {equivalent.keywords[k] for k in keywords}
    if any(required not in given for required in equivalent.required):
        return None
    if any(_is_none(value) for value in positional[1:]) or any(_is_none(value) for value in keywords.values()):
        return None  # `axis=None` flattens in NumPy; `clip(x, None, 1)` has no TF spelling
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    edits.append(fixer.replace(unit, node.func, f"{tf_name}.{equivalent.tf}"))
    for arg in node.args:
        if arg.keyword is not None and equivalent.keywords[arg.keyword.value] != arg.keyword.value:
            edits.append(fixer.replace(unit, arg.keyword, equivalent.keywords[arg.keyword.value]))
    if equivalent.add and len(positional) < 2 and "axis" not in keywords:
        _, last_end = unit.span(node.args[-1].value)
        edits.append(fixer.insert(unit, last_end, ", " + equivalent.add))
    applicability = UNSAFE if equivalent.unsafe else SAFE
    why = f" (unsafe: {equivalent.unsafe})" if equivalent.unsafe else ""
    return Plan("", applicability, f"Replace `np.{name}` with `tf.{equivalent.tf}`{why}", edits)


# --- TFF204 math -> tf.math ------------------------------------------------------

# math function -> (tf.math function, number of arguments, why unsafe or "")
MATH_EQUIVALENTS: dict[str, tuple[str, int, str]] = {
    **{name: (name, 1, "") for name in (
        "sqrt", "exp", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos", "atan",
        "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc", "lgamma",
    )},
    "log": ("log", 1, ""),
    "fabs": ("abs", 1, ""),
    "isnan": ("is_nan", 1, ""),
    "isinf": ("is_inf", 1, ""),
    "isfinite": ("is_finite", 1, ""),
    "atan2": ("atan2", 2, ""),
    "pow": ("pow", 2, ""),
    "floor": ("floor", 1, "`math.floor` returns an int, `tf.math.floor` a float tensor"),
    "ceil": ("ceil", 1, "`math.ceil` returns an int, `tf.math.ceil` a float tensor"),
}


def fix_math(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not isinstance(node, cst.Call):
        return None
    qualified = fixer.imports.qualified(node.func)
    if qualified is None or not qualified.startswith("math.") or qualified.count(".") != 1:
        return None
    name = qualified.split(".")[1]
    entry = MATH_EQUIVALENTS.get(name)
    positional = _positional(node)
    if entry is None or positional is None or _keywords(node) or len(positional) != entry[1]:
        return None  # `math.log(x, base)`: no one-op twin
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    edits.append(fixer.replace(unit, node.func, f"{tf_name}.math.{entry[0]}"))
    why = f" (unsafe: {entry[2]})" if entry[2] else ""
    return Plan("", UNSAFE if entry[2] else SAFE, f"Replace `math.{name}` with `tf.math.{entry[0]}`{why}", edits)


# --- TFF104 clocks and randomness --------------------------------------------------

_CLOCKS = {
    "time.time": "",
    "time.perf_counter": "`tf.timestamp()` counts from the epoch, `time.perf_counter()` from an arbitrary point",
    "time.monotonic": "`tf.timestamp()` counts from the epoch, `time.monotonic()` from an arbitrary point",
}
_RNG_UNSAFE = "another random stream, and float32 where Python and NumPy give float64"


def _shape_text(unit: Unit, node: cst.BaseExpression | None) -> str | None:
    if node is None:
        return "[]"
    if isinstance(node, (cst.Tuple, cst.List)):
        return unit.code(node)
    if isinstance(node, cst.Integer):
        return f"[{unit.code(node)}]"
    return None  # a name may hold an int or a tuple: tf.random needs a shape


def fix_trace_time_value(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not isinstance(node, cst.Call):
        return None
    qualified = fixer.imports.qualified(node.func)
    positional = _positional(node)
    if qualified is None or positional is None or not _positional_first(node):
        return None
    keywords = _keywords(node)
    if _needs_a_python_value(fixer, unit, node):
        return None  # `tf.constant(np.random.randn(2, 2))`: a tensor there raises TypeError
    if qualified in _CLOCKS:
        if node.args:
            return None
        tf = fixer.module_name("tensorflow", "tf")
        if tf is None:
            return None
        tf_name, edits = tf
        edits.append(fixer.replace(unit, node, f"{tf_name}.timestamp()"))
        why = _CLOCKS[qualified]
        return Plan("", UNSAFE if why else SAFE,
                    f"Replace `{qualified}()` with `tf.timestamp()`" + (f" (unsafe: {why})" if why else ""), edits)
    replacement = _random_replacement(unit, qualified, positional, keywords)
    if replacement is None:
        return None
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    function, arguments = replacement
    edits.append(fixer.replace(unit, node, f"{tf_name}.random.{function}({', '.join(arguments)})"))
    return Plan("", UNSAFE, f"Replace `{qualified}(...)` with `tf.random.{function}` (unsafe: {_RNG_UNSAFE})", edits)


def _needs_a_python_value(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> bool:
    """An argument of ``tf.constant`` or of a NumPy function, which take no symbolic tensor."""
    parent = unit.parents.get(node)
    call = unit.parents.get(parent) if isinstance(parent, cst.Arg) else None
    if not isinstance(call, cst.Call):
        return False
    qualified = fixer.imports.qualified(call.func) or ""
    return qualified == "tensorflow.constant" or qualified.startswith("numpy.")


def _random_replacement(unit: Unit, qualified: str, positional, keywords) -> tuple[str, list[str]] | None:
    texts = [unit.code(value) for value in positional]
    if qualified == "random.random" and not positional and not keywords:
        return "uniform", ["[]"]
    if qualified == "random.uniform" and len(positional) == 2 and not keywords:
        return "uniform", ["[]", *texts]
    if qualified in ("random.gauss", "random.normalvariate") and len(positional) == 2 and not keywords:
        return "normal", ["[]", *texts]
    if qualified in ("numpy.random.rand", "numpy.random.randn") and not keywords:
        if not all(isinstance(value, cst.Integer) for value in positional):
            return None
        return ("uniform" if qualified.endswith("rand") else "normal"), [f"[{', '.join(texts)}]"]
    names = {"numpy.random.uniform": ("uniform", ("low", "high", "size")),
             "numpy.random.normal": ("normal", ("loc", "scale", "size"))}.get(qualified)
    if names is None or len(positional) > 3 or set(keywords) - set(names[1]):
        return None
    function, parameters = names
    values = dict(zip(parameters, positional))
    for key, value in keywords.items():
        if key in values:
            return None
        values[key] = value
    shape = _shape_text(unit, values.get("size"))
    if shape is None:
        return None
    first, second = parameters[0], parameters[1]
    arguments = [shape]
    if first in values or second in values:
        arguments.append(unit.code(values[first]) if first in values else "0.0")
    if second in values:
        arguments.append(unit.code(values[second]))
    return function, arguments


# --- TFF205 assert -> tf.debugging.Assert ----------------------------------------

_BOOLEAN_REDUCTIONS = frozenset({
    "tensorflow.reduce_all", "tensorflow.reduce_any", "tensorflow.math.reduce_all", "tensorflow.math.reduce_any",
})


def _quoted(text: str) -> str:
    """A Python string literal of ``text``, in double quotes when it can be."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        literal = '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def fix_assert(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not isinstance(node, cst.Assert):
        return None
    test = node.test
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and not isinstance(
        test.comparisons[0].operator, (cst.In, cst.NotIn, cst.Is, cst.IsNot)
    ):
        condition = f"{tf_name}.reduce_all({unit.code(test)})"
    elif isinstance(test, cst.Call) and fixer.imports.qualified(test.func) in _BOOLEAN_REDUCTIONS:
        condition = unit.code(test)
    else:
        return None  # `assert x` (truth of a float tensor), `a and b`, chained comparisons: no exact twin
    message = unit.code(node.msg) if node.msg is not None else _quoted(f"assert {unit.code(test)}")
    edits.append(fixer.replace(unit, node, f"{tf_name}.debugging.Assert({condition}, [{message}])"))
    return Plan("", SAFE, "Replace `assert` with `tf.debugging.Assert`, which checks the values on every call", edits)


# --- TFF206 x.shape[i] -> tf.shape(x)[i] -------------------------------------------

def _shape_subscript(node: cst.CSTNode) -> tuple[cst.BaseExpression, cst.Subscript] | None:
    if (
        isinstance(node, cst.Subscript)
        and isinstance(node.value, cst.Attribute)
        and node.value.attr.value == "shape"
        and len(node.slice) == 1
    ):
        return node.value.value, node
    return None


def _whole_shape(node: cst.CSTNode) -> cst.BaseExpression | None:
    """``x.shape`` or ``x.get_shape()``: the tensor ``x``."""
    if isinstance(node, cst.Attribute) and node.attr.value == "shape":
        return node.value
    if (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "get_shape"):
        return node.func.value
    return None


def fix_static_dim(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    whole = _whole_shape(node)
    if whole is not None:  # a partly known TensorShape given as a shape argument
        if not isinstance(whole, (cst.Name, cst.Attribute)):
            return None
        tf = fixer.module_name("tensorflow", "tf")
        if tf is None:
            return None
        tf_name, edits = tf
        edits.append(fixer.replace(unit, node, f"{tf_name}.shape({unit.code(whole)})"))
        return Plan("", SAFE, "Replace the static shape with `tf.shape(x)`, known when the graph runs", edits)
    found = _shape_subscript(node)
    if found is None and isinstance(node, cst.Name):
        found = _single_shape_assignment(unit, node)
    if found is None:
        return None
    owner, subscript = found
    if not isinstance(owner, (cst.Name, cst.Attribute)):
        return None
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    index = unit.code(subscript.slice[0])
    edits.append(fixer.replace(unit, node, f"{tf_name}.shape({unit.code(owner)})[{index}]"))
    parent = unit.parents.get(node)
    call = unit.parents.get(parent) if isinstance(parent, cst.Arg) else None
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "range":
        return Plan("", UNSAFE, "Replace the static dimension with `tf.shape(x)[i]` (unsafe: `range` of a tensor "
                    "works only where AutoGraph converts the loop)", edits)
    if isinstance(parent, cst.AugAssign) or (
        isinstance(parent, cst.BinaryOperation)
        and not isinstance(parent.right if parent.left is node else parent.left, cst.Integer)
    ):
        return Plan("", UNSAFE, "Replace the static dimension with `tf.shape(x)[i]` (unsafe: an int32 tensor, "
                    "so arithmetic with a float tensor needs a `tf.cast`)", edits)
    return Plan("", SAFE, "Replace the static dimension with `tf.shape(x)[i]`, known when the graph runs", edits)


_BINDERS = (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.WithItem, cst.NamedExpr, cst.CompFor)


def _single_shape_assignment(unit: Unit, name: cst.Name):
    """``n = x.shape[0]``, the only binding of ``n`` in the function, before this use."""
    function = unit.parents.get(name)
    while function is not None and not isinstance(function, (cst.FunctionDef, cst.Module)):
        function = unit.parents.get(function)
    if not isinstance(function, cst.FunctionDef):
        return None
    found = []
    bindings = 0
    binding_lines: dict[str, list[int]] = {}  # name -> lines where the function binds it
    for candidate in unit.positions:
        if isinstance(candidate, _BINDERS) and _inside(unit, candidate, function):
            target = getattr(candidate, "target", None) if not isinstance(candidate, cst.WithItem) else (
                candidate.asname.name if candidate.asname else None)
            for element in _names_in(target):
                binding_lines.setdefault(element, []).append(unit.positions[candidate].start.line)
                if element == name.value:
                    bindings += 1
                    parent = unit.parents.get(candidate)
                    if isinstance(candidate, cst.AssignTarget) and isinstance(parent, cst.Assign) and len(parent.targets) == 1:
                        found.append(_shape_subscript(parent.value))
    if bindings != 1 or len(found) != 1 or found[0] is None:
        return None
    owner = found[0][0]
    root = owner
    while isinstance(root, cst.Attribute):
        root = root.value
    read_at = unit.positions[found[0][1]].start.line
    if not isinstance(root, cst.Name) or any(line >= read_at for line in binding_lines.get(root.value, ())):
        return None  # the tensor's name is bound again after the shape is read: its shape may be another's
    if read_at >= unit.positions[name].start.line:
        return None
    return found[0]


def _inside(unit: Unit, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = unit.parents.get(node)
    return False


def _names_in(target) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _names_in(element.value)]
    if isinstance(target, cst.StarredElement):
        return _names_in(target.value)
    return []


# --- TFF201 x.numpy() -> x (unsafe) ----------------------------------------------

def fix_numpy_method(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not (
        isinstance(node, cst.Call)
        and not node.args
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "numpy"
    ):
        return None
    if not _used_as_tensor(fixer, unit, node):
        return None  # stored or passed on: what reads it later may need the NumPy value (a list of logs)
    receiver = node.func.value
    return Plan("", UNSAFE, "Remove `.numpy()`: use the tensor (unsafe: code after it may expect a NumPy array)",
                [fixer.replace(unit, node, unit.code(receiver))])


def _used_as_tensor(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> bool:
    """Where a tensor serves as well: an operand, a comparison, a `tf` op's argument, `int()`/`float()`
    (AutoGraph converts them), or the result of the tf.function itself (not of a helper it calls)."""
    parent = unit.parents.get(node)
    if isinstance(parent, cst.Return):
        # The tf.function's own result; a helper's may go to eager callers too, which want the array.
        function = _enclosing(unit, node, (cst.FunctionDef, cst.Lambda))
        return isinstance(function, cst.FunctionDef) and bool(function.decorators) and _decorated_by_tf_function_only(
            fixer, function)
    if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.BinaryOperation, cst.UnaryOperation)):
        return True
    if isinstance(parent, cst.Arg):
        call = unit.parents.get(parent)
        if isinstance(call, cst.Call) and parent.keyword is None and not parent.star:
            qualified = fixer.imports.qualified(call.func) or ""
            builtin = isinstance(call.func, cst.Name) and call.func.value in ("int", "float") and call.func.value not in fixer.imports.bound
            return builtin or qualified.startswith("tensorflow.")
    return False


# --- shared: names, scopes, loops ------------------------------------------------------

_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_LOOPS = (cst.For, cst.While)
_MUTATORS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem", "add", "discard",
    "sort", "reverse", "__setitem__", "__delitem__",
})


def _walk(node: cst.CSTNode, skip_nested: bool = False):
    """Every node under ``node`` (``node`` too), depth first; with ``skip_nested``, not inside a nested scope."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if skip_nested and current is not node and isinstance(current, _NESTED_SCOPES):
            continue
        stack.extend(reversed(current.children))


def _is_reference(unit: Unit, name: cst.Name) -> bool:
    """A ``Name`` that refers to a variable: not an attribute's name, a keyword, or an import's alias."""
    parent = unit.parents.get(name)
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return False
    if isinstance(parent, cst.Arg) and parent.keyword is name:
        return False
    return not isinstance(parent, (cst.ImportAlias, cst.AsName, cst.Param))


def _target_roots(target) -> list[str]:
    """The names an assignment target binds or changes (``self.x = ...`` and ``d[k] = ...`` change ``self``/``d``)."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_roots(element.value)]
    if isinstance(target, cst.StarredElement):
        return _target_roots(target.value)
    if isinstance(target, (cst.Attribute, cst.Subscript)):
        root = target.value
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.func if isinstance(root, cst.Call) else root.value
        return [root.value] if isinstance(root, cst.Name) else []
    return []


def _changed_in(node: cst.CSTNode) -> dict[str, int]:
    """Names bound or changed in ``node`` (a loop, with its target), nested scopes' insides left out;
    name -> how many times."""
    counts: dict[str, int] = {}

    def add(names):
        for name in names:
            counts[name] = counts.get(name, 0) + 1

    for current in _walk(node, skip_nested=True):
        if isinstance(current, (cst.FunctionDef, cst.ClassDef)) and current is not node:
            add([current.name.value])
        elif isinstance(current, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr)):
            add(_target_roots(current.target))
        elif isinstance(current, cst.WithItem) and current.asname is not None:
            add(_target_roots(current.asname.name))
        elif isinstance(current, cst.ExceptHandler) and current.name is not None:
            add(_target_roots(current.name.name))
        elif isinstance(current, cst.Del):
            add(_target_roots(current.target))
        elif isinstance(current, (cst.Import, cst.ImportFrom)) and not isinstance(current.names, cst.ImportStar):
            for alias in current.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(bound, cst.Attribute):
                    bound = bound.value
                add(_target_roots(bound))
        elif isinstance(current, (cst.Global, cst.Nonlocal)):
            add([item.name.value for item in current.names])
        elif (isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)
              and current.func.attr.value in _MUTATORS):
            add(_target_roots(current.func))
    return counts


# Fixes that make a Python value (a number, an array, a static dimension) a tensor.
_NEW_TENSOR_CODES = frozenset({"TFF104", "TFF201", "TFF203", "TFF204", "TFF206"})


def _autograph_converts(finding) -> bool:
    """Whether AutoGraph converts the code a finding is in, so that a tensor `if` becomes a `tf.cond`: a
    function reached only through plain functions from a tf.function with AutoGraph on, or a tf.data
    function. Not a method: Keras 3 does not convert `call` or what it calls."""
    context, subject = getattr(finding, "context", None), getattr(finding, "subject", None)
    if context is None:
        return False
    if subject is None:  # a notebook's: tf.data always converts; a tf.function's `autograph=` is not known here
        root_kind, autograph = context.kind, context.kind == "tf.data"
    else:
        root_kind = subject.kind if context.kind == "called-from" else context.kind
        autograph = subject.autograph
    if root_kind not in ("tf.function", "tf.data") or not autograph:
        return False
    return not any("." in link.function for link in context.chain)


def _in_a_condition(unit: Unit, node: cst.CSTNode) -> bool:
    """Whether Python truth-tests ``node``'s value: an ``if``/``while``/``assert`` test, a conditional
    expression's or a comprehension's ``if``, an operand of ``and``/``or``/``not``."""
    child, parent = node, unit.parents.get(node)
    while parent is not None and not isinstance(parent, (cst.SimpleStatementLine, cst.FunctionDef, cst.Lambda)):
        if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert, cst.CompIf)) and child is parent.test:
            return True
        if isinstance(parent, cst.BooleanOperation) or (
                isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not)):
            return True
        if isinstance(parent, cst.BaseCompoundStatement):
            return False
        child, parent = parent, unit.parents.get(parent)
    return False


def _feeds_a_python_condition(unit: Unit, node: cst.CSTNode) -> bool:
    """Whether the value ``node`` computes is truth-tested by Python: directly, or through a name it is
    assigned to (``p = np.random.uniform(); if p > 0.5:``) and read in a condition of the same function.

    Where AutoGraph is off (a Keras 3 ``call``, ``autograph=False``), a fix that makes that value a tensor
    leaves a tensor in a Python condition, which raises ``OperatorNotAllowedInGraphError``: no fix there.
    """
    if _in_a_condition(unit, node):
        return True
    statement = _enclosing(unit, node, (cst.BaseSmallStatement,))
    if not isinstance(statement, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        return False
    targets = statement.targets if isinstance(statement, cst.Assign) else [statement]
    names = {t.target.value for t in targets if isinstance(t.target, cst.Name)}
    scope = _enclosing(unit, statement, (cst.FunctionDef,)) or unit.module
    return any(
        isinstance(read, cst.Name) and read.value in names and _is_reference(unit, read) and _in_a_condition(unit, read)
        for read in _walk(scope)
    )


def _enclosing(unit: Unit, node: cst.CSTNode, kinds) -> cst.CSTNode | None:
    current = unit.parents.get(node)
    while current is not None and not isinstance(current, kinds):
        current = unit.parents.get(current)
    return current


# --- TFF401 a varying Python argument -> tf.constant(...) (unsafe) ---------------------------

_STRINGISH = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide)
# tf calls that take no symbolic tensor, or that build something other than a value from it.
_NOT_A_TENSOR_ARGUMENT = frozenset({
    "tensorflow.constant", "tensorflow.Variable", "tensorflow.TensorSpec", "tensorflow.TensorShape",
    "tensorflow.function", "tensorflow.py_function", "tensorflow.numpy_function", "tensorflow.range",
})
_CASTS = frozenset({"tensorflow.cast", "tensorflow.dtypes.cast"})


_AUGMENTED_ARITHMETIC = (cst.AddAssign, cst.SubtractAssign, cst.MultiplyAssign, cst.DivideAssign, cst.PowerAssign)


def _is_float_value(node: cst.BaseExpression, unit: Unit | None = None, depth: int = 0) -> bool:
    """An expression whose Python value is a float by its spelling: ``0.5``, ``float(t)``, ``a / b``, or (with
    ``unit``) a name its scope binds only to such values (``rate = 0.1``, ``rate *= 0.5``)."""
    if isinstance(node, cst.Float):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return _is_float_value(node.expression, unit, depth)
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Name) and node.func.value == "float" and len(node.args) == 1
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _ARITHMETIC + (cst.Power,)):
        return isinstance(node.operator, cst.Divide) or _is_float_value(node.left, unit, depth) or _is_float_value(
            node.right, unit, depth)
    if isinstance(node, cst.Name) and unit is not None and depth < 3:
        return _name_is_float(unit, node, depth + 1)
    return False


def _name_is_float(unit: Unit, name: cst.Name, depth: int) -> bool:
    scope = _enclosing(unit, name, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) or unit.module
    if isinstance(scope, cst.Lambda):
        return False
    if isinstance(scope, cst.FunctionDef) and any(
            isinstance(param, cst.Param) and param.name.value == name.value for param in _walk(scope.params)):
        return False  # a parameter: any type
    floats = 0
    for node in _walk(scope.body if isinstance(scope, (cst.FunctionDef, cst.ClassDef)) else scope, skip_nested=True):
        if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name) and node.target.value == name.value:
            assign = unit.parents.get(node)
            if not _is_float_value(assign.value, unit, depth):
                return False
            floats += 1
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name) and node.target.value == name.value:
            if not isinstance(node.operator, _AUGMENTED_ARITHMETIC):
                return False  # `//=`, `%=`, `|=`...: an int stays an int
        elif isinstance(node, cst.For) and isinstance(node.target, cst.Name) and node.target.value == name.value:
            if not (isinstance(node.iter, (cst.Tuple, cst.List)) and node.iter.elements
                    and all(isinstance(element.value, cst.Float) for element in node.iter.elements)):
                return False
            floats += 1
        elif name.value in _changed_in_shallow(node):
            return False  # bound some other way: a tuple, `with`, an import
    return floats > 0


def _changed_in_shallow(node: cst.CSTNode) -> set[str]:
    """Names one node binds by itself (not its children): for the float-name check."""
    if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr)):
        return set(_target_roots(node.target))
    if isinstance(node, cst.WithItem) and node.asname is not None:
        return set(_target_roots(node.asname.name))
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return {node.name.value}
    if isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
        names = set()
        for alias in node.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            while isinstance(bound, cst.Attribute):
                bound = bound.value
            names.update(_target_roots(bound))
        return names
    return set()


def _tensor_parameters(fixer: FileFixer, unit: Unit, function: cst.FunctionDef, call: cst.Call) -> set[str]:
    """Parameters this call passes a TensorFlow op's result (``f(tf.ones([2]), i)``): tensors here."""
    tensors = set()
    for other in call.args:
        qualified = fixer.imports.qualified(other.value.func) if isinstance(other.value, cst.Call) else None
        if qualified and qualified.startswith("tensorflow.") and qualified not in _NOT_A_TENSOR_ARGUMENT:
            parameter = _bound_parameter(unit, function, call, other)
            if parameter is not None:
                tensors.add(parameter)
    return tensors


def _is_stringish(node: cst.BaseExpression) -> bool:
    if isinstance(node, _STRINGISH):
        return True
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("str", "repr"):
        return True
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)) and (
        _is_stringish(node.left) or _is_stringish(node.right))


def _traced_def(fixer: FileFixer) -> tuple[Unit, cst.FunctionDef] | None:
    """The tf.function's ``def``, from the finding's traced-by chain, when it is in this file."""
    finding = fixer.finding
    context = getattr(finding, "context", None)
    if context is None or context.kind != "tf.function" or not context.chain:
        return None
    root = context.chain[-1]
    if root.path != finding.path:
        return None  # defined in another module: its body is not here to read
    name = root.function.rsplit(".", 1)[-1]
    for unit in fixer.units:
        if unit.cell != root.cell or unit.module is None:
            continue
        for node in unit.positions:
            if (isinstance(node, cst.FunctionDef) and node.name.value == name
                    and unit.positions[node.name].start.line == root.line):
                return unit, node
    return None


def _decorated_by_tf_function_only(fixer: FileFixer, function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        if canonical(fixer.imports.qualified(target) or "") != "tensorflow.function":
            return False
    return True


def _calls_the_function(fixer: FileFixer, call: cst.Call, function: cst.FunctionDef) -> bool:
    """``call`` calls ``function``: by its name (``step(...)``, ``self.step(...)``), or by a name the file
    binds to ``tf.function(function)`` (``fast = tf.function(warmup)``, then ``fast(...)``)."""
    name = function.name.value
    func = call.func
    called = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
    if called is None:
        return False
    if called == name:
        return True
    for unit in fixer.units:
        for node in unit.positions:
            if (isinstance(node, cst.Assign) and isinstance(node.value, cst.Call)
                    and fixer.imports.qualified(node.value.func) == "tensorflow.function"
                    and node.value.args and isinstance(node.value.args[0].value, cst.Name)
                    and node.value.args[0].value.value == name
                    and any(_target_roots(target.target) == [called] for target in node.targets)):
                return True
    return False


def _bound_parameter(unit: Unit, function: cst.FunctionDef, call: cst.Call, arg: cst.Arg) -> str | None:
    """The parameter of ``function`` that ``arg`` of ``call`` binds (None for ``*args``, ``**kwargs``)."""
    params = function.params
    positional = [*params.posonly_params, *params.params]
    in_class = isinstance(unit.parents.get(unit.parents.get(function)), cst.ClassDef)
    static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in function.decorators)
    if in_class and not static:
        if not isinstance(call.func, cst.Attribute) or not positional:
            return None
        owner = unit.parents.get(unit.parents.get(function))
        if isinstance(call.func.value, cst.Name) and call.func.value.value == owner.name.value:
            return None  # `Trainer.step(self, x, i)`: `self` passed by hand
        positional = positional[1:]  # `self`, `cls`
    if arg.keyword is not None:
        names = {p.name.value for p in [*params.params, *params.kwonly_params]}
        return arg.keyword.value if arg.keyword.value in names else None
    index = 0
    for other in call.args:
        if other.star:
            return None
        if other is arg:
            break
        if other.keyword is None:
            index += 1
    return positional[index].name.value if index < len(positional) else None


def _uses_take_a_tensor(fixer: FileFixer, unit: Unit, function: cst.FunctionDef, name: str, floating: bool,
                        tensors: set[str]) -> bool:
    """Every read of parameter ``name`` in ``function`` means the same with a tensor there.

    An integer (or a value of unknown type) only as ``tf.cast(name, ...)``: an int32 tensor
    meets float tensors nowhere else (``x * step`` raises TypeError with a float ``x``, where the
    Python int was converted). A float also as a TensorFlow op's argument, and in arithmetic
    with a tensor (a TensorFlow op's result, or a parameter in ``tensors``), as the float32
    tensor it became there. Anything else (``if name``, ``range(name)``, an f-string, a list index,
    a Python helper, ``name * 2.0`` returned) works only with a Python value. A parameter never
    read takes anything."""
    for node in _walk(function.body):
        if isinstance(node, _NESTED_SCOPES) and any(
                isinstance(inner, cst.Name) and inner.value == name for inner in _walk(node)):
            return False  # read or bound in a nested function, lambda or comprehension
        if not isinstance(node, cst.Name) or node.value != name or not _is_reference(unit, node):
            continue
        current, parent = node, unit.parents.get(node)
        climbed = with_tensor = False
        while floating and (
            isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, _ARITHMETIC)
            or isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Minus)
        ):
            if isinstance(parent, cst.BinaryOperation):
                other = parent.right if parent.left is current else parent.left
                with_tensor = with_tensor or _is_tensor_operand(fixer, other, tensors)
            current, parent, climbed = parent, unit.parents.get(parent), True
        if with_tensor:
            continue  # a float32 tensor in arithmetic with a tensor: the result was a tensor before too
        if isinstance(parent, cst.Arg) and parent.value is current and not parent.star:
            call = unit.parents.get(parent)
            qualified = fixer.imports.qualified(call.func) if isinstance(call, cst.Call) else None
            if qualified in _CASTS and call.args[0] is parent and not climbed:
                continue
            if (floating and qualified and qualified.startswith("tensorflow.") and qualified.count(".") <= 2
                    and qualified not in _NOT_A_TENSOR_ARGUMENT
                    and not qualified.startswith(("tensorflow.keras.", "tensorflow.data."))):
                continue
        return False  # a binding, a Python test, a Python call, a subscript, an f-string...
    return True


def _is_tensor_operand(fixer: FileFixer, node: cst.BaseExpression, tensors: set[str]) -> bool:
    if isinstance(node, cst.Name):
        return node.value in tensors
    if isinstance(node, cst.Call):
        qualified = fixer.imports.qualified(node.func) or ""
        return qualified.startswith("tensorflow.") and qualified not in _NOT_A_TENSOR_ARGUMENT
    return False


def fix_varying_argument(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    arg = unit.parents.get(node)
    if not isinstance(arg, cst.Arg) or arg.value is not node or arg.star:
        return None
    call = unit.parents.get(arg)
    if not isinstance(call, cst.Call) or isinstance(node, (cst.List, cst.Tuple, cst.Dict, cst.Set)):
        return None
    if _is_stringish(node) or (isinstance(node, cst.Name) and node.value in ("True", "False", "None")):
        return None  # a string tensor, or a bool: the function's Python uses of it change
    found = _traced_def(fixer)
    if found is None:
        return None
    def_unit, function = found
    if not _decorated_by_tf_function_only(fixer, function) or function.asynchronous is not None:
        return None
    if not _calls_the_function(fixer, call, function):
        return None  # `map(step, range(n))`: the call is not the tf.function's, its arguments bind elsewhere
    parameter = _bound_parameter(def_unit, function, call, arg)
    if parameter is None:
        return None
    floating = _is_float_value(node, unit)
    tensors = _tensor_parameters(fixer, def_unit, function, call)
    if not _uses_take_a_tensor(fixer, def_unit, function, parameter, floating, tensors - {parameter}):
        return None
    tf = fixer.module_name("tensorflow", "tf")
    if tf is None:
        return None
    tf_name, edits = tf
    edits.append(fixer.replace(unit, node, f"{tf_name}.constant({unit.code(node)})"))
    becomes = "a float32 tensor" if floating else "an int32 tensor (float32 for a float)"
    return Plan("", UNSAFE, f"Pass `{_short(unit.code(node))}` as a tensor, `tf.constant(...)`: one trace for every "
                f"value (unsafe: the value becomes {becomes})", edits, constant="float" if floating else "number")


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- TFF402 tf.function(f) created in a loop -> created once, before it (unsafe) ---------------

def _loop_to_hoist_out_of(unit: Unit, node: cst.CSTNode, reads: set[str]):
    """The outermost loop around ``node``, in its scope and reached through loop bodies, that binds none
    of ``reads``; with the statement-level chain of loops, innermost first."""
    loops = []
    child, current = node, unit.parents.get(node)
    while current is not None and not isinstance(current, (*_NESTED_SCOPES, cst.Module)):
        if isinstance(current, _LOOPS):
            if child is not current.body:
                break  # the loop's target, iterable, test or `else`: evaluated once, or not per iteration
            loops.append(current)
        child, current = current, unit.parents.get(current)
    chosen = None
    for loop in loops:
        if set(_changed_in(loop)) & reads:
            break
        chosen = loop
    return chosen, loops


def _read_names(unit: Unit, node: cst.CSTNode) -> set[str]:
    return {name.value for name in _walk(node) if isinstance(name, cst.Name) and _is_reference(unit, name)}


def _free_names_of_defs(fixer: FileFixer, name: str) -> set[str]:
    """The names the file's ``def name`` bodies read and do not bind themselves: globals and closures."""
    free: set[str] = set()
    for unit in fixer.units:
        for node in unit.positions:
            if isinstance(node, cst.FunctionDef) and node.name.value == name:
                local = set(_changed_in(node)) | {
                    param.name.value for param in _walk(node.params) if isinstance(param, cst.Param)}
                free |= _read_names(unit, node.body) - local
    return free


def _line_start(unit: Unit, node: cst.CSTNode) -> int:
    line = unit.positions[node].start.line
    return unit.offset(line, 0) - unit.shift(line)


def _indent_before(unit: Unit, node: cst.CSTNode) -> str | None:
    start, _ = unit.span(node)
    indent = unit.text[_line_start(unit, node):start]
    return indent if indent.strip() == "" else None


def fix_hoist_tf_function(fixer: FileFixer, unit: Unit, node: cst.CSTNode) -> Plan | None:
    if not isinstance(node, cst.Call) or fixer.imports.qualified(node.func) != "tensorflow.function":
        return None
    positional = _positional(node)
    if not positional or any(arg.keyword is not None and arg.keyword.value == "func" for arg in node.args):
        return None
    reads = _read_names(unit, node)
    wrapped = positional[0]
    if isinstance(wrapped, cst.Name):
        reads |= _free_names_of_defs(fixer, wrapped.value)  # a value it reads, changed by the loop, is baked in
    parent = unit.parents.get(node)
    if isinstance(parent, cst.Call) and parent.func is node:  # tf.function(f)(x)
        loop, _ = _loop_to_hoist_out_of(unit, node, reads)
        if loop is None:
            return None
        if sum(isinstance(other, cst.Call) and fixer.imports.qualified(other.func) == "tensorflow.function"
               for other in _walk(loop)) > 1:
            return None  # two creations in one loop would pick one name
        indent = _indent_before(unit, loop)
        if indent is None:
            return None
        name = _fresh_name(fixer, wrapped)
        start = _line_start(unit, loop)
        return Plan("", UNSAFE, _HOIST_MESSAGE, [
            fixer.insert(unit, start, f"{indent}{name} = {unit.code(node)}{unit.newline()}"),
            fixer.replace(unit, node, name),
        ])
    assign = parent
    line = unit.parents.get(assign)
    block = unit.parents.get(line)
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
            and isinstance(block, cst.IndentedBlock) and len(block.body) > 1):
        return None
    target = assign.targets[0].target.value
    loop, loops = _loop_to_hoist_out_of(unit, node, reads)
    if loop is None or unit.parents.get(block) is not loops[0]:
        return None  # only a statement of the loop body itself (not under an `if` in it) moves
    if _changed_in(loop).get(target, 0) != 1 or target in reads:
        return None  # `g` bound again in the loop
    made_at = unit.positions[line].start
    if any(isinstance(name, cst.Name) and name.value == target and _is_reference(unit, name)
           and (unit.positions[name].start.line, unit.positions[name].start.column) < (made_at.line, made_at.column)
           for name in _walk(loop)):
        return None  # read before it is made (a `while` test, an earlier statement): the first pass sees another `g`
    indent = _indent_before(unit, loop)
    statement_indent = _indent_before(unit, line)
    if indent is None or statement_indent is None:
        return None
    start = _line_start(unit, line)
    _, end = unit.span(line)
    newline_at = min((unit.text.find(sep, end) for sep in ("\r\n", "\n", "\r") if unit.text.find(sep, end) >= 0),
                     default=-1)
    if newline_at < 0:
        return None
    after = newline_at + (2 if unit.text.startswith("\r\n", newline_at) else 1)
    moved = indent + unit.text[start + len(statement_indent):after]
    return Plan("", UNSAFE, _HOIST_MESSAGE, [
        fixer.insert(unit, _line_start(unit, loop), moved),
        TextEdit(fixer.unit_index(unit), start, after, ""),
    ])


_HOIST_MESSAGE = ("Create the tf.function once, before the loop, and call that one (unsafe: Python values its "
                  "function reads are then fixed at its first trace)")


def _fresh_name(fixer: FileFixer, wrapped: cst.BaseExpression) -> str:
    parts = []
    current = wrapped
    while isinstance(current, cst.Attribute):
        parts.append(current.attr.value)
        current = current.value
    if isinstance(current, cst.Name) and current.value not in ("self", "cls"):
        parts.append(current.value)
    base = "fast_" + ("_".join(reversed(parts)) if parts else "function")
    name, number = base, 1
    while name in fixer.imports.names or name in fixer.imports.bound:
        number += 1
        name = f"{base}_{number}"
    return name


BUILDERS = {
    "TFF101": fix_print,
    "TFF104": fix_trace_time_value,
    "TFF201": fix_numpy_method,
    "TFF203": fix_numpy,
    "TFF204": fix_math,
    "TFF205": fix_assert,
    "TFF206": fix_static_dim,
    "TFF401": fix_varying_argument,
    "TFF402": fix_hoist_tf_function,
}
FIXABLE_CODES = frozenset(BUILDERS)

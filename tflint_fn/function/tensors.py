"""Tensor-ness: what the analyzer knows about a value inside traced code.

A value is one of three levels:

* ``NONE``   plainly Python, or unknown: never triggers a tensor rule;
* ``MAYBE``  a tensor or a nested structure of tensors (a traced function's
  parameter, the result of a Keras layer): enough for rules that break on
  any tensor, not for rules that need exactly one tensor;
* ``TENSOR`` certainly a single ``tf.Tensor`` (or ``tf.Variable``).

A few values carry a ``kind`` as well: the static shape of a tensor, one of
its static dimensions, a ``tf.TensorArray``.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE, MAYBE, TENSOR = 0, 1, 2

# Kinds of non-tensor values that some rules care about.
SHAPE = "shape"  # x.shape, x.get_shape()
STATIC_DIM = "static-dim"  # x.shape[i]: an int, or None when unknown
TENSOR_ARRAY = "tensor-array"
TENSOR_CONTAINER = "tensor-container"  # a Python list, tuple or dict that holds a tensor (NumPy cannot take it)


@dataclass(frozen=True, slots=True)
class Taint:
    level: int = NONE
    kind: str | None = None
    # For STATIC_DIM: the name of the tensor and the index (``x``, 0).
    origin: tuple[str, int] | None = None
    # For a TENSOR_CONTAINER made by a tuple display: each element's taint (``return x * 2, y``).
    items: "tuple[Taint, ...] | None" = None

    def join(self, other: "Taint") -> "Taint":
        """What a value is when it may come from either path.

        TENSOR only when both paths give one tensor; tensor-ish on one path
        is enough for MAYBE; a kind survives only when both paths agree.
        """
        if self == other:
            return self
        # A Python container that holds tensors on one path still may: `xs = []`, then appended in a loop.
        for one, another in ((self, other), (other, self)):
            if one.kind == TENSOR_CONTAINER and another.level == NONE and another.kind is None:
                return one
        if self.kind == other.kind == TENSOR_CONTAINER:
            return HOLDS_TENSORS  # two different tuples: their elements are not known apart
        if self.level == other.level == TENSOR:
            return A_TENSOR
        if max(self.level, other.level) >= MAYBE:
            return MAYBE_TENSOR
        return self if self.kind == other.kind else PYTHON

    @property
    def is_tensorish(self) -> bool:
        return self.level >= MAYBE


PYTHON = Taint()
MAYBE_TENSOR = Taint(MAYBE)
A_TENSOR = Taint(TENSOR)
HOLDS_TENSORS = Taint(NONE, TENSOR_CONTAINER)


def meet_all(taints) -> Taint:
    """The least of the levels: tensor-ish only when every value is."""
    taints = list(taints)
    if not taints:
        return PYTHON
    if len(set(taints)) == 1 and taints[0].kind == TENSOR_CONTAINER:
        return taints[0]  # every return gives the same container of tensors (`return out, state`)
    level = min(t.level for t in taints)
    return Taint(level) if level > NONE else PYTHON


# --- what TensorFlow and Keras calls return ---------------------------------

# Namespaces under ``tensorflow.`` whose callables do not return tensors.
_NON_TENSOR_NAMESPACES = frozenset(
    {
        "data", "config", "distribute", "saved_model", "train", "summary",
        "nest", "autograph", "compat", "test", "tpu", "xla", "estimator",
        "feature_column", "lite", "sysconfig", "version", "errors", "types",
        "optimizers", "initializers", "mixed_precision", "profiler", "queue",
        "tools", "mlir", "plugin", "gfile", "experimental", "keras", "saved",
        "dtypes", "python_io", "logging", "flags", "app", "lookup", "util",
    }
)
# ... except these functions inside them.
_TENSOR_FUNCTIONS_IN_NON_TENSOR_NAMESPACES = frozenset(
    {"dtypes.cast", "dtypes.saturate_cast", "debugging.check_numerics"}
)
# Top-level functions that return something other than a tensor.
_NON_TENSOR_FUNCTIONS = frozenset(
    {
        "function", "print", "name_scope", "device", "executing_eagerly",
        "inside_function", "is_tensor", "get_static_value", "control_dependencies",
        "init_scope", "no_gradient", "custom_gradient", "recompute_grad",
        "as_dtype", "group", "Assert", "get_logger", "type_spec_from_value",
        "make_tensor_proto", "make_ndarray", "get_current_name_scope",
        "register_tensor_conversion_function", "is_symbolic_tensor",
        "variable_creator_scope", "get_seed", "set_seed", "no_op",
        "assert_equal", "assert_greater", "assert_less", "assert_rank",
        "assert_type", "assert_non_negative", "assert_positive",
        "assert_proper_iterable", "assert_none_equal", "assert_near",
        "assert_greater_equal", "assert_less_equal", "assert_integer",
        "assert_scalar", "assert_same_float_dtype", "assert_shapes",
        "ensure_shape_compatible", "load_op_library", "load_library",
    }
)
# Calls that certainly return one tensor (the rest of TensorFlow may return
# tuples or structures, so they count as MAYBE).
_SINGLE_TENSOR_FUNCTIONS = frozenset(
    {
        "abs", "add", "add_n", "argmax", "argmin", "argsort", "boolean_mask", "broadcast_to",
        "cast", "clip_by_value", "concat", "constant", "convert_to_tensor", "cos", "cumsum",
        "cumprod", "divide", "einsum", "equal", "exp", "expand_dims", "eye", "fill", "floor",
        "gather", "gather_nd", "greater", "greater_equal", "identity", "less", "less_equal",
        "linspace", "log", "logical_and", "logical_not", "logical_or", "matmul", "maximum",
        "minimum", "multiply", "negative", "not_equal", "one_hot", "ones", "ones_like", "pad",
        "pow", "range", "rank", "reduce_all", "reduce_any", "reduce_logsumexp", "reduce_max",
        "reduce_mean", "reduce_min", "reduce_prod", "reduce_std", "reduce_sum", "reduce_variance",
        "reshape", "reverse", "round", "rsqrt", "scatter_nd", "sequence_mask", "shape", "sigmoid",
        "sign", "sin", "size", "slice", "softmax", "sort", "sqrt", "square", "squeeze", "stack",
        "stop_gradient", "strided_slice", "subtract", "tanh", "tensor_scatter_nd_update", "tile",
        "transpose", "truediv", "truncatediv", "zeros", "zeros_like", "normal", "uniform",
        "truncated_normal", "categorical", "relu", "relu6", "elu", "selu", "gelu", "leaky_relu",
        "log_softmax", "l2_normalize", "conv2d", "conv1d", "dropout", "bias_add",
        "sparse_softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
        "sigmoid_cross_entropy_with_logits", "resize", "ensure_shape", "where_v2", "floordiv",
        "floormod", "mod", "realdiv", "reduce_euclidean_norm", "norm", "matrix_transpose",
        "trace", "diag", "diag_part", "det", "inv", "cholesky", "tensordot", "segment_sum",
        "unsorted_segment_sum", "bincount", "histogram_fixed_width", "to_float", "to_int32",
        "read_file", "decode_raw", "decode_image", "decode_jpeg", "decode_png", "string_to_number",
        "as_string", "regex_replace", "length", "embedding_lookup", "sum", "mean", "max", "min",
        "prod", "std", "var",
    }
)
_TENSOR_CLASSES = frozenset({"Variable", "SparseTensor", "RaggedTensor", "IndexedSlices"})
# Keras namespaces whose functions compute on tensors.
_KERAS_TENSOR_NAMESPACES = frozenset({"ops", "backend", "activations", "losses", "metrics"})
_KERAS_NON_TENSOR_FUNCTIONS = frozenset(
    {
        "int_shape", "ndim", "dtype", "floatx", "epsilon", "image_data_format",
        "is_keras_tensor", "learning_phase", "set_learning_phase", "get_value",
        "batch_get_value", "clear_session", "set_floatx", "set_epsilon",
        "get", "serialize", "deserialize", "standardize_dtype", "is_tensor",
        "backend", "get_uid", "count_params", "manual_variable_initialization",
        "shape",  # keras.ops.shape returns a tuple
    }
)


def taint_of_api_call(qualified: str) -> Taint:
    """Tensor-ness of the result of calling the API ``qualified`` (canonical)."""
    head, _, rest = qualified.partition(".")
    if head == "tensorflow" and rest:
        return _tensorflow_call(rest)
    if head == "keras" and rest:
        return _keras_call(rest)
    return PYTHON


def _tensorflow_call(rest: str) -> Taint:
    if rest.startswith("python."):
        # TensorFlow internals: only the op modules compute on tensors.
        if not rest.startswith("python.ops."):
            return PYTHON
        rest = rest[len("python.ops.") :].split(".", 1)[-1]
    segments = rest.split(".")
    last = segments[-1]
    if rest in _TENSOR_FUNCTIONS_IN_NON_TENSOR_NAMESPACES:
        return A_TENSOR
    if segments[0] == "experimental" and len(segments) > 1 and segments[1] == "numpy":
        return A_TENSOR
    if segments[0] == "io" and len(segments) > 1 and segments[1] == "gfile":
        return PYTHON
    if segments[0] in _NON_TENSOR_NAMESPACES:
        return PYTHON
    if segments[0] == "debugging" and last.startswith("assert"):
        return PYTHON
    if segments[0] == "random" and last[:1].isupper():
        return PYTHON  # tf.random.Generator
    if last == "TensorArray":
        return Taint(NONE, TENSOR_ARRAY)
    for segment in segments:
        if segment in _TENSOR_CLASSES:
            return A_TENSOR if segment == "Variable" else MAYBE_TENSOR
    if any(segment[:1].isupper() for segment in segments):
        return PYTHON  # TensorSpec, GradientTape, LinearOperator, Module, ...
    if last in _NON_TENSOR_FUNCTIONS or last.endswith("_initializer"):
        return PYTHON
    if last.startswith("assert_"):
        return PYTHON
    if last in _SINGLE_TENSOR_FUNCTIONS:
        return A_TENSOR
    return MAYBE_TENSOR


def _keras_call(rest: str) -> Taint:
    segments = rest.split(".")
    last = segments[-1]
    if segments[0] not in _KERAS_TENSOR_NAMESPACES or len(segments) < 2:
        return PYTHON
    if last[:1].isupper() or last in _KERAS_NON_TENSOR_FUNCTIONS:
        return PYTHON
    return A_TENSOR if last in _SINGLE_TENSOR_FUNCTIONS else MAYBE_TENSOR


# Attributes of a tensor that are plainly Python at trace time.
PYTHON_ATTRIBUTES = frozenset(
    {"dtype", "name", "device", "ndim", "graph", "op", "rank", "value_index", "ragged_rank"}
)
SHAPE_ATTRIBUTES = frozenset({"shape"})
# Attributes of a (sparse/ragged) tensor that are tensors too.
TENSOR_ATTRIBUTES = frozenset(
    {"values", "indices", "dense_shape", "flat_values", "row_splits", "real", "imag", "T"}
)
# Methods of tensors and variables that return a tensor.
TENSOR_METHODS = frozenset(
    {
        "assign", "assign_add", "assign_sub", "read_value", "value", "sparse_read",
        "to_tensor", "with_values", "with_flat_values", "merge_dims", "row_lengths",
        "nrows", "scatter_update", "scatter_add", "scatter_nd_update", "gather_nd",
        "__getitem__", "__add__", "__mul__", "__sub__",
    }
)
SHAPE_METHODS = frozenset({"get_shape"})
TENSOR_ARRAY_READS = frozenset({"stack", "read", "gather", "concat"})

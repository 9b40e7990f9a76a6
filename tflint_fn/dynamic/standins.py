"""Stand-ins for confirmed findings, so tracing can go past them.

Once a finding is confirmed (tracing stops at its line), ``Job`` reloads the
module with that code replaced by ``neutralizer``'s stand-in, to reach the
findings after it. ``install_once_helper`` gives each loaded module the
helpers the stand-ins call. TensorFlow is imported inside the functions
that use it, after the worker has set its memory limit.
"""

from __future__ import annotations

import ast


def neutralizer(finding: dict, span: str) -> str | None:
    """Source that stands in for a confirmed finding, so tracing can go past it."""
    import tensorflow as tf

    code = finding["code"]
    text = span.strip()
    if not text:
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        try:
            statement = ast.parse(text).body[0]
        except (SyntaxError, IndexError):
            return None
        return "pass" if isinstance(statement, ast.Assert) else None
    if code == "TFF403":
        return "None"  # no input_signature
    if code == "TFF105" and isinstance(node, ast.Call):
        return f"__tflint_fn_once__({finding['line']}, lambda: {text})"
    if code == "TFF206":
        return f"(4 if ({text}) is None else ({text}))"  # 4: the size of every unknown probe dimension
    if isinstance(node, ast.Call):
        function = node.func
        if code in ("TFF203", "TFF204") and isinstance(function, ast.Attribute) and hasattr(tf.experimental.numpy, function.attr):
            # np.mean(x) / math.sqrt(x) -> the TensorFlow NumPy function of the same name
            arguments = text[text.index("(", len(ast.unparse(function)) - len(function.attr)):]
            return f"__tflint_fn_tnp__.{function.attr}{arguments}"
        if isinstance(node.func, ast.Attribute) and not node.args:
            return f"({ast.unparse(node.func.value)})"  # x.numpy() -> x
        if node.args:
            return f"({ast.unparse(node.args[0])})"  # bool(x), np.mean(x) -> x
        return None
    if code == "TFF202":
        return "True"  # a tensor used as a Python bool: take the branch
    return None


def install_once_helper(module) -> None:
    import tensorflow as tf

    cache = {}

    def once(key, make):
        if key not in cache:
            cache[key] = make()
        return cache[key]

    module.__dict__["__tflint_fn_once__"] = tf.autograph.experimental.do_not_convert(once)
    module.__dict__["__tflint_fn_tnp__"] = tf.experimental.numpy

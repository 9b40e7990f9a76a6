"""tflint-fn: find code that breaks or misbehaves under tf.function."""

__version__ = "0.1.0"

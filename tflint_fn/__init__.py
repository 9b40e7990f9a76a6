"""tflint-fn: find code that breaks or misbehaves under tf.function."""

__version__ = "0.2.0"

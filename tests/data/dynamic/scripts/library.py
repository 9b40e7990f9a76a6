"""A library module: imports, definitions and assignments only, run whole as before."""

import tensorflow as tf

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

FACTOR = 3.0
SEEN = []


@tf.function
def tripled(x):
    SEEN.append(x)  # TFF102
    return x * FACTOR

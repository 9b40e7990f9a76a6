"""Values read once at trace time: NumPy's RNG, Python's RNG, clocks, the environment, files."""

import datetime
import os
import random
import time
import uuid

import numpy as np
import tensorflow as tf
from numpy.random import uniform

rng = np.random.default_rng(0)
legacy = np.random.RandomState(0)


@tf.function
def np_normal(x):
    return x + np.random.normal()


@tf.function
def np_imported(x):
    return x + uniform()


@tf.function
def generator_method(x):
    return x + rng.normal()


@tf.function
def random_state_method(x):
    return x + legacy.rand()


@tf.function
def python_random(x):
    return x + random.random()


@tf.function
def clock(x):
    return x + time.time()


@tf.function
def now(x):
    return x + datetime.datetime.now().timestamp()


@tf.function
def file_size(x):
    with open(__file__) as handle:
        return x + len(handle.read())


@tf.function
def environment(x):
    return x + float(os.environ.get("TFLINT_FN_VERDICTS_VALUE", "1"))


@tf.function
def an_id(x):
    return x + uuid.uuid4().int % 7


@tf.function
def fresh_generator(x):
    return x + np.random.default_rng().normal()

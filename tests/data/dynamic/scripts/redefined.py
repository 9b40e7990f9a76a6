"""A notebook exported as a script: the step is redefined after a first try."""

import tensorflow as tf


@tf.function
def step(x):
    print("value", x)  # TFF101 in the first definition: --dynamic cannot import it
    return x * 2


@tf.function
def step(x):  # noqa: F811 -- the fixed version, as a later cell would hold it
    return x.numpy() * 2  # TFF201 in the definition the module holds


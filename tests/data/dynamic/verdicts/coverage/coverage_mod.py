"""Traced code the checker reaches only through its context: nested, built, or picky about inputs."""

import keras
import tensorflow as tf


def make_step(scale):
    @tf.function
    def step(x):
        print("in step", x)
        return x * scale

    return step


_built = {}


def cached_double(x):
    if "double" not in _built:

        @tf.function
        def double(y):
            print("in double", y)
            return y * 2

        _built["double"] = double
    return _built["double"](x)


class Scale(keras.layers.Layer):
    def __init__(self, factor: float, name: str = "scale"):
        super().__init__(name=name)
        self.factor = factor

    def call(self, x):
        print("in Scale", x)
        return x * self.factor


class Shift(keras.layers.Layer):
    def __init__(self, offset):
        super().__init__()
        self.offset = offset

    def call(self, x):
        print("in Shift", x)
        return x + self.offset


@tf.function
def repeat(x, times: int):
    print("in repeat", x)
    return tf.add_n([x] * times)


@tf.function
def first_channel(images):
    print("in first_channel", images)
    return images[:, :, :, 0]


def build_from(config):
    units = config["units"]

    @tf.function
    def apply(x):
        print("in apply", x)
        return x * units

    return apply


class Trainer:
    def __init__(self, rate: float):
        self.rate = rate

    def make_step(self):
        @tf.function
        def train(x):
            print("in train", x)
            return x * self.rate

        return train

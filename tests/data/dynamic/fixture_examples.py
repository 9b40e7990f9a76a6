"""Examples for the fixtures whose traced functions need real inputs (``--examples``).

Each entry maps ``module:qualname`` to a function that returns the call's
arguments (a tuple), or a dict with ``args``, ``kwargs`` and ``instance``.
A function that takes one parameter receives the imported module.
"""

import os
import tempfile

import tensorflow as tf


def _record():
    image = tf.io.encode_jpeg(tf.zeros([2, 2, 3], tf.uint8))
    example = tf.train.Example(features=tf.train.Features(feature={
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image.numpy()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[1])),
    }))
    return example.SerializeToString()


def _records():
    folder = tempfile.mkdtemp(prefix="tflint-fn-examples-")
    path = os.path.join(folder, "data.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for _ in range(2):
            writer.write(_record())
    return os.path.join(folder, "*.tfrecord")


EXAMPLES = {
    # custom_training_loop: the model is built for 8 features, 10 classes
    "train:train_step": lambda: (tf.zeros([4, 8]), tf.constant([0, 1, 2, 3])),
    "train:evaluate": lambda: (tf.zeros([4, 8]), tf.constant([0, 1, 2, 3], tf.int64)),
    # gan: the discriminator sees flattened 28x28 images
    "gan:gan_step": lambda: (tf.zeros([4, 784]),),
    # data_pipeline: serialized tf.train.Example records with a JPEG image
    "pipeline:decode": lambda: (tf.constant(_record()),),
    "pipeline:make_dataset": lambda: (_records(), 2),
    # keras_model: the attention layer needs its width
    "model:ScaledAttention": lambda module: {"instance": module.ScaledAttention(16), "args": (tf.zeros([4, 16]),)},
    # ... under the name the module gets when all fixtures are checked at once
    "fixtures.keras_model.model:ScaledAttention": lambda module: {
        "instance": module.ScaledAttention(16), "args": (tf.zeros([4, 16]),)},
    # graph_control_flow: a singular matrix, so that the solve fails when the graph runs
    "ops:safe_solve": lambda: (tf.zeros([2, 2]), tf.ones([2, 1])),
    # ... and a variable to update, which a generated probe (a tensor) is not
    "ops:toggle_first": lambda: (tf.Variable([1, 2, 3]),),
    # training_pkg: the model is an argument
    "trainer.train:train_step": lambda: (tf.keras.Sequential([tf.keras.layers.Dense(4)]), tf.ones([2, 4])),
}

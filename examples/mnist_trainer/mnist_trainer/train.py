"""A custom training loop around a tf.function."""

import time

import tensorflow as tf

from mnist_trainer.model import Classifier

model = Classifier()
optimizer = tf.keras.optimizers.Adam()
losses = []


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        loss = tf.reduce_mean(
            tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        )
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    losses.append(loss)
    if loss.numpy() < 0.01:
        tf.print("converged")
    return loss, time.time()


def fit(dataset, epochs=2):
    for epoch in range(epochs):
        for images, labels in dataset:
            loss, _ = train_step(images, labels)
        print("epoch", epoch, "loss", float(loss))

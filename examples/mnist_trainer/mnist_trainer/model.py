"""A small classifier with a custom train_step."""

import tensorflow as tf


class Classifier(tf.keras.Model):
    def __init__(self, classes=10):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.hidden = tf.keras.layers.Dense(128, activation="relu")
        self.logits = tf.keras.layers.Dense(classes)
        self.seen = 0

    def call(self, inputs, training=False):
        return self.logits(self.hidden(self.flatten(inputs)))

    def train_step(self, data):
        images, labels = data
        batch = images.shape[0]
        with tf.GradientTape() as tape:
            predictions = self(images, training=True)
            loss = self.compute_loss(y=labels, y_pred=predictions)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.seen += batch
        return {"loss": loss, "examples": self.seen}

"""A custom training loop, as in the TensorFlow tutorials: argparse, a GPU set-up loop, an epoch loop, a save."""
import argparse
import time

import numpy as np
import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10**9)
parser.add_argument("--lr", type=float, default=0.01)
args = parser.parse_args()

gpus = tf.config.list_physical_devices("GPU")
for gpu in gpus:
    tf.config.experimental.set_memory_growth(gpu, True)

x_train = np.random.rand(256, 8).astype("float32")
y_train = np.random.rand(256, 1).astype("float32")
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(256).batch(32)

model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(1)])
loss_fn = tf.keras.losses.MeanSquaredError()
optimizer = tf.keras.optimizers.SGD(args.lr)
train_loss = tf.keras.metrics.Mean(name="train_loss")
history = []


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss(loss)
    history.append(loss)
    return loss


for epoch in range(args.epochs):
    start = time.time()
    train_loss.reset_state()
    for x, y in train_ds:
        train_step(x, y)
    print(f"epoch {epoch}: {train_loss.result():.4f} in {time.time() - start:.2f}s")

model.save("model.keras")  # never run: the model was not trained

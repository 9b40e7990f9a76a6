"""A script whose traced function needs names that only its loops bind."""

import tensorflow as tf

for step in range(3):
    warmup = float(step)

scale = warmup + 1.0  # read here: the loop above has to run


@tf.function
def scaled(x):
    print("scale", scale, offset, x)  # TFF101
    return x * scale + offset


for i in range(2):
    offset = 10.0 * (i + 1)  # read by `scaled` only: this loop runs too

while True:  # binds nothing anyone reads: never run
    scaled(tf.ones([2]))

# Source: https://itsfoss.gitlab.io/post/why-your-tffunction-isnt-working-the-way-you-think-and-how-to-fix-it
#   (a write-up of the side-effect questions users ask about tf.function: global variable
#   mutations, list appends, iterators)
# Reported: a module-level list filled from inside a tf.function only grows on the trace:
#   `squares.append(v ** 2)` with a Python number run once for several calls.
# Family: TFF1xx (Python side effects)
# Expected: TFF102 on the append of a Python number to the module list.
# Observed (TensorFlow 2.21): after 3 calls the list has 1 element.
# symptom: stdout "squares recorded: 1"
import tensorflow as tf

squares = []


@tf.function
def record(x, v):
    squares.append(v ** 2)  # expect: TFF102
    return x + 1.0


for _ in range(3):
    record(tf.constant(1.0), 3)
print("squares recorded:", len(squares))

# Source: https://itsfoss.gitlab.io/post/why-your-tffunction-isnt-working-the-way-you-think-and-how-to-fix-it
#   (section on Python iterators inside tf.function)
# Reported: `next(it)` on a plain Python iterator inside a tf.function returns the same
#   element on every call: it runs once, while tracing.
# Family: TFF1xx (Python side effects)
# Expected: TFF104 family (outside Python state read once at trace time). No existing
#   rule covers `next()` on a Python iterator.
# Observed (TensorFlow 2.21): 3 calls all add the first element, 10.0.
# symptom: stdout "results: [10.0, 10.0, 10.0]"
import tensorflow as tf

offsets = iter([10.0, 20.0, 30.0])


@tf.function
def shifted(x):
    return x + next(offsets)  # expect: TFF104


results = [float(shifted(tf.constant(0.0))) for _ in range(3)]
print("results:", results)

# Source: https://github.com/google-research/seed_rl/issues/52
# Reported: "Unable to update non-tensor variable in the tf.function": a module
#   number `a = 0` incremented with `a += 1` in an inference tf.function stays unchanged.
# Family: TFF1xx (Python side effects)
# Expected: TFF102 on the `+=` of the global.
# Observed (TensorFlow 2.21): after 4 calls the global counter is 1.
# symptom: stdout "inference calls counted: 1"
import tensorflow as tf

inference_calls = 0


@tf.function
def inference(observation):
    global inference_calls
    inference_calls += 1  # expect: TFF102
    return observation * 0.5


for step in range(4):
    inference(tf.constant([1.0, 2.0]))
print("inference calls counted:", inference_calls)

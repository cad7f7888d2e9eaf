import numpy as np
import pytest
import tensorflow as tf

from albert_tf.layers import activations


@pytest.mark.parametrize("dtype", [tf.float32, tf.bfloat16])
def test_gelu_tanh_forward_is_bit_identical_to_tf_nn_gelu(dtype):
  x = tf.cast(tf.random.stateless_normal([4096], seed=[1, 2], stddev=3.0), dtype)
  np.testing.assert_array_equal(activations.gelu_tanh(x).numpy(),
                                tf.nn.gelu(x, approximate=True).numpy())


def test_gelu_tanh_gradient_matches_the_analytic_derivative_and_autodiff():
  x = tf.random.stateless_normal([4096], seed=[3, 4], stddev=3.0, dtype=tf.float64)
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    ours, reference = activations.gelu_tanh(x), tf.nn.gelu(x, approximate=True)
  grad = tape.gradient(ours, x).numpy()
  xn = x.numpy()
  t = np.tanh(0.7978845608028654 * (xn + 0.044715 * xn ** 3))
  analytic = 0.5 * (1 + t) + 0.5 * xn * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * xn ** 2)
  # TF's float64 tanh/pow kernels are good to ~1e-9, not 1e-16, on either path.
  np.testing.assert_allclose(grad, analytic, rtol=1e-7, atol=1e-9)
  np.testing.assert_allclose(grad, tape.gradient(reference, x).numpy(), rtol=1e-7, atol=1e-9)


def test_gelu_tanh_backward_reads_only_the_input_and_tanh():
  """The point of the custom gradient: the backward ops read x and tanh, not x³, the tanh
  argument, 0.5·x or 1 + tanh (what autodiff of the composite keeps alive)."""

  @tf.function
  def step(x):
    with tf.GradientTape() as tape:
      tape.watch(x)
      y = activations.gelu_tanh(x)
    return tape.gradient(y, x)

  ops = step.get_concrete_function(tf.TensorSpec([8, 16])).graph.get_operations()
  split = next(i for i, op in enumerate(ops) if op.type == "IdentityN")  # custom_gradient's seam
  forward = {op.name: op.type for op in ops[:split] if op.type not in ("Const", "Placeholder")}
  read_by_backward = {inp.op.name for op in ops[split + 1:] for inp in op.inputs}
  assert {forward[name] for name in forward.keys() & read_by_backward} == {"Tanh"}

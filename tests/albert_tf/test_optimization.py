"""LAMB/AdamW update rule vs a hand-computed NumPy step; schedule; clipping."""
import numpy as np
import pytest
import tensorflow as tf

from albert_tf import optimization

B1, B2, EPS, WD, LR = 0.9, 0.999, 1e-6, 0.01, 0.1
# The optimizer holds β as float32 and forms 1−β in float32 (1−0.999f = 0.00099999...);
# use those exact values so the float64 reference differs only by float32 rounding.
_F = np.float32
C1, C2 = float(_F(1) - _F(B1)), float(_F(1) - _F(B2))


def _numpy_step(w, g, m, v, decay, adapt):
  """One official LAMB step (lamb_optimizer.py), no bias correction."""
  m = float(_F(B1)) * m + C1 * g
  v = float(_F(B2)) * v + C2 * g * g
  u = m / (np.sqrt(v) + EPS)
  if decay:
    u = u + WD * w
  r = 1.0
  if adapt:
    wn, un = np.linalg.norm(w), np.linalg.norm(u)
    r = wn / un if wn > 0 and un > 0 else 1.0
  return w - r * LR * u, m, v


def _run(opt_cls, steps=3):
  rng = np.random.default_rng(0)
  init = {"dense/kernel": rng.normal(size=(3, 4)), "dense/bias": rng.normal(size=(4,)),
          "block/LayerNorm/gamma": rng.normal(size=(4,)), "zero/kernel": np.zeros((2, 2))}
  tf_vars = {k: tf.Variable(v.astype(np.float32), name=k) for k, v in init.items()}
  opt = opt_cls(learning_rate=LR, weight_decay_rate=WD)
  state = {k: (v.astype(np.float64), np.zeros_like(v), np.zeros_like(v)) for k, v in init.items()}
  for _ in range(steps):
    grads = {k: rng.normal(size=v.shape) for k, v in init.items()}
    opt.apply_gradients([(tf.constant(grads[k], tf.float32), tf_vars[k]) for k in init])
    for k in init:
      excluded = any(p in k for p in ("LayerNorm", "bias"))
      adapt = not excluded and opt_cls is optimization.LAMB
      state[k] = _numpy_step(*state[k][:1], grads[k], *state[k][1:], decay=not excluded,
                             adapt=adapt)
  return {k: (tf_vars[k].numpy(), state[k][0]) for k in init}


@pytest.mark.parametrize("opt_cls", [optimization.LAMB, optimization.AdamWeightDecay])
def test_update_matches_hand_computed_step(opt_cls):
  for name, (got, want) in _run(opt_cls).items():
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_no_bias_correction_first_step():
  # Step 1 without bias correction: m = 0.1 g, v = 0.001 g², u = 0.1/√0.001 · sign(g) ≈ 3.16;
  # with Adam's correction it would be 1.0.  Bias var: no decay, no adaptation.
  var = tf.Variable([1.0, -2.0], name="x/bias")
  optimization.LAMB(learning_rate=1.0).apply_gradients([(tf.constant([0.5, -0.5]), var)])
  u = C1 * 0.5 / (np.sqrt(C2 * 0.25) + EPS)
  np.testing.assert_allclose(var.numpy(), [1.0 - u, -2.0 + u], rtol=1e-6)


def test_schedule_warmup_then_decay_counting_warmup():
  s = optimization.WarmupPolynomialDecay(1.0, num_train_steps=10, num_warmup_steps=4,
                                         poly_power=2.0)
  got = [float(s(i)) for i in range(12)]
  want = [i / 4 for i in range(4)] + [(1 - i / 10) ** 2 for i in range(4, 10)] + [0.0, 0.0]
  np.testing.assert_allclose(got, want, atol=1e-7)


def test_create_optimizer_clips_global_norm():
  opt = optimization.create_optimizer("adamw", learning_rate=1.0, num_train_steps=10,
                                      num_warmup_steps=0)
  assert isinstance(opt, optimization.AdamWeightDecay) and opt.global_clipnorm == 1.0
  a, b = tf.Variable([0.0, 0.0], name="a/bias"), tf.Variable([0.0], name="b/bias")
  opt.apply_gradients([(tf.constant([30.0, 40.0]), a), (tf.constant([0.0]), b)])
  # clipped g = (0.6, 0.8): first step u = 0.1 g / (√0.001 |g| + ε) ≈ 3.16 per element.
  np.testing.assert_allclose(a.numpy(), [-3.1622, -3.1622], rtol=1e-3)
  with pytest.raises(ValueError, match="optimizer='sgd'"):
    optimization.create_optimizer("sgd")

"""Optimizers and learning-rate schedule of the official ALBERT (docs/albert_reference.md §4.3).

  lr(step)  = init_lr · step / warmup                      if step − start_warmup < warmup
            = init_lr · (1 − min(step, N) / N) ** power    otherwise (the decay clock counts
                                                           the warmup steps too; N = num_train_steps)
  LAMB      m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²     (NO bias correction)
            u = m / (√v + ε) + wd·w                         (wd term only if not excluded)
            r = ‖w‖ / ‖u‖  (1 if a norm is 0, or if excluded)
            w ← w − r · lr · u
  AdamW     the same with r = 1 always (official AdamWeightDecayOptimizer).

Defaults: wd 0.01, β1 0.9, β2 0.999, ε 1e-6; variables whose name matches "LayerNorm",
"layer_norm" or "bias" (regex search, as in the official code) get neither weight decay nor
layer adaptation. Our variable names keep the official scopes (".../LayerNorm/gamma",
".../output_bias"), so the official patterns apply unchanged.

Gradient clipping (global norm 1.0) is `global_clipnorm` on the optimizer: Keras applies it
*after* the cross-replica gradient sum, so the clipped update does not depend on the number
of replicas. (The official TPU code clips each shard's gradient before CrossShardOptimizer
averages them, which makes the result depend on the shard count; with one shard both agree.)

Example:
    >>> sched = WarmupPolynomialDecay(1e-3, num_train_steps=100, num_warmup_steps=10)
    >>> [round(float(sched(s)), 6) for s in (0, 5, 10, 55, 100)]
    [0.0, 0.0005, 0.0009, 0.00045, 0.0]
"""
import tensorflow as tf
import tf_keras
from official.modeling.optimization import lamb as tfm_lamb

from albert_tf import configs
from albert_tf.errors import UserError

EXCLUDE_FROM_WEIGHT_DECAY = ("LayerNorm", "layer_norm", "bias")
OPTIMIZERS = configs.OPTIMIZERS  # ("lamb", "adamw"); PretrainConfig.validate checks it


class WarmupPolynomialDecay(tf_keras.optimizers.schedules.LearningRateSchedule):
  """Linear warmup, then polynomial decay to `end_learning_rate` (official create_optimizer).

  As in the official code the decay is evaluated at the global step (warmup included), so at
  the end of warmup the rate is already init_lr · (1 − warmup/N)**power, not init_lr.
  """

  def __init__(self, initial_learning_rate, num_train_steps, num_warmup_steps=0,
               poly_power=1.0, start_warmup_step=0, end_learning_rate=0.0, name=None):
    super().__init__()
    if num_train_steps <= 0:
      raise UserError(f"--num_train_steps={num_train_steps} must be positive")
    self.initial_learning_rate = float(initial_learning_rate)
    self.num_train_steps = int(num_train_steps)
    self.num_warmup_steps = int(num_warmup_steps)
    self.poly_power = float(poly_power)
    self.start_warmup_step = int(start_warmup_step)
    self.end_learning_rate = float(end_learning_rate)
    self.name = name

  def __call__(self, step):
    with tf.name_scope(self.name or "WarmupPolynomialDecay"):
      step_f = tf.cast(step, tf.float32)
      frac = tf.minimum(step_f, float(self.num_train_steps)) / float(self.num_train_steps)
      decayed = ((self.initial_learning_rate - self.end_learning_rate)
                 * tf.pow(1.0 - frac, self.poly_power) + self.end_learning_rate)
      if not self.num_warmup_steps:
        return decayed
      warm_step = tf.cast(tf.cast(step, tf.int64) - self.start_warmup_step, tf.float32)
      warm_lr = self.initial_learning_rate * warm_step / float(self.num_warmup_steps)
      return tf.where(warm_step < float(self.num_warmup_steps), warm_lr, decayed)

  def get_config(self):
    return {"initial_learning_rate": self.initial_learning_rate,
            "num_train_steps": self.num_train_steps,
            "num_warmup_steps": self.num_warmup_steps, "poly_power": self.poly_power,
            "start_warmup_step": self.start_warmup_step,
            "end_learning_rate": self.end_learning_rate, "name": self.name}


class LAMB(tfm_lamb.LAMB):
  """LAMB exactly as google-research/ALBERT `lamb_optimizer.LAMBOptimizer`.

  tf-models-official's LAMB implements the same update (same exclusion lists, same
  ratio-is-1-when-a-norm-is-0 rule, same sparse handling) except one thing: it divides m and
  v by (1 − β^t), the Adam bias correction; the official ALBERT/BERT optimizers do not. We
  keep tf-models' update code and set β1^t = β2^t = 0 in its per-step coefficients, which
  makes both corrections divide by exactly 1. Why not keep the correction: the released
  hyperparameters (lr 0.00176, 3,125 warmup steps) were tuned without it; with it, m̂/√v̂
  differs from m/√v by √(1−β2^t)/(1−β1^t), a factor that is 0.32 at step 1 and ≈1 only after
  ~5k steps — i.e. inside the official warmup the two optimizers take different steps, and
  a faithful reproduction should take the official ones. (With layer adaptation the size of
  each step is set by r·lr anyway; the correction only changes the direction of u relative to
  the weight-decay term, but that is still a difference.)
  """

  def __init__(self, learning_rate=0.00176, beta_1=0.9, beta_2=0.999, epsilon=1e-6,
               weight_decay_rate=0.01, exclude_from_weight_decay=EXCLUDE_FROM_WEIGHT_DECAY,
               exclude_from_layer_adaptation=None, name="LAMB", **kwargs):
    super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                     epsilon=epsilon, weight_decay_rate=weight_decay_rate,
                     exclude_from_weight_decay=list(exclude_from_weight_decay or []),
                     exclude_from_layer_adaptation=(list(exclude_from_layer_adaptation)
                                                    if exclude_from_layer_adaptation else None),
                     name=name, **kwargs)

  def _prepare_local(self, var_device, var_dtype, apply_state):
    super()._prepare_local(var_device, var_dtype, apply_state)
    # No bias correction (official): m_hat = m / (1 - 0), v_hat = v / (1 - 0).
    zero = tf.zeros([], var_dtype)
    apply_state[(var_device, var_dtype)].update(beta_1_power=zero, beta_2_power=zero)

  def get_config(self):
    config = super().get_config()
    config.update(exclude_from_weight_decay=self.exclude_from_weight_decay,
                  exclude_from_layer_adaptation=self.exclude_from_layer_adaptation)
    return config


class AdamWeightDecay(LAMB):
  """The official AdamWeightDecayOptimizer: LAMB's update without layer adaptation (r = 1)."""

  def __init__(self, learning_rate=0.00176, name="AdamWeightDecay", **kwargs):
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)

  def _do_layer_adaptation(self, param_name):
    return False


def create_optimizer(optimizer="lamb", learning_rate=0.00176, num_train_steps=125000,
                     num_warmup_steps=3125, poly_power=1.0, start_warmup_step=0,
                     weight_decay_rate=0.01, clip_norm=1.0):
  """Returns the official optimizer (LAMB or AdamW) with its warmup+poly-decay schedule.

  `clip_norm` becomes `global_clipnorm` (applied after gradient aggregation); None disables.
  """
  if optimizer not in OPTIMIZERS:
    raise UserError(f"--optimizer={optimizer!r} is unknown; choose one of {', '.join(OPTIMIZERS)}")
  schedule = WarmupPolynomialDecay(learning_rate, num_train_steps, num_warmup_steps,
                                   poly_power=poly_power, start_warmup_step=start_warmup_step)
  cls = LAMB if optimizer == "lamb" else AdamWeightDecay
  kwargs = {"global_clipnorm": clip_norm} if clip_norm else {}
  return cls(learning_rate=schedule, weight_decay_rate=weight_decay_rate, **kwargs)


def learning_rate_schedule(optimizer):
  """The learning-rate schedule (a callable of the step) of a possibly loss-scaled optimizer."""
  inner = getattr(optimizer, "inner_optimizer", optimizer)
  return inner._get_hyper("learning_rate")  # pylint: disable=protected-access

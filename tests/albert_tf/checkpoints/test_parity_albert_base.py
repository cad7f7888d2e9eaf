"""albert_base-sized parity vs HF transformers and tf-models-official (slow: ~1 min)."""
import pytest

from albert_tf.checkpoints import hf
from albert_tf.checkpoints import tf_models
from albert_tf.configs import AlbertConfig
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu

pytestmark = pytest.mark.slow
BASE = AlbertConfig.from_preset("albert_base")


@pytest.fixture(scope="module")
def model_and_inputs():
  model = pu.randomize(AlbertPretrainer(BASE).ensure_built(), seed=31, stddev=0.02)
  return model, pu.random_inputs(BASE, batch=3, seq_len=128, num_masked=20, seed=32)


def test_albert_base_vs_hf(model_and_inputs):
  pytest.importorskip("torch")
  from tests.albert_tf.checkpoints import hf_utils  # pylint: disable=g-import-not-at-top
  model, inputs = model_and_inputs
  theirs = hf_utils.hf_model(BASE, state_dict=hf.state_dict_from_ours(model))
  a, b = pu.outputs(model, inputs), hf_utils.hf_outputs(theirs, inputs)
  diff = pu.report("albert_base vs HF AlbertForPreTraining", {k: pu.max_diff(a[k], b[k]) for k in b})
  assert diff <= pu.TOLERANCE


def test_albert_base_vs_tf_models(model_and_inputs):
  model, inputs = model_and_inputs
  tm_encoder, tm_pretrainer = tf_models.build_tf_models(BASE)
  tf_models.copy_to_tf_models(model, tm_encoder, tm_pretrainer.masked_lm)
  out = tm_pretrainer(inputs, training=False)
  a = pu.outputs(model, inputs)
  diff = pu.report("albert_base vs tf-models AlbertEncoder+MaskedLM", {
      k: pu.max_diff(a[k], out[k].numpy()) for k in ("sequence_output", "pooled_output", "mlm_logits")})
  assert diff <= pu.TOLERANCE

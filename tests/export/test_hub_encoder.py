"""The TF Hub encoder export: outputs, .mlm, trainable variables, dropout, any T, moved dirs."""
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from albert_tf import errors
from export import hub_models


def _inputs(batch=2, length=9, seed=0):
  rng = np.random.default_rng(seed)
  ids = rng.integers(5, 30000, size=(batch, length)).astype(np.int32)
  mask = np.ones_like(ids)
  mask[1, length // 2:] = 0
  types = np.zeros_like(ids)
  types[:, length // 2:] = 1
  return {"input_word_ids": tf.constant(ids), "input_mask": tf.constant(mask),
          "input_type_ids": tf.constant(types)}


@pytest.fixture(scope="module")
def loaded(encoder_dir):
  return tf.saved_model.load(encoder_dir[0])


def test_outputs_equal_in_memory_model(loaded, tiny_checkpoint):
  model = tiny_checkpoint[0]
  for length in (3, 17, model.config.max_position_embeddings):
    inputs = _inputs(length=length)
    got = loaded(inputs, training=False)
    want = model.encoder(inputs, training=False)
    for key in ("pooled_output", "sequence_output", "default"):
      np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), atol=1e-5)
    assert len(got["encoder_outputs"]) == len(want["encoder_outputs"]) == 2
    assert got["sequence_output"].shape == (2, length, 32)


def test_mlm_subobject(loaded, tiny_checkpoint):
  inputs = dict(_inputs(), masked_lm_positions=tf.constant([[1, 2, 3], [0, 4, 4]]))
  got = loaded.mlm(inputs, training=False)
  want = tiny_checkpoint[0](inputs, training=False)
  assert got["mlm_logits"].shape == (2, 3, 30000)
  np.testing.assert_allclose(got["mlm_logits"].numpy(), want["mlm_logits"].numpy(), atol=1e-4)


def test_variables_and_dropout(loaded, tiny_checkpoint):
  encoder = tiny_checkpoint[0].encoder
  assert len(loaded.trainable_variables) == len(encoder.trainable_variables)
  assert len(loaded.mlm.trainable_variables) > len(loaded.trainable_variables)
  inputs = _inputs()
  a, b = (loaded(inputs, training=False)["pooled_output"].numpy() for _ in range(2))
  np.testing.assert_array_equal(a, b)
  c = loaded(inputs, training=True)["pooled_output"].numpy()
  assert not np.allclose(a, c)  # hidden dropout 0.1 is active only with training=True


def test_serving_signature_and_config(encoder_dir):
  loaded = tf.saved_model.load(encoder_dir[0])
  out = loaded.signatures["serving_default"](**_inputs())
  assert set(out) == {"pooled_output", "sequence_output", "default"}
  assert os.path.exists(os.path.join(encoder_dir[0], hub_models.CONFIG_FILE))


def test_preprocessor_works_after_copy_and_removal(preprocessor_dir, tmp_path):
  src = os.path.join(str(tmp_path), "original")
  shutil.copytree(preprocessor_dir[0], src)
  moved = os.path.join(str(tmp_path), "elsewhere", "copy")
  shutil.copytree(src, moved)
  shutil.rmtree(src)
  loaded = tf.saved_model.load(moved)
  asset = loaded.sp_model_file.asset_path.numpy().decode()
  assert asset.startswith(moved) and os.path.basename(asset) == "30k-clean.model"
  assert loaded.tokenize(tf.constant(["hello world"])).to_list() == [[10975, 126]]
  with open(os.path.join(preprocessor_dir[0], "saved_model.pb"), "rb") as f:
    assert str(tmp_path).encode() not in f.read()


def test_existing_export_dir_is_not_overwritten(encoder_dir):
  with pytest.raises(errors.UserError, match="exists and is not empty"):
    hub_models.export_hub("preprocessor", encoder_dir[0])

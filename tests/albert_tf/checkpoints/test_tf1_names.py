"""TF1 (google-research/ALBERT) names: round trips, the official name list, strict errors."""
import numpy as np
import pytest
import tensorflow as tf

from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.configs import AlbertConfig
from albert_tf.encoder import AlbertEncoder
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu


def official_albert_base_names(vocab_size=30000):
  """The albert_base variable list of docs/albert_reference.md §2.1, written out by hand."""
  e, h, f = 128, 768, 3072
  p = "bert/encoder/transformer/group_0/inner_group_0"
  names = {
      "bert/embeddings/word_embeddings": [vocab_size, e],
      "bert/embeddings/token_type_embeddings": [2, e],
      "bert/embeddings/position_embeddings": [512, e],
      "bert/embeddings/LayerNorm/beta": [e], "bert/embeddings/LayerNorm/gamma": [e],
      "bert/encoder/embedding_hidden_mapping_in/kernel": [e, h],
      "bert/encoder/embedding_hidden_mapping_in/bias": [h],
      f"{p}/attention_1/output/dense/kernel": [h, h], f"{p}/attention_1/output/dense/bias": [h],
      f"{p}/LayerNorm/beta": [h], f"{p}/LayerNorm/gamma": [h],
      f"{p}/ffn_1/intermediate/dense/kernel": [h, f], f"{p}/ffn_1/intermediate/dense/bias": [f],
      f"{p}/ffn_1/intermediate/output/dense/kernel": [f, h],
      f"{p}/ffn_1/intermediate/output/dense/bias": [h],
      f"{p}/LayerNorm_1/beta": [h], f"{p}/LayerNorm_1/gamma": [h],
      "bert/pooler/dense/kernel": [h, h], "bert/pooler/dense/bias": [h],
      "cls/predictions/transform/dense/kernel": [h, e],
      "cls/predictions/transform/dense/bias": [e],
      "cls/predictions/transform/LayerNorm/beta": [e],
      "cls/predictions/transform/LayerNorm/gamma": [e],
      "cls/predictions/output_bias": [vocab_size],
      "cls/seq_relationship/output_weights": [2, h], "cls/seq_relationship/output_bias": [2],
  }
  for part in ("query", "key", "value"):
    names[f"{p}/attention_1/self/{part}/kernel"] = [h, h]
    names[f"{p}/attention_1/self/{part}/bias"] = [h]
  return names


def write_with_tf1_saver(prefix, shapes, prefix_scope="", with_optimizer=False):
  """Writes a checkpoint the way the official TF1 code does (graph variables + Saver)."""
  with tf.Graph().as_default():
    variables = {}
    init = tf.compat.v1.random_normal_initializer(stddev=0.02, seed=7)
    for name, shape in shapes.items():
      full = prefix_scope + name
      variables[full] = tf.compat.v1.get_variable(full, shape, initializer=init)
      if with_optimizer:
        for slot in ("adam_m", "adam_v"):
          variables[f"{full}/{slot}"] = tf.compat.v1.get_variable(
              f"{full}/{slot}", shape, initializer=tf.compat.v1.zeros_initializer())
    variables["global_step"] = tf.compat.v1.train.get_or_create_global_step()
    saver = tf.compat.v1.train.Saver(var_list=variables)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      return saver.save(sess, prefix, write_meta_graph=False)


def test_official_name_list_loads_with_nothing_missing_or_unused(tmp_path):
  config = AlbertConfig.from_preset("albert_base").replace(vocab_size=120)
  shapes = official_albert_base_names(vocab_size=120)
  prefix = write_with_tf1_saver(str(tmp_path / "model.ckpt-best"), shapes,
                                prefix_scope="module/", with_optimizer=True)
  model = AlbertPretrainer(config).ensure_built()
  tf1_names.load_tf1(model, prefix)  # strict: raises on anything missing or unused
  assert sorted(e.name for e in tf1_names.tf1_entries(model)) == sorted(shapes)
  reader = tf.train.load_checkpoint(prefix)
  np.testing.assert_array_equal(
      model.encoder.transformer.attention_sublayers[0][1].key.kernel.numpy(),
      reader.get_tensor("module/bert/encoder/transformer/group_0/inner_group_0/"
                        "attention_1/self/key/kernel"))


def test_official_albert_base_true_shapes(tmp_path):
  shapes = official_albert_base_names()
  prefix = write_with_tf1_saver(str(tmp_path / "model.ckpt-best"), shapes)
  model = AlbertPretrainer(AlbertConfig.from_preset("albert_base")).ensure_built()
  tf1_names.load_tf1(model, tmp_path)  # a directory works too (latest checkpoint)
  written = dict(tf.train.list_variables(tf1_names.save_tf1(model, tmp_path / "out")))
  assert written == {**shapes, "global_step": []}


@pytest.mark.parametrize("config", [
    pu.TINY, pu.TINY_GROUPS, pu.TINY.replace(num_hidden_layers=3, share_parameters="none"),
    pu.TINY.replace(num_hidden_layers=3, share_parameters="attention"),
    pu.TINY.replace(num_hidden_layers=3, share_parameters="ffn"),
    pu.TINY.replace(embedding_size=32),
    pu.TINY.replace(num_hidden_layers=5, num_hidden_groups=2)],
    ids=["all", "groups", "none", "attention", "ffn", "E=H", "L5_G2"])
def test_round_trip_ours_tf1_ours(tmp_path, config, request):
  model = pu.randomize(AlbertPretrainer(config).ensure_built())
  prefix = tf1_names.save_tf1(model, tmp_path, global_step=7)
  assert tf.train.load_checkpoint(prefix).get_tensor("global_step") == 7
  fresh = AlbertPretrainer(AlbertConfig.from_json_file(tmp_path / "albert_config.json"))
  tf1_names.load_tf1(fresh.ensure_built(), prefix)
  inputs = pu.random_inputs(config)
  a, b = pu.outputs(model, inputs), pu.outputs(fresh, inputs)
  assert pu.report(f"ours→TF1→ours [{request.node.callspec.id}]",
                   {k: pu.max_diff(a[k], b[k]) for k in a}) == 0.0


def test_sharing_mode_names():
  none = [e.name for e in tf1_names.tf1_entries(
      AlbertEncoder(pu.TINY.replace(num_hidden_layers=3, share_parameters="none")))]
  groups = [e.name for e in tf1_names.tf1_entries(
      AlbertEncoder(pu.TINY.replace(num_hidden_layers=3, num_hidden_groups=3)))]
  assert none == groups  # "none" is exactly a TF1 model with groups = layers
  att = {e.name for e in tf1_names.tf1_entries(
      AlbertEncoder(pu.TINY.replace(num_hidden_layers=2, share_parameters="attention")))}
  scope = "bert/encoder/transformer/group_0/inner_group_0"
  assert f"{scope}/attention_1/self/query/kernel" in att
  assert f"{scope}/ffn_1/intermediate/dense/kernel" in att
  assert f"{scope}/ffn_2/intermediate/output/dense/kernel" in att
  assert f"{scope}/LayerNorm_1/gamma" in att and f"{scope}/ffn_2/LayerNorm_1/gamma" in att
  assert f"{scope}/attention_2/self/query/kernel" not in att


def test_official_tf1_saver_restores_our_checkpoint(tmp_path):
  """The official code's path: graph variables with the official names + Saver.restore."""
  model = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built())
  prefix = tf1_names.save_tf1(model, tmp_path / "model.ckpt")
  entries = tf1_names.tf1_entries(model)
  with tf.Graph().as_default():
    graph_vars = {e.name: tf.compat.v1.get_variable(e.name, e.external_shape) for e in entries}
    with tf.compat.v1.Session() as sess:
      tf.compat.v1.train.Saver(var_list=graph_vars).restore(sess, prefix)
      values = sess.run(graph_vars)
  for e in entries:
    np.testing.assert_array_equal(values[e.name], e.variable.numpy())


def test_encoder_target_ignores_heads(tmp_path):
  model = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built())
  prefix = tf1_names.save_tf1(model, tmp_path)
  encoder = AlbertEncoder(pu.TINY)
  tf1_names.load_tf1(encoder, prefix)
  inputs = pu.random_inputs(pu.TINY)
  assert pu.max_diff(pu.outputs(encoder, inputs)["pooled_output"],
                     pu.outputs(model, inputs)["pooled_output"]) == 0.0


def test_mismatches_are_listed_and_nothing_is_assigned(tmp_path):
  shapes = official_albert_base_names(vocab_size=120)
  del shapes["bert/pooler/dense/bias"]
  shapes["bert/encoder/transformer/group_0/inner_group_0/attention_1/self/key/kernel"] = [768, 700]
  shapes["bert/made_up/kernel"] = [3]
  prefix = write_with_tf1_saver(str(tmp_path / "bad"), shapes, with_optimizer=True)
  model = AlbertPretrainer(AlbertConfig.from_preset("albert_base").replace(vocab_size=120))
  model.ensure_built()
  before = model.encoder.embeddings.word_embeddings.numpy().copy()
  with pytest.raises(CheckpointMismatchError) as err:
    tf1_names.load_tf1(model, prefix)
  assert err.value.missing == ["bert/pooler/dense/bias"]
  assert err.value.unexpected == ["bert/made_up/kernel"]  # adam slots / global_step ignored
  assert err.value.mis_shaped == [(
      "bert/encoder/transformer/group_0/inner_group_0/attention_1/self/key/kernel",
      (768, 700), (768, 768))]
  np.testing.assert_array_equal(model.encoder.embeddings.word_embeddings.numpy(), before)


def test_bad_path_is_a_one_line_error(tmp_path):
  with pytest.raises(ValueError, match="no TensorFlow checkpoint"):
    tf1_names.load_tf1(AlbertPretrainer(pu.TINY), tmp_path / "missing.ckpt")
  with pytest.raises(ValueError, match="no TensorFlow checkpoint in directory"):
    tf1_names.load_tf1(AlbertPretrainer(pu.TINY), tmp_path)

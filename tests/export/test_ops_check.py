"""Every op of every export is core TF or a stock-model-server TF Text op.

The server's ops: docs/serving_reference.md C9.
"""
import os

import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from export import ops_check
from export import signatures

ALLOWED_TF_TEXT_USED = {"NormalizeUTF8", "SentencepieceOp", "SentencepieceTokenizeOp"}


def _tf_text_ops(ops):
  return {op for op in ops if op not in ops_check.core_tf_ops()}


def test_core_ops_exclude_tf_text():
  core = ops_check.core_tf_ops()
  assert {"MatMul", "StaticRegexReplace", "RaggedGather", "StringLower"} <= core
  assert not {"SentencepieceOp", "TFText>RoundRobinTrim", "NormalizeUTF8"} & core


def test_preprocessor_ops(preprocessor_dir):
  path, ops = preprocessor_dir
  assert ops_check.disallowed_ops(path) == []
  assert _tf_text_ops(ops) == ALLOWED_TF_TEXT_USED


def test_encoder_ops(encoder_dir):
  path, ops = encoder_dir
  assert ops_check.disallowed_ops(path) == [] and _tf_text_ops(ops) == set()


def test_serving_ops(serving_base):
  ops = ops_check.check_ops(serving_base[1])
  assert _tf_text_ops(ops) == ALLOWED_TF_TEXT_USED
  assert "RaggedTensorToTensor" in ops


@pytest.mark.parametrize("name", list(signatures.SIGNATURES))
def test_every_registered_signature_is_op_checked(serving_base, name):
  """The signature's outputs come from a call of a library function, which check_ops walks."""
  meta_graph = ops_check.read_saved_model(serving_base[1]).meta_graphs[0]
  nodes = {node.name: node for node in meta_graph.graph_def.node}
  library = {f.signature.name for f in meta_graph.graph_def.library.function}
  outputs = meta_graph.signature_def[name].outputs.values()
  called = {nodes[t.name.split(":")[0]].attr["f"].func.name for t in outputs}
  assert called and called <= library
  assert ops_check.disallowed_ops(serving_base[1]) == []


def test_round_robin_trim_op_is_rejected(tmp_path):
  """tf-models' BertPackInputs path: TF Text's trimmer emits TFText>RoundRobinTrim."""
  module = tf.Module()
  trimmer = tf_text.RoundRobinTrimmer(max_seq_length=4)
  spec = tf.RaggedTensorSpec([None, None], tf.int32, ragged_rank=1)
  module.trim = tf.function(lambda a, b: trimmer.trim([a, b]), input_signature=[spec, spec])
  tf.saved_model.save(module, str(tmp_path))
  with pytest.raises(ops_check.DisallowedOpsError, match=r"TFText>RoundRobinTrim"):
    ops_check.check_ops(str(tmp_path))


def test_op_in_function_library_is_found(preprocessor_dir, tmp_path):
  proto = ops_check.read_saved_model(preprocessor_dir[0])
  library = proto.meta_graphs[0].graph_def.library
  library.function[len(library.function) // 2].node_def.add(name="x", op="MadeUpCustomOp")
  with open(os.path.join(tmp_path, "saved_model.pb"), "wb") as f:
    f.write(proto.SerializeToString())
  assert ops_check.disallowed_ops(str(tmp_path)) == ["MadeUpCustomOp"]
  with pytest.raises(ops_check.DisallowedOpsError, match="MadeUpCustomOp"):
    ops_check.check_ops(str(tmp_path))

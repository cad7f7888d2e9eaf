"""Checks that a SavedModel only uses ops the stock tensorflow_model_server has.

Allowed: every core TensorFlow op (the op registry of a process that ran only
`import tensorflow`, computed once in a subprocess because importing tensorflow_text
into this process adds its ops to the same registry) plus the TF Text ops exercised by
the model server's TF Text regression model (docs/serving_reference.md C9). Everything else —
notably `TFText>RoundRobinTrim` from TF Text's trimmers, missing from the server per
tensorflow/serving#2267 — fails the export with a message naming the op.

The walk covers meta_graphs[*].graph_def nodes and every function of
graph_def.library; a node whose op is the name of a library function is a call, not an op.

Example:
    >>> sorted(STOCK_SERVER_TF_TEXT_OPS)[:3]
    ['CaseFoldUTF8', 'ConstrainedSequence', 'MaxSpanningTree']
"""
import functools
import json
import os
import subprocess
import sys

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from albert_tf import errors

# Op names of the TF Text APIs that tensorflow/text oss_scripts/model_server/save_models.py
# exercises against the stock server (docs/serving_reference.md C9); TF Text 2.20 emits these names.
STOCK_SERVER_TF_TEXT_OPS = frozenset({
    # SentencepieceTokenizer: tokenize, tokenize_with_offsets, detokenize, vocab_size, id_to_string
    "SentencepieceOp", "SentencepieceTokenizeOp", "SentencepieceTokenizeWithOffsetsOp",
    "SentencepieceDetokenizeOp", "SentencepieceVocabSizeOp", "SentencepieceIdToStringOp",
    "CaseFoldUTF8",                       # case_fold_utf8
    "NormalizeUTF8",                      # normalize_utf8
    "RegexSplitWithOffsets",              # regex_split
    "TFText>WhitespaceTokenizeWithOffsetsV2",  # WhitespaceTokenizer
    "WordpieceTokenizeWithOffsets",       # WordpieceTokenizer
    "UnicodeScriptTokenizeWithOffsets",   # UnicodeScriptTokenizer
    "SplitMergeTokenizeWithOffsets",      # SplitMergeTokenizer
    "SentenceFragments",                  # sentence_fragments
    "ConstrainedSequence",                # viterbi_constrained_sequence
    "MaxSpanningTree",                    # max_spanning_tree
    "RougeL",                             # rouge_l (wordshape is core regex ops)
})

_CORE_OPS_SCRIPT = """
import json
import tensorflow
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session as c_api
ops = op_def_pb2.OpList()
ops.ParseFromString(c_api.TF_GetBuffer(c_api.TF_GetAllOpList()))
print(json.dumps(sorted(op.name for op in ops.op)))
"""


class DisallowedOpsError(errors.UserError):
  """A SavedModel uses ops that the stock model server does not have."""


@functools.lru_cache(maxsize=None)
def core_tf_ops():
  """Names of the ops registered by `import tensorflow` alone (frozenset, ~1900 ops)."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
  out = subprocess.run([sys.executable, "-c", _CORE_OPS_SCRIPT], check=True, env=env,
                       capture_output=True, text=True, timeout=300).stdout
  return frozenset(json.loads(out.strip().splitlines()[-1]))


def read_saved_model(export_dir):
  proto = saved_model_pb2.SavedModel()
  with tf.io.gfile.GFile(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
    proto.ParseFromString(f.read())
  return proto


def ops_used(export_dir):
  """{op name: count} over every graph and library function of a SavedModel."""
  counts = {}
  for meta_graph in read_saved_model(export_dir).meta_graphs:
    library = meta_graph.graph_def.library
    functions = {f.signature.name for f in library.function}
    nodes = list(meta_graph.graph_def.node)
    for function in library.function:
      nodes.extend(function.node_def)
    for node in nodes:
      if node.op not in functions:
        counts[node.op] = counts.get(node.op, 0) + 1
  return counts


def disallowed_ops(export_dir, extra_allowed=()):
  allowed = core_tf_ops() | STOCK_SERVER_TF_TEXT_OPS | frozenset(extra_allowed)
  return sorted(op for op in ops_used(export_dir) if op not in allowed)


def check_ops(export_dir, extra_allowed=()):
  """Raises DisallowedOpsError naming every op the stock server lacks; returns ops used."""
  bad = disallowed_ops(export_dir, extra_allowed)
  if bad:
    raise DisallowedOpsError(
        f"{export_dir} uses ops that are neither core TensorFlow nor TF Text ops of the "
        f"stock tensorflow_model_server (docs/serving_reference.md C9): {', '.join(bad)}")
  return sorted(ops_used(export_dir))

r"""Sentence-pair probes of a pretrained checkpoint: its own 2-way head, and a linear probe.

COMMAND: python -m experiments.probe --checkpoint=runs/miniature/pretrain/sop \
             --data_dir=runs/miniature/data --output_file=runs/miniature/probe/sop/probe.json

The paper's Table 5 scores each model's sentence head on both pair types: SOP pairs (label
1 = segments swapped) and NSP pairs (label 1 = B from another document). Both labels mean
"B does not follow A", so a head trained on one objective can be scored on the other as it
is ("head" rows). A model trained without a sentence objective (MLM only) has an untrained
head, so every checkpoint also gets a linear probe: logistic regression on its frozen pooled
output, fitted on pairs from the training records and scored on held-out pairs ("linear"
rows; the same probe for every arm, so the arms compare like for like).

Reads <data_dir>/{train,heldout}_{sop,nsp}/*.tfrecord. Writes {"parameters", "head": {sop,
nsp}, "linear": {sop, nsp}, "mlm_accuracy", "majority": {sop, nsp}, "num_examples"}.
"""
import json
import os

from absl import app
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string("checkpoint", None, "Pretraining output_dir or checkpoint prefix.")
flags.DEFINE_string("data_dir", None, "Folder with train_sop, train_nsp, heldout_sop, heldout_nsp.")
flags.DEFINE_string("output_file", None, "Where probe.json goes.")
flags.DEFINE_integer("max_seq_length", 128, "Sequence length of the records.")
flags.DEFINE_integer("max_predictions_per_seq", 20, "Masked positions per record.")
flags.DEFINE_integer("max_examples", 2000, "Pairs per split used for the probe.")
flags.DEFINE_integer("batch_size", 64, "Inference batch size.")


def model_outputs(model, files, seq, preds, max_examples, batch_size):
  """Pooled outputs [N,H], head predictions [N], labels [N] and MLM (correct, weight) sums."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from albert_tf import input_pipeline  # pylint: disable=import-outside-toplevel
  ds = input_pipeline.make_dataset(files, seq, preds, batch_size, is_training=False)
  ds = ds.take(max(1, max_examples // batch_size))
  keys = ("input_word_ids", "input_mask", "input_type_ids", "masked_lm_positions")
  step = tf.function(lambda b: model({k: b[k] for k in keys}, training=False))
  pooled, heads, labels, correct, weight = [], [], [], 0.0, 0.0
  for batch in ds:
    out = step(batch)
    pooled.append(out["pooled_output"].numpy())
    heads.append(np.argmax(out["sop_logits"].numpy(), -1))
    labels.append(batch["sentence_order_label"].numpy())
    w = batch["masked_lm_weights"].numpy()
    hit = np.argmax(out["mlm_logits"].numpy(), -1) == batch["masked_lm_ids"].numpy()
    correct += float((hit * w).sum())
    weight += float(w.sum())
  if not pooled:
    raise ValueError(f"{files}: fewer than {batch_size} records")
  return (np.concatenate(pooled), np.concatenate(heads), np.concatenate(labels),
          correct / max(weight, 1e-9))


def linear_probe(train_x, train_y, test_x, test_y, seed=0):
  """Held-out accuracy of L2 logistic regression on standardised features."""
  from sklearn.linear_model import LogisticRegression  # pylint: disable=import-outside-toplevel
  from sklearn.pipeline import make_pipeline  # pylint: disable=import-outside-toplevel
  from sklearn.preprocessing import StandardScaler  # pylint: disable=import-outside-toplevel
  clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
  clf.fit(train_x, train_y)
  return float(clf.score(test_x, test_y))


def probe(checkpoint, data_dir, seq, preds, max_examples, batch_size=64):
  """The probe.json dict for one checkpoint (see the module docstring)."""
  from albert_tf.checkpoints import load as ckpt_load  # pylint: disable=import-outside-toplevel
  config = ckpt_load.resolve_config(checkpoint=checkpoint)
  model, _ = ckpt_load.load_pretrainer(config, checkpoint)
  files = lambda name: os.path.join(data_dir, name, "*.tfrecord")  # noqa: E731
  result = {"parameters": int(model.encoder.count_params()), "head": {}, "linear": {},
            "majority": {}, "num_examples": {}}
  for pairs in ("sop", "nsp"):
    train_x, _, train_y, _ = model_outputs(model, files(f"train_{pairs}"), seq, preds,
                                           max_examples, batch_size)
    test_x, head, test_y, mlm = model_outputs(model, files(f"heldout_{pairs}"), seq, preds,
                                              max_examples, batch_size)
    result["head"][pairs] = float((head == test_y).mean())
    result["linear"][pairs] = linear_probe(train_x, train_y, test_x, test_y)
    result["majority"][pairs] = float(max(test_y.mean(), 1 - test_y.mean()))
    result["num_examples"][pairs] = {"train": int(len(train_y)), "heldout": int(len(test_y))}
    if pairs == "sop":
      result["mlm_accuracy"] = mlm
  return result


def main(argv):
  del argv
  result = probe(FLAGS.checkpoint, FLAGS.data_dir, FLAGS.max_seq_length,
                 FLAGS.max_predictions_per_seq, FLAGS.max_examples, FLAGS.batch_size)
  os.makedirs(os.path.dirname(FLAGS.output_file) or ".", exist_ok=True)
  tmp = FLAGS.output_file + ".tmp"
  with open(tmp, "w") as f:
    json.dump(result, f, indent=2)
  os.replace(tmp, FLAGS.output_file)
  print(json.dumps(result))


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  flags.mark_flags_as_required(["checkpoint", "data_dir", "output_file"])
  app.run(main)


if __name__ == "__main__":
  cli_main()

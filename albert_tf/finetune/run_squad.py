r"""SQuAD v1.1 / v2.0 fine-tuning and prediction (official run_squad_v1.py / run_squad_v2.py).

COMMAND (pipeline check on the shared dev sample, random-init albert_tiny, CPU, ~3 min):
  python -m albert_tf.finetune.squad_split --input=$SQUAD/dev-v1.1-sample.json \
      --train_output=/tmp/squad/train.json --predict_output=/tmp/squad/predict.json
  python -m albert_tf.finetune.run_squad --version=1.1 --preset=albert_tiny \
      --train_file=/tmp/squad/train.json --predict_file=/tmp/squad/predict.json \
      --max_seq_length=128 --doc_stride=64 --batch_size=16 --train_steps=300 \
      --warmup_steps=30 --learning_rate=1e-3 --output_dir=/tmp/squad/out
COMMAND (paper setting, v2.0, from a released checkpoint):
  python -m albert_tf.finetune.run_squad --version=2.0 --train_file=train-v2.0.json \
      --predict_file=dev-v2.0.json --albert_config_file=albert_base/albert_config.json \
      --init_checkpoint=albert_base/model.ckpt-best --output_dir=...

Writes to <output_dir>/seed_<s>/ (and, for the first seed, <output_dir>/): predictions.json
(question id → answer text, "" = no answer; the official evaluators' input),
nbest_predictions.json, and for v2.0 null_odds.json (question id → null score, the
evaluator's --na-prob-file) and predictions_non_null.json; eval_results.json with the
official EM/F1 (v2.0 also HasAns/NoAns and best_exact/best_f1 with their thresholds, computed
on the non-null predictions as the official ALBERT v2 script does) when the predict file has
answers. Without --train_file it only predicts (from --finetuned_checkpoint, a
<output_dir>/seed_<s>/best/ckpt written by an earlier run).

Unset hyperparameters default to the paper's: v1.1 lr 5e-5, batch 48, 3649 steps, warmup
365, seq 384; v2.0 lr 3e-5, batch 48, 8144 steps, warmup 814, seq 512; ALBERT dropout 0.
"""
import collections
import dataclasses
import json
import logging
import os
import shutil

from absl import app
from absl import flags

from albert_tf.finetune import common_flags
from albert_tf.finetune.glue import HParams

FLAGS = flags.FLAGS


def define_flags():
  """Defines this CLI's flags (called only when run as a script, so the
  three run_* modules can be imported together)."""
  flags.DEFINE_enum("version", "1.1", ["1.1", "2.0"], "SQuAD version (head and evaluation).")
  flags.DEFINE_string("train_file", None, "SQuAD JSON to train on (omit to only predict).")
  flags.DEFINE_string("predict_file", None, "SQuAD JSON to predict (and evaluate if it has answers).")
  flags.DEFINE_string("finetuned_checkpoint", None, "Predict-only: a fine-tuned model checkpoint "
                      "(seed_<s>/best/ckpt of an earlier run).")
  flags.DEFINE_integer("doc_stride", 128, "Stride between document spans, in pieces.")
  flags.DEFINE_integer("max_query_length", 64, "Questions keep their first N pieces.")
  flags.DEFINE_integer("n_best_size", 20, "Size of the n-best lists.")
  flags.DEFINE_integer("max_answer_length", 30, "Longest answer, in pieces.")
  flags.DEFINE_integer("start_n_top", 5, "v2.0 beam: start candidates.")
  flags.DEFINE_integer("end_n_top", 5, "v2.0 beam: end candidates per start.")
  flags.DEFINE_float("null_score_threshold", 0.0, "v2.0: predict no answer when the null score "
                     "(min cls_logit) exceeds this.")
  flags.DEFINE_integer("max_train_examples", None, "Use only the first N training questions.")
  flags.DEFINE_integer("max_predict_examples", None, "Use only the first N questions to predict.")
  common_flags.define_common_flags()


SQUAD_HPARAMS = {
    "1.1": HParams(5e-5, 48, 3649, 365, max_seq_length=384),
    "2.0": HParams(3e-5, 48, 8144, 814, max_seq_length=512),
}


@dataclasses.dataclass
class SquadRunConfig:
  version: str
  output_dir: str
  encoder: object
  hparams: object
  train_file: str = None
  predict_file: str = None
  finetuned_checkpoint: str = None
  doc_stride: int = 128
  max_query_length: int = 64
  n_best_size: int = 20
  max_answer_length: int = 30
  start_n_top: int = 5
  end_n_top: int = 5
  null_score_threshold: float = 0.0
  seeds: tuple = (0,)
  eval_every: int = 0
  eval_batch_size: int = 64
  max_train_examples: int = None
  max_predict_examples: int = None
  strategy: str = "auto"
  log_every: int = 50
  save_checkpoints: bool = True


def _write_json(path, value):
  with open(path, "w", encoding="utf-8") as f:
    json.dump(value, f, indent=2, ensure_ascii=False)


def _limit(dataset, max_questions):
  """A copy of a SQuAD dict holding only its first max_questions questions."""
  if max_questions is None:
    return dataset
  out, left = {"version": dataset.get("version"), "data": []}, max_questions
  for article in dataset["data"]:
    paragraphs = []
    for paragraph in article["paragraphs"]:
      if left <= 0:
        break
      qas = paragraph["qas"][:left]
      left -= len(qas)
      paragraphs.append({**paragraph, "qas": qas})
    if paragraphs:
      out["data"].append({**article, "paragraphs": paragraphs})
  return out


def run(config):
  """Trains (if train_file) and predicts/evaluates; returns the results dict."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  # pylint: disable=import-outside-toplevel
  from albert_tf.finetune import encoders, heads, squad_data, squad_decode, squad_metrics
  from albert_tf.finetune import training

  hp, v2 = config.hparams, config.version == "2.0"
  tokenizer = encoders.make_tokenizer(config.encoder)
  stats = collections.Counter()
  kwargs = dict(max_seq_length=hp.max_seq_length, doc_stride=config.doc_stride,
                max_query_length=config.max_query_length, version=config.version)
  train_features = None
  if config.train_file:
    with open(config.train_file, encoding="utf-8") as f:
      train_json = _limit(json.load(f), config.max_train_examples)
    train_examples = squad_data.read_squad(train_json, True, config.version, stats)
    train_features, _, _ = squad_data.convert_examples_to_features(
        train_examples, tokenizer, is_training=True, stats=stats, **kwargs)
    stats["train_examples"], stats["train_features"] = len(train_examples), len(
        train_features["input_word_ids"])
  predict_json = None
  if config.predict_file:
    with open(config.predict_file, encoding="utf-8") as f:
      predict_json = _limit(json.load(f), config.max_predict_examples)
    predict_examples = squad_data.read_squad(predict_json, False, config.version)
    predict_features, metas, contexts = squad_data.convert_examples_to_features(
        predict_examples, tokenizer, is_training=False, stats=stats, **kwargs)
    stats["predict_examples"], stats["predict_features"] = len(predict_examples), len(metas)
    has_answers = any(qa.get("answers") for qa in squad_metrics.questions(predict_json))
  logging.info("SQuAD %s: %s", config.version, dict(stats))
  if not config.train_file and not config.predict_file:
    raise ValueError("give --train_file and/or --predict_file")

  input_keys = ("input_word_ids", "input_mask", "input_type_ids", "p_mask")
  seed_dir = [config.output_dir]

  def evaluate(model):
    if predict_json is None:
      return {"f1": 0.0, "best_f1": 0.0}
    outputs = training.predict(model, predict_features, config.eval_batch_size, keys=input_keys)
    os.makedirs(seed_dir[0], exist_ok=True)
    if v2:
      preds, non_null, null_odds, nbest = squad_decode.decode_v2(
          predict_examples, metas, contexts, outputs, config.n_best_size,
          config.max_answer_length, config.null_score_threshold)
      _write_json(os.path.join(seed_dir[0], "null_odds.json"), null_odds)
      _write_json(os.path.join(seed_dir[0], "predictions_non_null.json"), non_null)
    else:
      preds, nbest = squad_decode.decode_v1(predict_examples, metas, contexts, outputs,
                                            config.n_best_size, config.max_answer_length)
    _write_json(os.path.join(seed_dir[0], "predictions.json"), preds)
    _write_json(os.path.join(seed_dir[0], "nbest_predictions.json"), nbest)
    if not has_answers:
      return {"f1": 0.0, "best_f1": 0.0}
    if not v2:
      return squad_metrics.evaluate_v1(predict_json, preds)
    result = squad_metrics.evaluate_v2(predict_json, preds)
    thresholded = squad_metrics.evaluate_v2(predict_json, non_null, null_odds)
    result.update({k: v for k, v in thresholded.items() if k.startswith("best_")})
    return result

  def build_model():
    encoder, _ = encoders.build_encoder(config.encoder, hp.max_seq_length)
    if not v2:
      return heads.SquadV1Model(encoder)
    hidden = encoder.config.hidden_size if hasattr(encoder, "config") else None
    if hidden is None:   # Hub encoder: read the width off one call
      probe = encoder({k: tf.zeros([1, 2], tf.int32) for k in input_keys[:3]})
      hidden = int(probe["sequence_output"].shape[-1])
    return heads.SquadV2Model(encoder, hidden, config.start_n_top, config.end_n_top,
                              dropout_rate=0.1)

  primary = "best_f1" if v2 else "f1"
  loss_fn = heads.squad_v2_loss if v2 else heads.squad_v1_loss
  strategy = training.make_strategy(config.strategy)
  runs = []
  if not config.train_file:
    with strategy.scope():
      model = build_model()
      if config.finetuned_checkpoint:
        tf.train.Checkpoint(model=model).read(config.finetuned_checkpoint).expect_partial()
    metrics = evaluate(model)
    runs.append({"seed": None, "best": metrics, "last": metrics, "best_step": 0})
  for seed in (config.seeds if config.train_file else ()):
    seed_dir[0] = os.path.join(config.output_dir, f"seed_{seed}")
    train_config = training.TrainConfig(
        learning_rate=hp.learning_rate, batch_size=hp.batch_size, train_steps=hp.train_steps,
        warmup_steps=hp.warmup_steps, eval_every=config.eval_every, seed=seed,
        log_every=config.log_every, save_checkpoints=config.save_checkpoints)
    result = training.train_and_evaluate(build_model, loss_fn, train_features, evaluate,
                                         primary, train_config, seed_dir[0], strategy)
    runs.append({"seed": seed, "best": result["best"], "best_step": result["best_step"],
                 "last": result["last"], "first_train_loss": result["train_losses"][0],
                 "last_train_loss": float(np.mean(result["train_losses"][-3:]))})
    if seed == config.seeds[0]:
      for name in ("predictions.json", "nbest_predictions.json", "null_odds.json",
                   "predictions_non_null.json"):
        if os.path.exists(os.path.join(seed_dir[0], name)):
          shutil.copy(os.path.join(seed_dir[0], name), os.path.join(config.output_dir, name))
  metric_names = sorted(k for k, v in runs[0]["last"].items()
                        if isinstance(v, float) and k not in ("train_loss",))
  results = {"version": config.version, "hparams": dataclasses.asdict(hp),
             "stats": dict(stats), "per_seed": runs,
             "summary": training.summarize_seeds(runs, metric_names) if config.train_file
             else None}
  os.makedirs(config.output_dir, exist_ok=True)
  _write_json(os.path.join(config.output_dir, "eval_results.json"), results)
  return results


def config_from_flags():
  hp = common_flags.hparams_from_flags(SQUAD_HPARAMS[FLAGS.version])
  return SquadRunConfig(
      version=FLAGS.version, output_dir=FLAGS.output_dir,
      encoder=common_flags.encoder_spec_from_flags(hp.albert_dropout), hparams=hp,
      train_file=FLAGS.train_file, predict_file=FLAGS.predict_file,
      finetuned_checkpoint=FLAGS.finetuned_checkpoint, doc_stride=FLAGS.doc_stride,
      max_query_length=FLAGS.max_query_length, n_best_size=FLAGS.n_best_size,
      max_answer_length=FLAGS.max_answer_length, start_n_top=FLAGS.start_n_top,
      end_n_top=FLAGS.end_n_top, null_score_threshold=FLAGS.null_score_threshold,
      seeds=common_flags.seeds_from_flags(), eval_every=FLAGS.eval_every,
      eval_batch_size=FLAGS.eval_batch_size, max_train_examples=FLAGS.max_train_examples,
      max_predict_examples=FLAGS.max_predict_examples, strategy=FLAGS.strategy,
      log_every=FLAGS.log_every)


def main(argv):
  del argv
  common_flags.apply_precision()
  results = run(config_from_flags())
  print(json.dumps({"stats": results["stats"], "last": results["per_seed"][0]["last"]},
                   indent=2))


if __name__ == "__main__":
  define_flags()
  flags.mark_flags_as_required(["output_dir"])
  app.run(main)

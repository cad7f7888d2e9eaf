r"""GLUE fine-tuning with multi-seed reporting (official run_classifier.py + run_glue.sh).

COMMAND (pipeline check, random-init albert_tiny, CPU, ~2 min):
  python -m albert_tf.finetune.run_classifier --task=SST-2 --data_dir=$GLUE/SST-2 \
      --preset=albert_tiny --max_seq_length=64 --batch_size=32 --train_steps=300 \
      --warmup_steps=30 --learning_rate=1e-3 --eval_every=100 --seeds=3 --output_dir=/tmp/sst2
COMMAND (paper setting from a released checkpoint):
  python -m albert_tf.finetune.run_classifier --task=MNLI --data_dir=$GLUE/MNLI \
      --albert_config_file=albert_base/albert_config.json \
      --init_checkpoint=albert_base/model.ckpt-best --seeds=5 --eval_every=1000 --output_dir=...
COMMAND (TF Hub export):
  ... --hub_encoder=export/encoder --hub_preprocessor=export/preprocessor ...

Unset --learning_rate/--batch_size/--train_steps/--warmup_steps/--max_seq_length/
--albert_dropout default to the paper's values for the task (glue.TASKS[...].hparams).
Writes <output_dir>/results.json: per-seed best/last dev metrics and, over seeds, mean, std,
median, best and min (the paper reports the median of 5 runs; user_needs.md A9); each seed's
best checkpoint is in <output_dir>/seed_<s>/best/.
"""
import dataclasses
import json
import logging
import os

from absl import app
from absl import flags

from albert_tf.finetune import common_flags

FLAGS = flags.FLAGS


def define_flags():
  """Defines this CLI's flags (called only when run as a script, so the
  three run_* modules can be imported together)."""
  flags.DEFINE_string("task", None, "GLUE task: CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI.")
  flags.DEFINE_string("data_dir", None, "Folder with the task's train.tsv and dev TSV files.")
  flags.DEFINE_string("train_file", None, "Train file name inside --data_dir (default train.tsv).")
  flags.DEFINE_float("classifier_dropout", None, "Dropout on the pooled output (default 0.1).")
  flags.DEFINE_integer("max_train_examples", None, "Use only the first N training examples.")
  flags.DEFINE_integer("max_eval_examples", None, "Use only the first N examples of each dev split.")
  common_flags.define_common_flags()



@dataclasses.dataclass
class ClassifierRunConfig:
  task: str
  data_dir: str
  output_dir: str
  encoder: object                      # encoders.EncoderSpec
  hparams: object                      # glue.HParams (already with the overrides)
  seeds: tuple = (0,)
  eval_every: int = 0
  eval_batch_size: int = 64
  train_file: str = None
  max_train_examples: int = None
  max_eval_examples: int = None
  strategy: str = "auto"
  log_every: int = 50
  save_checkpoints: bool = True


def run(config):
  """Fine-tunes one model per seed; writes and returns the results dict."""
  # Heavy imports here so `--helpfull` stays fast.
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  # pylint: disable=import-outside-toplevel
  from albert_tf.finetune import classifier_data, encoders, glue, heads, metrics, training

  task = glue.get_task(config.task)
  hp = config.hparams
  tokenizer = encoders.make_tokenizer(config.encoder)
  train_examples = (glue.read_tsv_examples(task, os.path.join(config.data_dir, config.train_file))
                    if config.train_file else glue.read_split(task, config.data_dir, "train"))
  train_examples = train_examples[:config.max_train_examples]
  eval_sets = {split: glue.read_split(task, config.data_dir, split)[:config.max_eval_examples]
               for split, _ in task.eval_files}
  encoders.check_hub_preprocessor(config.encoder, tokenizer,
                                  [e.text_a for e in train_examples[:8]])
  train_features = classifier_data.examples_to_features(task, train_examples, tokenizer,
                                                        hp.max_seq_length)
  eval_features = {split: classifier_data.examples_to_features(task, ex, tokenizer,
                                                               hp.max_seq_length)
                   for split, ex in eval_sets.items()}
  logging.info("%s: %d train examples, dev %s", task.name, len(train_examples),
               {k: len(v) for k, v in eval_sets.items()})

  def metric_name(split, name):
    return name if len(eval_features) == 1 else f"{split}_{name}"

  metric_names = [metric_name(s, m) for s in eval_features for m in task.metrics]

  def evaluate(model):
    out = {}
    for split, feats in eval_features.items():
      logits = training.predict(model, feats, config.eval_batch_size,
                                keys=("input_word_ids", "input_mask", "input_type_ids"))
      preds = logits[:, 0] if task.is_regression else np.argmax(logits, axis=-1)
      for name, value in metrics.compute(task.metrics, feats["label"], preds).items():
        out[metric_name(split, name)] = value
    return out

  if task.is_regression:
    def loss_fn(logits, batch):
      return tf.square(logits[:, 0] - tf.cast(batch["label"], tf.float32))
  else:
    def loss_fn(logits, batch):
      return tf.nn.sparse_softmax_cross_entropy_with_logits(batch["label"], logits)

  strategy = training.make_strategy(config.strategy)
  description = None
  runs = []
  for seed in config.seeds:
    def build_model():
      nonlocal description
      encoder, description = encoders.build_encoder(config.encoder, hp.max_seq_length)
      return heads.ClassifierModel(encoder, task.num_labels, hp.classifier_dropout)

    train_config = training.TrainConfig(
        learning_rate=hp.learning_rate, batch_size=hp.batch_size, train_steps=hp.train_steps,
        warmup_steps=hp.warmup_steps, eval_every=config.eval_every, seed=seed,
        log_every=config.log_every, save_checkpoints=config.save_checkpoints)
    result = training.train_and_evaluate(
        build_model, loss_fn, train_features, evaluate, metric_names[0], train_config,
        os.path.join(config.output_dir, f"seed_{seed}"), strategy)
    runs.append({"seed": seed, "best": result["best"], "best_step": result["best_step"],
                 "last": result["last"], "first_train_loss": result["train_losses"][0],
                 "last_train_loss": float(np.mean(result["train_losses"][-3:]))})
    logging.info("seed %d: best %s at step %s", seed, result["best"], result["best_step"])
  results = {
      "task": task.name, "encoder": description, "primary_metric": metric_names[0],
      "hparams": dataclasses.asdict(hp), "seeds": list(config.seeds),
      "num_train_examples": len(train_examples),
      "num_eval_examples": {k: len(v) for k, v in eval_sets.items()},
      "per_seed": runs, "summary": training.summarize_seeds(runs, metric_names)}
  os.makedirs(config.output_dir, exist_ok=True)
  with open(os.path.join(config.output_dir, "results.json"), "w") as f:
    json.dump(results, f, indent=2)
  return results


def config_from_flags():
  from albert_tf.finetune import glue  # pylint: disable=import-outside-toplevel
  task = glue.get_task(FLAGS.task)
  hp = common_flags.hparams_from_flags(task.hparams)
  if FLAGS.classifier_dropout is not None:
    hp = dataclasses.replace(hp, classifier_dropout=FLAGS.classifier_dropout)
  return ClassifierRunConfig(
      task=task.name, data_dir=FLAGS.data_dir, output_dir=FLAGS.output_dir,
      encoder=common_flags.encoder_spec_from_flags(hp.albert_dropout), hparams=hp,
      seeds=common_flags.seeds_from_flags(), eval_every=FLAGS.eval_every,
      eval_batch_size=FLAGS.eval_batch_size, train_file=FLAGS.train_file,
      max_train_examples=FLAGS.max_train_examples, max_eval_examples=FLAGS.max_eval_examples,
      strategy=FLAGS.strategy, log_every=FLAGS.log_every)


def main(argv):
  del argv
  common_flags.apply_precision()
  results = run(config_from_flags())
  print(json.dumps({"task": results["task"], "summary": results["summary"]["best"]}, indent=2))


if __name__ == "__main__":
  define_flags()
  flags.mark_flags_as_required(["task", "data_dir", "output_dir"])
  app.run(main)

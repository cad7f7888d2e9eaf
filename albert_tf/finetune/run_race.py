r"""RACE multiple-choice fine-tuning (official run_race.py / race_utils).

COMMAND (pipeline check on the tiny test file, random-init albert_tiny, CPU, ~30 s):
  python -m albert_tf.finetune.run_race --preset=albert_tiny \
      --train_file=tests/testdata/race_tiny.json --eval_file=tests/testdata/race_tiny.json \
      --max_seq_length=64 --max_qa_length=24 --batch_size=2 --train_steps=10 \
      --learning_rate=1e-3 --output_dir=/tmp/race
COMMAND (paper setting): --train_file=RACE/train --eval_file=RACE/dev --albert_config_file=...
  --init_checkpoint=...   (v2 models: the README advises --learning_rate=1e-5 --albert_dropout=0)

Defaults (paper): lr 2e-5, batch 32, 12000 steps, warmup 1000, max_seq_length 512,
max_qa_length 128, ALBERT dropout 0.1, classifier dropout 0.1. Metric: accuracy; results in
<output_dir>/results.json with the per-seed and over-seed summary.
"""
import dataclasses
import json
import os

from absl import app
from absl import flags

from albert_tf.finetune import common_flags
from albert_tf.finetune.glue import HParams

FLAGS = flags.FLAGS


def define_flags():
  """Defines this CLI's flags (called only when run as a script, so the
  three run_* modules can be imported together)."""
  flags.DEFINE_string("train_file", None, "RACE file or folder to train on.")
  flags.DEFINE_string("eval_file", None, "RACE file or folder to evaluate on.")
  flags.DEFINE_integer("max_qa_length", 128, "The question+option keeps its last N pieces.")
  flags.DEFINE_integer("max_train_examples", None, "Use only the first N training questions.")
  flags.DEFINE_integer("max_eval_examples", None, "Use only the first N eval questions.")
  common_flags.define_common_flags()


RACE_HPARAMS = HParams(2e-5, 32, 12000, 1000, max_seq_length=512, albert_dropout=0.1)


@dataclasses.dataclass
class RaceRunConfig:
  train_file: str
  eval_file: str
  output_dir: str
  encoder: object
  hparams: object
  max_qa_length: int = 128
  seeds: tuple = (0,)
  eval_every: int = 0
  eval_batch_size: int = 16
  max_train_examples: int = None
  max_eval_examples: int = None
  strategy: str = "auto"
  log_every: int = 50
  save_checkpoints: bool = True


def run(config):
  """Fine-tunes one model per seed; writes and returns the results dict."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  # pylint: disable=import-outside-toplevel
  from albert_tf.finetune import encoders, heads, metrics, race_data, training

  hp = config.hparams
  tokenizer = encoders.make_tokenizer(config.encoder)
  train = race_data.read_race(config.train_file)[:config.max_train_examples]
  dev = race_data.read_race(config.eval_file)[:config.max_eval_examples]
  train_features = race_data.examples_to_features(train, tokenizer, hp.max_seq_length,
                                                  config.max_qa_length)
  dev_features = race_data.examples_to_features(dev, tokenizer, hp.max_seq_length,
                                                config.max_qa_length)

  def evaluate(model):
    logits = training.predict(model, dev_features, config.eval_batch_size,
                              keys=("input_word_ids", "input_mask", "input_type_ids"))
    return {"accuracy": metrics.accuracy(dev_features["label"], np.argmax(logits, -1))}

  def loss_fn(logits, batch):
    return tf.nn.sparse_softmax_cross_entropy_with_logits(batch["label"], logits)

  def build_model():
    encoder, _ = encoders.build_encoder(config.encoder, hp.max_seq_length)
    return heads.MultipleChoiceModel(encoder, race_data.NUM_CHOICES, hp.classifier_dropout)

  strategy = training.make_strategy(config.strategy)
  runs = []
  for seed in config.seeds:
    train_config = training.TrainConfig(
        learning_rate=hp.learning_rate, batch_size=hp.batch_size, train_steps=hp.train_steps,
        warmup_steps=hp.warmup_steps, eval_every=config.eval_every, seed=seed,
        log_every=config.log_every, save_checkpoints=config.save_checkpoints)
    result = training.train_and_evaluate(build_model, loss_fn, train_features, evaluate,
                                         "accuracy", train_config,
                                         os.path.join(config.output_dir, f"seed_{seed}"), strategy)
    runs.append({"seed": seed, "best": result["best"], "best_step": result["best_step"],
                 "last": result["last"], "first_train_loss": result["train_losses"][0],
                 "last_train_loss": float(np.mean(result["train_losses"][-3:]))})
  results = {"task": "RACE", "hparams": dataclasses.asdict(hp), "seeds": list(config.seeds),
             "num_train_examples": len(train), "num_eval_examples": len(dev),
             "per_seed": runs, "summary": training.summarize_seeds(runs, ["accuracy"])}
  os.makedirs(config.output_dir, exist_ok=True)
  with open(os.path.join(config.output_dir, "results.json"), "w") as f:
    json.dump(results, f, indent=2)
  return results


def config_from_flags():
  hp = common_flags.hparams_from_flags(RACE_HPARAMS)
  return RaceRunConfig(
      train_file=FLAGS.train_file, eval_file=FLAGS.eval_file, output_dir=FLAGS.output_dir,
      encoder=common_flags.encoder_spec_from_flags(hp.albert_dropout), hparams=hp,
      max_qa_length=FLAGS.max_qa_length, seeds=common_flags.seeds_from_flags(),
      eval_every=FLAGS.eval_every, eval_batch_size=FLAGS.eval_batch_size,
      max_train_examples=FLAGS.max_train_examples, max_eval_examples=FLAGS.max_eval_examples,
      strategy=FLAGS.strategy, log_every=FLAGS.log_every)


def main(argv):
  del argv
  common_flags.apply_precision()
  results = run(config_from_flags())
  print(json.dumps(results["summary"]["best"], indent=2))


if __name__ == "__main__":
  define_flags()
  flags.mark_flags_as_required(["train_file", "eval_file", "output_dir"])
  app.run(main)

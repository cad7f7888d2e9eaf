"""Does the input pipeline starve the step? Trainer step time with real vs synthetic input.

COMMAND (BENCHMARKS.md; ≈ 4 min on 2 cores):
  python bench/input_bench.py --preset=albert_base --seq=128 --batch=16 \
      --precisions=fp32,bf16 --out=bench/results/input_albert_base_128.json

Runs the trainer's own compiled loop (albert_tf.pretraining_loop: `iterations_per_loop` steps
per call, the data iterator read inside the tf.function) on the same model and optimizer
state, fed
  real       the trainer's feed: TFRecords written by data_prep from the shipped corpus,
             parsed, shuffled, batched and prefetched by albert_tf.input_pipeline
  synthetic  one parsed batch from that pipeline repeated from memory (no I/O, no parsing)
alternating loop by loop, so drifts of a shared machine hit both alike. Also reports what the
pipeline alone supplies (batches/s with no model): if that rate is far above the step rate and
real ≈ synthetic, the step never waits for data.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from albert_tf import runtime  # noqa: E402

runtime.configure_environment()
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

from albert_tf import configs, input_pipeline, pretraining_loop  # noqa: E402
from data_prep import pipeline as data_prep_pipeline  # noqa: E402
from data_prep.config import DataPrepConfig  # noqa: E402


def make_records(out_dir, seq, predictions):
  """data_prep on the shipped corpus (dupe_factor 1) → TFRecord shards under out_dir."""
  data_prep_pipeline.run(DataPrepConfig(
      output_dir=out_dir, max_seq_length=seq, max_predictions_per_seq=predictions,
      dupe_factor=1, num_output_shards=4, num_workers=2, random_seed=12345))
  return os.path.join(out_dir, "*.tfrecord*")


def supply_rate(pattern, seq, predictions, batch, num_batches=200):
  """Batches/s the input pipeline alone delivers (after 20 warm-up batches)."""
  it = iter(input_pipeline.make_dataset(pattern, seq, predictions, batch, is_training=True,
                                        seed=1))
  for _ in range(20):
    next(it)
  start = time.perf_counter()
  for _ in range(num_batches):
    next(it)
  return num_batches / (time.perf_counter() - start)


def bench_precision(pattern, args, precision):
  config = configs.PretrainConfig(
      model=configs.AlbertConfig.from_preset(args.preset), input_file=pattern, output_dir="",
      max_seq_length=args.seq, max_predictions_per_seq=args.predictions,
      train_batch_size=args.batch, optimizer="adamw", learning_rate=1e-4,
      num_train_steps=10**6, num_warmup_steps=0, iterations_per_loop=args.steps_per_loop,
      mixed_precision=precision, strategy="one_device")
  tf_keras.mixed_precision.set_global_policy(configs.precision_policy(precision))
  strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
  model, optimizer = pretraining_loop.build_model_and_optimizer(config, strategy)
  steps = pretraining_loop.PretrainingSteps(strategy, model, optimizer, config)
  real, synthetic = (input_pipeline.DataFeed(strategy, pattern, args.seq, args.predictions,
                                             args.batch, seed=config.seed) for _ in range(2))
  synthetic.iterator = iter(tf.data.Dataset.from_tensors(next(real.iterator)).repeat())
  feeds = {"real": real, "synthetic": synthetic}
  n = tf.constant(args.steps_per_loop, tf.int64)
  for feed in feeds.values():  # trace + warm up each feed's loop
    steps.train_loop(feed, n)
  per_step = {name: [] for name in feeds}
  for r in range(args.rounds):
    for name in (("real", "synthetic") if r % 2 == 0 else ("synthetic", "real")):
      start = time.perf_counter()
      steps.train_loop(feeds[name], n)[1].numpy()
      per_step[name].append((time.perf_counter() - start) / args.steps_per_loop)
    print(f"  {precision} round {r + 1}/{args.rounds}: " + ", ".join(
        f"{k} {statistics.median(v) * 1e3:.0f} ms/step" for k, v in per_step.items()),
        flush=True)
  med = {k: statistics.median(v) for k, v in per_step.items()}
  return {"precision": precision, "real_step_s": med["real"],
          "synthetic_step_s": med["synthetic"], "real_over_synthetic": med["real"] / med["synthetic"],
          "real_step_s_all": per_step["real"], "synthetic_step_s_all": per_step["synthetic"]}


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=128)
  parser.add_argument("--predictions", type=int, default=20)
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--precisions", default="float32,bfloat16")
  parser.add_argument("--steps_per_loop", type=int, default=5, help="iterations_per_loop")
  parser.add_argument("--rounds", type=int, default=6, help="loops per feed, alternating")
  parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "input.json"))
  args = parser.parse_args()
  result = {"date": time.strftime("%Y-%m-%d"), "preset": args.preset, "seq": args.seq,
            "batch": args.batch, "steps_per_loop": args.steps_per_loop, "rows": []}
  with tempfile.TemporaryDirectory() as tmp:
    pattern = make_records(tmp, args.seq, args.predictions)
    result["pipeline_batches_per_s"] = supply_rate(pattern, args.seq, args.predictions, args.batch)
    print(f"input pipeline alone: {result['pipeline_batches_per_s']:.0f} batches/s of "
          f"{args.batch}", flush=True)
    for precision in args.precisions.split(","):
      result["rows"].append(bench_precision(pattern, args, precision))
  os.makedirs(os.path.dirname(args.out), exist_ok=True)
  with open(args.out, "w") as f:
    json.dump(result, f, indent=1)
  for r in result["rows"]:
    print(f"{r['precision']}: real {r['real_step_s'] * 1e3:.0f} ms/step, synthetic "
          f"{r['synthetic_step_s'] * 1e3:.0f} ms/step, real ÷ synthetic "
          f"{r['real_over_synthetic']:.3f}")
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()

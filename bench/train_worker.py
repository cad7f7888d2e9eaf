"""One training-step worker for bench/train_bench.py (one process per system and config).

Speaks bench/worker_protocol.py on stdin/stdout (ready after 2 warm-up steps; "run K";
"quit"). Each step ends with a host sync (the loss is fetched), so a step time is wall time.

Systems (same architecture, batch, masked positions, dropout 0, AdamW-style optimizer):
  ours      the step run_pretraining.py runs (albert_tf.pretraining_loop.PretrainingSteps:
            AlbertPretrainer, loss of record, official AdamW; XLA = its jit_compile option,
            which compiles the forward/backward pass, not the optimizer update)
  tfm       tf-models-official BertPretrainerV2 + AlbertEncoder (+ tanh cls head = pooler+SOP)
  kerashub  keras-hub AlbertMaskedLM (Keras 3, TF backend; MLM only — it has no SOP head)
  hf        HF transformers AlbertForPreTraining (PyTorch CPU), torch.optim.AdamW

COMMAND (normally started by train_bench.py):
  python bench/train_worker.py --system=ours --preset=albert_base --seq=128 --batch=16 \
      --precision=bf16 --compiler=none
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import worker_protocol  # noqa: E402


def synthetic_batch(vocab, batch, seq, predictions, seed=0):
  rng = np.random.default_rng(seed)
  ids = rng.integers(5, vocab, size=(batch, seq)).astype(np.int32)
  positions = np.sort(np.stack([rng.choice(np.arange(1, seq), predictions, replace=False)
                                for _ in range(batch)]), axis=1).astype(np.int32)
  return {
      "input_word_ids": ids,
      "input_mask": np.ones((batch, seq), np.int32),
      "input_type_ids": (np.arange(seq)[None, :] >= seq // 2).repeat(batch, 0).astype(np.int32),
      "masked_lm_positions": positions,
      "masked_lm_ids": np.take_along_axis(ids, positions, axis=1),
      "masked_lm_weights": np.ones((batch, predictions), np.float32),
      "sentence_order_label": rng.integers(0, 2, size=(batch, 1)).astype(np.int32),
  }


class _ConstantFeed:
  """The same in-memory batch every step (a stand-in for input_pipeline.DataFeed)."""

  def __init__(self, batch):
    self.batch = batch

  def next(self):
    return self.batch


def build_ours(config, batch, args):
  """The trainer's own compiled step (albert_tf.pretraining_loop.PretrainingSteps, one replica,
  one step per train_loop call): the loss of record, dense gradients, the optimizer update."""
  import tensorflow as tf
  import tf_keras
  from albert_tf import configs, distribute, pretraining_loop
  precision = {"fp32": "float32", "bf16": "bfloat16"}[args.precision]
  tf_keras.mixed_precision.set_global_policy(configs.precision_policy(precision))
  train = configs.PretrainConfig(
      model=config, input_file="", output_dir="", optimizer="adamw", learning_rate=1e-4,
      num_train_steps=10**6, num_warmup_steps=0, mixed_precision=precision,
      jit_compile=args.compiler == "xla", recompute_grad=args.recompute)
  strategy = distribute.make_strategy("one_device")
  model, optimizer = pretraining_loop.build_model_and_optimizer(train, strategy)
  steps = pretraining_loop.PretrainingSteps(strategy, model, optimizer, train)
  data = {k: tf.constant(v) for k, v in batch.items()}
  data["sentence_order_label"] = tf.reshape(data["sentence_order_label"], [-1])  # [B], as fed
  feed, one = _ConstantFeed(data), tf.constant(1, tf.int64)
  return lambda: float(steps.train_loop(feed, one)[0]["loss"])


def build_tfm(config, batch, args):
  import tensorflow as tf
  import tf_keras
  from official.nlp.modeling import layers, models, networks
  from albert_tf import losses, optimization
  if args.precision == "bf16":
    tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
  encoder = networks.AlbertEncoder(
      vocab_size=config.vocab_size, embedding_width=config.embedding_size,
      hidden_size=config.hidden_size, num_layers=config.num_hidden_layers,
      num_attention_heads=config.num_attention_heads,
      max_sequence_length=config.max_position_embeddings, type_vocab_size=2,
      intermediate_size=config.intermediate_size, dropout_rate=0.0,
      attention_dropout_rate=0.0, dict_outputs=True,
      activation=lambda x: tf.nn.gelu(x, approximate=True))
  head = layers.ClassificationHead(inner_dim=config.hidden_size, num_classes=2,
                                   name="next_sentence")
  model = models.BertPretrainerV2(encoder, mlm_activation=lambda x: tf.nn.gelu(x, True),
                                  classification_heads=[head])
  opt = optimization.create_optimizer("adamw", learning_rate=1e-4, num_train_steps=10**6,
                                      num_warmup_steps=0)
  data = {k: tf.constant(v) for k, v in batch.items()}
  inputs = {k: data[k] for k in ("input_word_ids", "input_mask", "input_type_ids",
                                 "masked_lm_positions")}

  @tf.function(jit_compile=args.compiler == "xla")
  def step():
    with tf.GradientTape() as tape:
      out = model(inputs, training=True)
      loss = losses.pretraining_losses(
          {"mlm_logits": out["mlm_logits"], "sop_logits": out["next_sentence"]}, data)["loss"]
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return loss
  return lambda: float(step())


def build_kerashub(config, batch, args):
  import keras
  import keras_hub
  if args.precision == "bf16":
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
  backbone = keras_hub.models.AlbertBackbone(
      vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
      num_heads=config.num_attention_heads, embedding_dim=config.embedding_size,
      hidden_dim=config.hidden_size, intermediate_dim=config.intermediate_size,
      dropout=0.0, max_sequence_length=config.max_position_embeddings)
  model = keras_hub.models.AlbertMaskedLM(backbone, preprocessor=None)
  model.compile(optimizer=keras.optimizers.AdamW(1e-4, weight_decay=0.01),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                weighted_metrics=[], jit_compile=args.compiler == "xla")
  x = {"token_ids": batch["input_word_ids"], "segment_ids": batch["input_type_ids"],
       "padding_mask": batch["input_mask"].astype(bool),
       "mask_positions": batch["masked_lm_positions"]}
  return lambda: float(model.train_on_batch(x, batch["masked_lm_ids"],
                                            sample_weight=batch["masked_lm_weights"]))


def build_hf(config, batch, args):
  import torch
  import transformers
  torch.set_num_threads(os.cpu_count())
  hf_config = transformers.AlbertConfig(
      vocab_size=config.vocab_size, embedding_size=config.embedding_size,
      hidden_size=config.hidden_size, num_hidden_layers=config.num_hidden_layers,
      num_attention_heads=config.num_attention_heads,
      intermediate_size=config.intermediate_size, hidden_act="gelu_new",
      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout_prob=0.0,
      max_position_embeddings=config.max_position_embeddings)
  device = "cuda" if torch.cuda.is_available() else "cpu"  # as TF places ours on a GPU
  model = transformers.AlbertForPreTraining(hf_config).train().to(device)
  opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
  labels = np.full(batch["input_word_ids"].shape, -100, np.int64)
  np.put_along_axis(labels, batch["masked_lm_positions"], batch["masked_lm_ids"], axis=1)
  inputs = {"input_ids": torch.from_numpy(batch["input_word_ids"].astype(np.int64)),
            "attention_mask": torch.from_numpy(batch["input_mask"].astype(np.int64)),
            "token_type_ids": torch.from_numpy(batch["input_type_ids"].astype(np.int64)),
            "labels": torch.from_numpy(labels),
            "sentence_order_label": torch.from_numpy(
                batch["sentence_order_label"][:, 0].astype(np.int64))}
  inputs = {k: v.to(device) for k, v in inputs.items()}
  forward = torch.compile(model) if args.compiler == "compile" else model

  def step():
    with torch.autocast(device, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
      loss = forward(**inputs).loss
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return float(loss)
  return step


def device_peak_mb(system):
  """A function returning peak GPU memory (MB) of this process, or None without a GPU."""
  if system == "hf":
    import torch
    return (lambda: torch.cuda.max_memory_allocated() / 2**20) if torch.cuda.is_available() else None
  import tensorflow as tf
  if not tf.config.list_physical_devices("GPU"):
    return None
  return lambda: tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


BUILDERS = {"ours": build_ours, "tfm": build_tfm, "kerashub": build_kerashub, "hf": build_hf}


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--system", choices=sorted(BUILDERS), required=True)
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=128)
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--predictions", type=int, default=20)
  parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
  parser.add_argument("--compiler", choices=["none", "xla", "compile"], default="none")
  parser.add_argument("--recompute", action="store_true", help="ours: recompute activations")
  args = parser.parse_args()
  from albert_tf.configs import AlbertConfig
  config = AlbertConfig.from_preset(args.preset)
  batch = synthetic_batch(config.vocab_size, args.batch, args.seq, args.predictions)
  start = time.perf_counter()
  step = BUILDERS[args.system](config, batch, args)
  build_s = time.perf_counter() - start

  def check(loss):
    if not np.isfinite(loss):
      raise SystemExit(f"{args.system}: non-finite loss {loss} in warm-up")
  worker_protocol.serve(step, build_s, warmup=2, check=check,
                        device_peak_mb=device_peak_mb(args.system))


if __name__ == "__main__":
  main()

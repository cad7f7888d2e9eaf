"""One serving-latency worker for bench/serving_bench.py: text in → pooled_output, timed.

Speaks bench/worker_protocol.py; one "step" = one request of `--batch` texts,
tokenization included, ending with the result on the host.
  ours  our TF Serving export (tf.saved_model.load, `serving_default`: raw text → outputs)
  tfm   tf-models-official AlbertEncoder + TF Text SentencePiece + BertPackInputs (tf.function)
  hf    HF transformers AlbertTokenizer + AlbertModel (PyTorch eager, no_grad)
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench import worker_protocol  # noqa: E402


def build_ours(texts, args):
  import tensorflow as tf
  import tensorflow_text  # noqa: F401  (registers the SentencePiece ops)
  serve = tf.saved_model.load(args.export_dir).signatures["serving_default"]
  batch = tf.constant(texts)
  return lambda: serve(text=batch)["pooled_output"].numpy()


def build_tfm(texts, args):
  import tensorflow as tf
  import tensorflow_text as tf_text
  from official.nlp.modeling import layers, networks
  from albert_tf import resources
  from albert_tf.configs import AlbertConfig
  c = AlbertConfig.from_preset(args.preset)
  encoder = networks.AlbertEncoder(
      vocab_size=c.vocab_size, embedding_width=c.embedding_size, hidden_size=c.hidden_size,
      num_layers=c.num_hidden_layers, num_attention_heads=c.num_attention_heads,
      intermediate_size=c.intermediate_size, type_vocab_size=2, dict_outputs=True,
      dropout_rate=0.0, attention_dropout_rate=0.0)
  with open(resources.DEFAULT_SPM_MODEL, "rb") as f:
    tokenizer = tf_text.SentencepieceTokenizer(model=f.read())
  pack = layers.BertPackInputs(args.seq, special_tokens_dict={
      "start_of_sequence_id": 2, "end_of_segment_id": 3, "padding_id": 0})
  batch = tf.constant(texts)

  @tf.function
  def serve(text):
    ids = tokenizer.tokenize(tf_text.case_fold_utf8(text))
    return encoder(pack([ids]))["pooled_output"]
  return lambda: serve(batch).numpy()


def build_hf(texts, args):
  import torch
  import transformers
  from albert_tf import resources
  from albert_tf.configs import AlbertConfig
  torch.set_num_threads(os.cpu_count())
  c = AlbertConfig.from_preset(args.preset)
  tokenizer = transformers.AlbertTokenizer(vocab_file=resources.DEFAULT_SPM_MODEL)
  model = transformers.AlbertModel(transformers.AlbertConfig(
      vocab_size=c.vocab_size, embedding_size=c.embedding_size, hidden_size=c.hidden_size,
      num_hidden_layers=c.num_hidden_layers, num_attention_heads=c.num_attention_heads,
      intermediate_size=c.intermediate_size, hidden_act="gelu_new")).eval()

  def serve():
    with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=args.precision == "bf16"):
      inputs = tokenizer(texts, padding="max_length", truncation=True, max_length=args.seq,
                         return_tensors="pt")
      return model(**inputs).pooler_output.float().numpy()
  return serve


BUILDERS = {"ours": build_ours, "tfm": build_tfm, "hf": build_hf}


def request_texts(batch, seed=0):
  """`batch` texts of ≥ 128 pieces from the shipped corpus (real text, truncated to seq)."""
  import gzip
  import random
  from albert_tf import resources
  with gzip.open(resources.DEFAULT_CORPUS, "rt", encoding="utf-8") as f:
    lines = [line.strip() for _, line in zip(range(20000), f) if line.strip()]
  rng = random.Random(seed)
  texts = []
  for _ in range(batch):
    start = rng.randrange(len(lines) - 40)
    texts.append(" ".join(lines[start:start + 12]))  # ~12 sentences ≈ 250+ pieces
  return texts


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--system", choices=sorted(BUILDERS), required=True)
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=128)
  parser.add_argument("--batch", type=int, default=1)
  parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
  parser.add_argument("--export_dir", help="ours: the exported serving version directory")
  args = parser.parse_args()
  texts = request_texts(args.batch)
  start = time.perf_counter()
  step = BUILDERS[args.system](texts, args)
  build_s = time.perf_counter() - start
  worker_protocol.serve(step, build_s, warmup=3)

if __name__ == "__main__":
  main()

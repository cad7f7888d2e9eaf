r"""Splits the shipped corpora into train and held-out text by whole documents.

COMMAND: python -m experiments.corpus --output_dir=runs/miniature/text \
             --corpora=books.txt.gz,wiki.txt.gz,news.txt.gz --heldout_every=25

Input: albert_tf/assets/<corpus> in the official layout (one sentence per line, a blank line
between documents). Document i of each corpus is held out when i % heldout_every ==
heldout_every // 2, so held-out text never shares a document with training text. Writes
train.txt, heldout.txt and split.json (documents and sentences per corpus and split).

Example:
    >>> docs = [["a."], ["b."], ["c."], ["d."]]
    >>> [len(part) for part in split_documents(docs, heldout_every=2)]
    [2, 2]
"""
import gzip
import json
import os

from absl import app
from absl import flags

from albert_tf import resources


def read_documents(path, max_documents=0):
  """[[sentence line, ...], ...] from an official-format (optionally .gz) text file."""
  opener = gzip.open if path.endswith(".gz") else open
  docs, doc = [], []
  with opener(path, "rt", encoding="utf-8") as f:
    for line in f:
      if line.strip():
        doc.append(line.rstrip("\n"))
      elif doc:
        docs.append(doc)
        doc = []
  if doc:
    docs.append(doc)
  return docs[:max_documents] if max_documents else docs


def split_documents(docs, heldout_every):
  """(train docs, held-out docs): every heldout_every-th document is held out."""
  held = [d for i, d in enumerate(docs) if i % heldout_every == heldout_every // 2]
  train = [d for i, d in enumerate(docs) if i % heldout_every != heldout_every // 2]
  return train, held


def _read(path):
  try:
    with open(path, encoding="utf-8") as f:
      return f.read()
  except (OSError, UnicodeDecodeError):
    return None


def split_corpora(corpora, output_dir, heldout_every, max_documents=0):
  """Writes train.txt / heldout.txt / split.json; returns the split.json dict."""
  os.makedirs(output_dir, exist_ok=True)
  parts, summary = {"train": [], "heldout": []}, {}
  for name in corpora:
    path = name if os.path.isabs(name) else os.path.join(resources.ASSETS_DIR, name)
    if not os.path.exists(path):
      raise ValueError(f"--corpora: {path} does not exist (shipped: "
                       f"{', '.join(sorted(f for f in os.listdir(resources.ASSETS_DIR) if f.endswith('.txt.gz')))})")
    train, held = split_documents(read_documents(path, max_documents), heldout_every)
    parts["train"] += train
    parts["heldout"] += held
    summary[name] = {split: {"documents": len(d), "sentences": sum(map(len, d))}
                     for split, d in (("train", train), ("heldout", held))}
  for split, docs in parts.items():
    if not docs:
      raise ValueError(f"the {split} split is empty: lower --heldout_every or add corpora")
    text = "\n\n".join("\n".join(d) for d in docs) + "\n"
    path = os.path.join(output_dir, f"{split}.txt")
    if _read(path) == text:
      continue  # unchanged: keep the file (and its mtime) so data_prep's rerun resumes
    tmp = os.path.join(output_dir, f".{split}.txt.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
      f.write(text)
    os.replace(tmp, path)
  with open(os.path.join(output_dir, "split.json"), "w") as f:
    json.dump(summary, f, indent=2)
  return summary


FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", None, "Where train.txt / heldout.txt go.")
flags.DEFINE_list("corpora", ["books.txt.gz"], "Shipped corpus files (albert_tf/assets) or paths.")
flags.DEFINE_integer("heldout_every", 25, "Hold out one document in N.")
flags.DEFINE_integer("max_documents", 0, "Use only the first N documents of each corpus (0: all).")


def main(argv):
  del argv
  try:
    summary = split_corpora(FLAGS.corpora, FLAGS.output_dir, FLAGS.heldout_every,
                            FLAGS.max_documents)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  print(json.dumps(summary))


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  flags.mark_flags_as_required(["output_dir"])
  app.run(main)


if __name__ == "__main__":
  cli_main()

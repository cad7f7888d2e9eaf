"""albert_tf.load_encoder (albert_tf/api.py): checkpoint, TF Hub export and preset paths; the
README's "Python API" example is the module's docstring example (run by test_doctests.py)."""
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _examples(text):
  return [line.strip() for line in text.splitlines() if re.match(r"\s*(>>>|\.\.\.) ", line)]


def test_readme_example_is_the_docstring_example():
  readme = (ROOT / "README.md").read_text(encoding="utf-8")
  section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
  api = (ROOT / "albert_tf" / "api.py").read_text(encoding="utf-8")
  docstring = api.split('"""', 2)[1]
  outputs = lambda text: re.findall(r">>> out\[.*\n\s*(\(.*\))", text)  # noqa: E731
  assert _examples(section) and _examples(section) == _examples(docstring)
  assert outputs(section) == outputs(docstring) != []


def test_package_import_stays_free_of_tensorflow():
  code = ("import sys, albert_tf; assert 'tensorflow' not in sys.modules; "
          "assert callable(albert_tf.load_encoder); assert 'tensorflow' in sys.modules")
  subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                 env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
  import tensorflow as tf
  from albert_tf.checkpoints import ours
  from albert_tf.configs import AlbertConfig
  from albert_tf.pretrainer import AlbertPretrainer
  tf.random.set_seed(0)
  model = AlbertPretrainer(AlbertConfig.from_preset("albert_tiny")).ensure_built()
  return model, ours.save_ours(model, str(tmp_path_factory.mktemp("ckpt")))


TEXTS = ["hello world", "ALBERT reads a rather longer sentence, with 1,000 pieces."]


def test_checkpoint_outputs_equal_the_model_on_hand_packed_ids(tiny_checkpoint):
  import albert_tf
  from albert_tf import resources, tokenization
  model, prefix = tiny_checkpoint
  enc = albert_tf.load_encoder(prefix)
  out = enc(TEXTS)
  tok = tokenization.SentencePieceTokenizer(resources.DEFAULT_SPM_MODEL)
  ids = [tok.convert_tokens_to_ids(["[CLS]"] + tok.tokenize(t) + ["[SEP]"]) for t in TEXTS]
  width = max(map(len, ids))
  assert out["sequence_output"].shape == (2, width, 32) and out["pooled_output"].shape == (2, 32)
  np.testing.assert_array_equal(out["input_mask"].sum(1), [len(i) for i in ids])
  for row, i in enumerate(ids):   # each row alone, unpadded: padding must not change it
    want = model.encoder({"input_word_ids": np.asarray([i], np.int32)}, training=False)
    np.testing.assert_allclose(out["pooled_output"][row], want["pooled_output"][0], atol=1e-5)
    np.testing.assert_allclose(out["sequence_output"][row, :len(i)],
                               want["sequence_output"][0], atol=1e-5)


def test_hub_export_gives_the_checkpoint_outputs(tiny_checkpoint, tmp_path):
  import albert_tf
  from export import hub_models
  path = str(tmp_path / "encoder")
  hub_models.export_hub("encoder", path, config=tiny_checkpoint[0].config,
                        init_checkpoint=tiny_checkpoint[1])
  hub_out = albert_tf.load_encoder(path)(TEXTS)
  ckpt_out = albert_tf.load_encoder(tiny_checkpoint[1])(TEXTS)
  for key in ("pooled_output", "sequence_output"):
    np.testing.assert_allclose(hub_out[key], ckpt_out[key], atol=1e-5)


def test_truncates_to_max_seq_length_and_rejects_a_bare_string():
  import albert_tf
  enc = albert_tf.load_encoder("albert_tiny", max_seq_length=8)
  assert enc(["word " * 50])["sequence_output"].shape == (1, 8, 32)
  with pytest.raises(TypeError, match="list of strings"):
    enc("hello")

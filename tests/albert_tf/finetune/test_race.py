"""RACE reader and 4-choice features."""
import json
import os

import pytest

from albert_tf.finetune import race_data

TINY = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "race_tiny.json")


@pytest.fixture(scope="module")
def tokenizer():
  from albert_tf.resources import DEFAULT_SPM_MODEL
  from albert_tf.tokenization import SentencePieceTokenizer
  return SentencePieceTokenizer(DEFAULT_SPM_MODEL)


def test_read_file_folder_and_jsonl(tmp_path):
  examples = race_data.read_race(TINY)
  assert [e.label for e in examples] == [0, 1, 2]
  assert examples[0].example_id == "tiny1.txt-0"
  with open(TINY, encoding="utf-8") as f:
    objects = json.load(f)
  folder = tmp_path / "train" / "high"
  folder.mkdir(parents=True)
  for i, obj in enumerate(objects):
    (folder / f"{i}.txt").write_text(json.dumps(obj), encoding="utf-8")
  assert len(race_data.read_race(str(tmp_path / "train"))) == 3
  jsonl = tmp_path / "race.jsonl"
  jsonl.write_text("\n".join(json.dumps(o) for o in objects), encoding="utf-8")
  assert len(race_data.read_race(str(jsonl))) == 3


def test_bad_race_input(tmp_path):
  path = tmp_path / "bad.json"
  path.write_text(json.dumps({"article": "a", "questions": ["q"], "options": [["x", "y"]],
                              "answers": ["A"]}))
  with pytest.raises(race_data.RaceDataError, match=r"bad\.json: question 0: options must be 4 strings, got 2 entries"):
    race_data.read_race(str(path))
  path.write_text(json.dumps({"article": "a", "questions": ["q"]}))
  with pytest.raises(race_data.RaceDataError, match="missing key 'options'"):
    race_data.read_race(str(path))


def test_qa_text_blank_or_append():
  assert race_data.qa_text("Mia waters them every _ .", "Monday") == "Mia waters them every Monday ."
  assert race_data.qa_text("Who came?", "Tom") == "Who came? Tom"


def test_features_truncation(tokenizer):
  examples = race_data.read_race(TINY)
  feats = race_data.examples_to_features(examples, tokenizer, max_seq_length=40, max_qa_length=6)
  assert feats["input_word_ids"].shape == (3, 4, 40) and list(feats["label"]) == [0, 1, 2]
  cls_id, sep_id, _ = tokenizer.special_ids
  ex, option = examples[1], 1
  qa = tokenizer.convert_tokens_to_ids(
      tokenizer.tokenize(race_data.qa_text(ex.question, ex.options[option])))[-6:]
  article = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(ex.article))[:40 - 3 - 6]
  expected = [cls_id] + article + [sep_id] + qa + [sep_id]
  assert list(feats["input_word_ids"][1, option]) == expected       # qa keeps its LAST pieces
  assert list(feats["input_type_ids"][1, option]) == [0] * (len(article) + 2) + [1] * 7

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


def _race_item(**changes):
  item = {"id": "high7.txt", "article": "Tom has a cat.", "questions": ["Tom has a _."],
          "options": [["cat", "dog", "cow", "fox"]], "answers": ["A"]}
  item.update(changes)
  return item


@pytest.mark.parametrize("changes,expected", [
    ({"options": [["cat", "dog", "cow"]]}, "question 0: options must be 4 strings, got 3 entries"),
    ({"answers": "A"}, "'answers' must be a list of strings"),
    ({"answers": ["E"]}, "question 0: answer 'E' is not one of A, B, C, D"),
    ({"article": ["Tom"]}, "'article' must be a string, got list"),
    ({"questions": ["q1", "q2"]},
     "2 questions, 1 option lists, 1 answers: they must be equally many"),
], ids=["three_options", "answers_str", "answer_E", "article_list", "counts"])
def test_wrong_types_name_file_item_and_question(tmp_path, changes, expected):
  path = tmp_path / "dev.json"
  path.write_text(json.dumps([_race_item(id="ok.txt"), _race_item(**changes)]))
  with pytest.raises(race_data.RaceDataError) as e:
    race_data.read_race(str(path))
  assert str(e.value).startswith(f"{path} (object 1) (id 'high7.txt'): {expected}: fix the item")


def test_not_json_names_file_and_position(tmp_path):
  path = tmp_path / "high7.txt"
  path.write_text('{"article": "a",\n "questions": ["q"]\n "options": []}')
  with pytest.raises(race_data.RaceDataError, match=r"high7\.txt:3:2: not JSON \(Expecting ','"):
    race_data.read_race(str(path))
  jsonl = tmp_path / "race.jsonl"
  jsonl.write_text(json.dumps(_race_item()) + "\n" + "{broken\n")
  with pytest.raises(race_data.RaceDataError, match=r"race\.jsonl:2:2: not JSON"):
    race_data.read_race(str(jsonl))


def test_missing_empty_and_bom_files(tmp_path):
  with pytest.raises(race_data.RaceDataError, match=r"nowhere: no such file or directory"):
    race_data.read_race(str(tmp_path / "nowhere"))
  empty = tmp_path / "empty.json"
  empty.write_text("[]")
  with pytest.raises(race_data.RaceDataError, match=r"empty\.json: no RACE questions"):
    race_data.read_race(str(empty))
  bom = tmp_path / "bom.json"
  bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(_race_item()).encode())
  assert [e.label for e in race_data.read_race(str(bom))] == [0]

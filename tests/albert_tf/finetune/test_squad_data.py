"""SQuAD feature creation: piece ↔ character mapping, doc stride, targets, decoding."""
import collections
import json
import os

import numpy as np
import pytest

from albert_tf.finetune import squad_data, squad_decode, squad_metrics

TINY = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "squad_samples",
                    "dev-v1.1-tiny.json")


@pytest.fixture(scope="module")
def tokenizer():
  from albert_tf.resources import DEFAULT_SPM_MODEL
  from albert_tf.tokenization import SentencePieceTokenizer
  return SentencePieceTokenizer(DEFAULT_SPM_MODEL)


@pytest.fixture(scope="module")
def tiny():
  with open(TINY, encoding="utf-8") as f:
    return json.load(f)


def test_answer_piece_spans_decode_back_to_the_answer(tokenizer, tiny):
  examples = squad_data.read_squad(tiny, is_training=True, version="1.1")
  assert len(examples) == 65
  exact = 0
  for ex in examples:
    ctx = squad_data.tokenize_context(tokenizer, ex.context_text)
    assert ctx.pieces == tokenizer.tokenize(ex.context_text)   # same pieces as the tokenizer
    first, last = ctx.piece_span(ex.answer_start, ex.answer_start + len(ex.answer_text))
    text = ctx.text(ex.context_text, first, last)
    # Pieces can be wider than the answer ("golden" for "gold"), never narrower.
    assert ex.answer_text in text
    exact += squad_metrics.normalize_answer(text) == squad_metrics.normalize_answer(ex.answer_text)
  # The 4 misses of this file are answers inside one piece: "gold" in "▁golden", "8" in "18",
  # "4" in "49", "2" in "12" (the official code maps to whole words, the same limitation).
  assert exact >= 61


def test_char_mapping_through_normalization(tokenizer):
  context = "Café  naïve résumé, 3,000 people (½) in Ｔｏｋｙｏ…"
  ctx = squad_data.tokenize_context(tokenizer, context)
  covered = {piece: context[s:e] for piece, (s, e) in zip(ctx.pieces, ctx.char_spans)}
  assert covered["▁cafe"] == "Café" and covered["▁naive"] == "naïve"
  assert covered["▁resume"] == "résumé" and covered["▁3,000"] == "3,000"
  start = context.index("résumé")
  first, last = ctx.piece_span(start, start + len("résumé"))
  assert ctx.text(context, first, last) == "résumé"
  start = context.index("Ｔｏｋｙｏ")
  assert ctx.text(context, *ctx.piece_span(start, start + 5)) == "Ｔｏｋｙｏ"


def test_answer_not_in_context_is_counted_and_skipped():
  data = {"data": [{"paragraphs": [{"context": "The cat sat on the mat.", "qas": [
      {"id": "ok", "question": "Who sat?", "answers": [{"text": "cat", "answer_start": 4}]},
      {"id": "bad", "question": "Where?", "answers": [{"text": "sofa", "answer_start": 19}]},
  ]}]}]}
  stats = collections.Counter()
  examples = squad_data.read_squad(data, is_training=True, version="1.1", stats=stats)
  assert [e.qas_id for e in examples] == ["ok"] and stats["answer_not_found"] == 1
  # Prediction-time reading keeps every question.
  assert len(squad_data.read_squad(data, is_training=False)) == 2


def test_doc_stride_features_and_targets(tokenizer):
  context = " ".join(f"word{i}" for i in range(60)) + " the answer is Warsaw today."
  answer_start = context.index("Warsaw")
  example = squad_data.SquadExample("q", "Which city?", context, "Warsaw", answer_start)
  feats, metas, ctxs = squad_data.convert_examples_to_features(
      [example], tokenizer, max_seq_length=48, doc_stride=16, max_query_length=8,
      is_training=True, version="2.0")
  n = len(metas)
  assert n > 3 and feats["input_word_ids"].shape == (n, 48)
  found = 0
  for f in range(n):
    s, e = feats["start_positions"][f], feats["end_positions"][f]
    if feats["is_impossible"][f]:
      assert s == e == 0          # answer outside this span → [CLS], and v2 marks impossible
      continue
    found += 1
    first, last = metas[f].token_to_piece[s], metas[f].token_to_piece[e]
    assert ctxs[0].text(context, first, last) == "Warsaw"
    assert feats["p_mask"][f, s] == 0 and feats["p_mask"][f, 0] == 0
  assert found >= 1
  # p_mask: query + [SEP] masked, padding masked
  query_len = len(tokenizer.tokenize("Which city?"))
  assert list(feats["p_mask"][0, :query_len + 2]) == [0] + [1] * (query_len + 1)
  # every context piece is the max-context piece of exactly one feature
  counts = collections.Counter(m.token_to_piece[t] for m in metas
                               for t in range(len(m.token_to_piece))
                               if m.token_to_piece[t] is not None and m.token_is_max_context[t])
  assert set(counts.values()) == {1} and len(counts) == len(ctxs[0].pieces)


def test_decode_v1_with_oracle_logits_scores_100(tokenizer, tiny):
  train_view = squad_data.read_squad(tiny, is_training=True, version="1.1")
  examples = squad_data.read_squad(tiny, is_training=False, version="1.1")
  feats, metas, ctxs = squad_data.convert_examples_to_features(
      examples, tokenizer, max_seq_length=128, doc_stride=64, is_training=False)
  gold_feats, _, _ = squad_data.convert_examples_to_features(
      train_view, tokenizer, max_seq_length=128, doc_stride=64, is_training=True)
  # Oracle logits: put mass on the gold positions of the features holding the answer.
  t = feats["input_word_ids"].shape[1]
  start = np.full((len(metas), t), -5.0, np.float32)
  end = np.full((len(metas), t), -5.0, np.float32)
  for f in range(len(metas)):
    if gold_feats["start_positions"][f] or gold_feats["end_positions"][f]:
      start[f, gold_feats["start_positions"][f]] = 5.0
      end[f, gold_feats["end_positions"][f]] = 5.0
  preds, nbest = squad_decode.decode_v1(examples, metas, ctxs,
                                        {"start_logits": start, "end_logits": end})
  assert set(preds) == {e.qas_id for e in examples}
  result = squad_metrics.evaluate_v1(tiny, preds)
  # Only the 4 inside-a-piece answers above miss: EM = 61/65.
  assert result["exact_match"] == pytest.approx(100 * 61 / 65)
  assert result["f1"] >= result["exact_match"]
  assert all(abs(sum(e["probability"] for e in v) - 1) < 1e-6 for v in nbest.values() if v)


def test_decode_v2_beam_and_null_odds(tokenizer):
  context = "Warsaw is the capital of Poland."
  examples = [squad_data.SquadExample("a", "Capital?", context),
              squad_data.SquadExample("b", "Moon?", context)]
  feats, metas, ctxs = squad_data.convert_examples_to_features(
      examples, tokenizer, max_seq_length=32, is_training=False, version="2.0")
  doc = [i for i, p in enumerate(metas[0].token_to_piece) if p is not None]
  k, ke = 2, 2
  outputs = {
      "start_top_log_probs": np.log(np.array([[0.7, 0.2], [0.6, 0.3]])),
      "start_top_index": np.array([[doc[0], 0], [doc[0], doc[1]]]),
      "end_top_log_probs": np.log(np.full((2, k, ke), 0.4)),
      "end_top_index": np.array([[[doc[0], doc[1]], [0, 0]], [[doc[0], 1], [doc[1], doc[1]]]]),
      "cls_logits": np.array([-2.0, 3.0]),
  }
  preds, non_null, null_odds, nbest = squad_decode.decode_v2(examples, metas, ctxs, outputs)
  assert preds == {"a": "Warsaw", "b": ""}                 # b: null score 3 > threshold 0
  assert non_null["b"] == "Warsaw" and null_odds == {"a": -2.0, "b": 3.0}
  # a's candidates: (doc0, doc0) "Warsaw" and (doc0, doc1) "Warsaw is"; index 0 = [CLS] invalid
  assert [e["text"] for e in nbest["a"]] == ["Warsaw", "Warsaw is"]


def _one_question(answers, context="The cat sat on the mat. The mat was red."):
  return {"data": [{"paragraphs": [{"context": context, "qas": [
      {"id": "q1", "question": "What?", "answers": answers}]}]}]}


def test_answer_start_off_is_realigned_and_counted():
  # "mat was" is at 28; at answer_start 20 the covering words are "mat. The": moved to 28.
  stats = collections.Counter()
  examples = squad_data.read_squad(_one_question([{"text": "mat was", "answer_start": 20}]),
                                   is_training=True, version="1.1", stats=stats)
  assert examples[0].answer_start == 28
  assert examples[0].context_text[28:28 + len("mat was")] == "mat was"
  assert stats["answer_start_realigned"] == 1 and stats["answer_not_found"] == 0
  assert squad_data.summarize_stats(stats, "train.json") == (
      "train.json: 1 answer(s) re-aligned to their text's nearest occurrence (answer_start was "
      "off), 0 answer(s) not found in their context (question skipped)")
  stats = collections.Counter()
  squad_data.read_squad(_one_question([{"text": "cat", "answer_start": 4}]), True, "1.1", stats)
  assert stats == {"answer_start_realigned": 0, "answer_not_found": 0}
  assert squad_data.summarize_stats(stats, "train.json") is None


@pytest.mark.parametrize("dataset,expected", [
    ([], 'top level: the file must be an object, got list'),
    ({"data": {}}, 'top level: "data" must be a list, got dict'),
    ({"data": [{"paragraphs": [{"context": 3, "qas": []}]}]},
     'data[0].paragraphs[0]: "context" must be a string, got int'),
    (_one_question({"text": "cat", "answer_start": 4}),
     "data[0].paragraphs[0].qas[0] (id 'q1'): \"answers\" must be a list, got dict"),
    (_one_question([{"text": "cat", "answer_start": "4"}]),
     "qas[0] (id 'q1') answers[0]: \"answer_start\" must be an integer, got str"),
    (_one_question([{"text": None, "answer_start": 4}]),
     "qas[0] (id 'q1') answers[0]: \"text\" must be a string, got null"),
    ({"data": [{"paragraphs": [{"context": "c", "qas": [{"id": 7, "question": "q"}]}]}]},
     'data[0].paragraphs[0].qas[0]: "id" must be a string, got int'),
], ids=["top_list", "data_dict", "context_int", "answers_dict", "start_str", "text_null",
        "id_int"])
def test_wrong_types_name_file_and_item(tmp_path, dataset, expected):
  path = tmp_path / "train.json"
  path.write_text(json.dumps(dataset), encoding="utf-8")
  with pytest.raises(squad_data.SquadDataError) as e:
    squad_data.load_squad(str(path))
  message = str(e.value)
  assert message.startswith(f"{path}: ") and f"{expected}: fix the item" in message, message


def test_not_json_missing_and_bom_files(tmp_path):
  path = tmp_path / "dev.json"
  path.write_text('{"data": [\n  {"paragraphs": [}]}')
  with pytest.raises(squad_data.SquadDataError, match=r"dev\.json:2:19: not JSON"):
    squad_data.load_squad(str(path))
  with pytest.raises(squad_data.SquadDataError, match=r"nowhere\.json: no such file"):
    squad_data.load_squad(str(tmp_path / "nowhere.json"))
  path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_one_question([])).encode())
  assert squad_data.load_squad(str(path))["data"][0]["paragraphs"][0]["qas"][0]["id"] == "q1"

"""Records load in TensorFlow and tf-models-official; every record is well formed."""
import hypothesis
import hypothesis.strategies as st
import pytest

from albert_tf import features
from data_prep import block_processing, example_codec, pipeline
from data_prep.config import DataPrepConfig
from data_prep.documents import Block

T, P = 64, 10


@pytest.fixture(scope="module")
def records_dir(tmp_path_factory, book_docs):
  from tests.data_prep.conftest import write_corpus
  folder = tmp_path_factory.mktemp("records")
  corpus = write_corpus(folder / "c.txt", book_docs[:8])
  config = DataPrepConfig(input_file=corpus, output_dir=str(folder / "out"), max_seq_length=T,
                          max_predictions_per_seq=P, dupe_factor=1, num_output_shards=2,
                          block_size_bytes=8000,  # 2+ blocks: no shard without instances
                          gzip=False)
  pipeline.run(config)
  gz = DataPrepConfig(**{**config.__dict__, "output_dir": str(folder / "gz"), "gzip": True})
  pipeline.run(gz)
  return config, gz


def test_tensorflow_parses_records_with_the_schema(records_dir):
  import tensorflow as tf
  for config, compression in zip(records_dir, (None, "GZIP")):
    ds = tf.data.TFRecordDataset(config.shard_paths(), compression_type=compression)
    spec = features.feature_spec(T, P)
    batches = list(ds.batch(1000).map(lambda raw: tf.io.parse_example(raw, spec)))
    assert len(batches) == 1
    ex = batches[0]
    assert ex["input_ids"].shape[1:] == (T,) and ex["masked_lm_weights"].dtype == tf.float32
    assert ex["input_ids"].shape[0] > 20


def test_tf_models_pretrain_dataloader_reads_records(records_dir):
  from official.nlp.data import pretrain_dataloader
  config = records_dir[0]
  data_config = pretrain_dataloader.BertPretrainDataConfig(
      input_path=",".join(config.shard_paths()), global_batch_size=4, seq_length=T,
      max_predictions_per_seq=P, use_next_sentence_label=True, is_training=False)
  batch = next(iter(pretrain_dataloader.BertPretrainDataLoader(data_config).load()))
  assert batch["input_word_ids"].shape == (4, T)
  assert batch["masked_lm_positions"].shape == (4, P)
  assert batch["next_sentence_labels"].shape == (4, 1)


def _check_record(data, vocab_size=30000, mask_id=4):
  ex = example_codec.decode_example(data)
  assert sorted(ex) == sorted(features.ALL_FEATURES)
  for name, length in features.feature_lengths(T, P).items():
    assert len(ex[name]) == length, name
  mask = ex["input_mask"]
  n = sum(mask)
  assert mask == [1] * n + [0] * (T - n) and 5 <= n <= T
  ids, seg = ex["input_ids"], ex["segment_ids"]
  assert ids[0] == 2 and ids[n - 1] == 3 and all(0 <= i < vocab_size for i in ids)
  assert ids[n:] == [0] * (T - n)
  n0 = n - sum(seg)
  assert seg == [0] * n0 + [1] * (n - n0) + [0] * (T - n) and n0 >= 3 and n - n0 >= 2
  assert ids[n0 - 1] == 3
  k = int(sum(ex["masked_lm_weights"]))
  assert ex["masked_lm_weights"] == [1.0] * k + [0.0] * (P - k)
  pos = ex["masked_lm_positions"][:k]
  assert pos == sorted(set(pos)) and all(0 < p < n and p != n0 - 1 for p in pos)
  assert ex["masked_lm_positions"][k:] == [0] * (P - k)
  assert all(0 <= i < vocab_size for i in ex["masked_lm_ids"])
  assert ex["next_sentence_labels"][0] in (0, 1)
  assert ex["token_boundary"][0] == 1 and ex["token_boundary"][n:] == [0] * (T - n)


_TOKENIZER = {}
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFF),
                max_size=80)


@hypothesis.settings(max_examples=40, deadline=None)
@hypothesis.given(docs=st.lists(st.lists(_TEXT, min_size=1, max_size=6), min_size=1, max_size=5),
                  seed=st.integers(0, 2**31), nsp=st.booleans(), whole_word=st.booleans())
def test_every_record_from_random_text_is_well_formed(docs, seed, nsp, whole_word):
  config = DataPrepConfig(output_dir="unused", max_seq_length=T, max_predictions_per_seq=P,
                          dupe_factor=2, random_seed=seed, random_next_sentence=nsp,
                          do_whole_word_mask=whole_word, log_examples=0)
  processor = block_processing.BlockProcessor(config)
  processor.tokenizer = _TOKENIZER.setdefault("tok", processor.tokenizer)  # load spm once
  docs = [[line.replace("\n", " ") for line in doc] for doc in docs]
  example_stats, doc_stats = block_processing.new_stats(config)
  for data in processor.process_block(Block(0, 0, 0, docs), example_stats, doc_stats):
    _check_record(data)


def test_real_records_are_well_formed(records_dir):
  from data_prep import tfrecord_io
  count = 0
  for path in records_dir[0].shard_paths():
    for data in tfrecord_io.iter_file_records(path):
      _check_record(data)
      count += 1
  assert count > 20


def test_shard_bytes_stable_across_runs(records_dir, tmp_path):
  config = records_dir[0]
  again = DataPrepConfig(**{**config.__dict__, "output_dir": str(tmp_path / "again")})
  pipeline.run(again)
  for a, b in zip(config.shard_paths(), again.shard_paths()):
    assert open(a, "rb").read() == open(b, "rb").read()

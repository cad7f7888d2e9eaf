"""The local driver: reproducible bytes, sharding, resume, stats.json, bad input."""
import json
import os

import pytest

from data_prep import block_processing, pipeline, shard_writer, tfrecord_io
from data_prep.config import ConfigError, DataPrepConfig
from data_prep.documents import InputError


def _config(input_file, out, **kw):
  base = dict(input_file=input_file, output_dir=str(out), max_seq_length=64, dupe_factor=2,
              num_output_shards=3, block_size_bytes=8000, log_every_seconds=1000)
  base.update(kw)
  return DataPrepConfig(**base)


def _shard_bytes(config):
  return [open(p, "rb").read() for p in config.shard_paths()]


def test_output_identical_for_one_and_two_workers(small_corpus, tmp_path):
  one = _config(small_corpus, tmp_path / "w1", num_workers=1)
  two = _config(small_corpus, tmp_path / "w2", num_workers=2)
  s1, s2 = pipeline.run(one), pipeline.run(two)
  assert _shard_bytes(one) == _shard_bytes(two)
  assert s1["instances"] == s2["instances"] > 100
  assert all(len(b) > 0 for b in _shard_bytes(one))


def test_seed_changes_output(small_corpus, tmp_path):
  a = _config(small_corpus, tmp_path / "a", dupe_factor=1)
  b = _config(small_corpus, tmp_path / "b", dupe_factor=1, random_seed=1)
  pipeline.run(a), pipeline.run(b)
  assert _shard_bytes(a) != _shard_bytes(b)


def test_rerun_skips_complete_shards_and_redoes_partial(small_corpus, tmp_path):
  config = _config(small_corpus, tmp_path / "out")
  stats = pipeline.run(config)
  reference = _shard_bytes(config)
  paths = config.shard_paths()
  mtime0 = os.stat(paths[0]).st_mtime_ns
  # Simulate a crash: shard 1 never renamed (partial temp file left), shard 2 lost its marker.
  os.replace(paths[1], paths[1] + ".tmp-99999")
  with open(paths[1] + ".tmp-99999", "r+b") as f:
    f.truncate(100)
  os.remove(shard_writer.marker_path(config.meta_dir(), paths[2]))
  os.remove(os.path.join(config.meta_dir(), "stats.json"))
  again = pipeline.run(config)
  assert _shard_bytes(config) == reference
  assert os.stat(paths[0]).st_mtime_ns == mtime0  # complete shard untouched
  assert not [f for f in os.listdir(config.output_dir) if ".tmp-" in f]
  assert again["instances"] == stats["instances"]


def test_rerun_with_other_options_is_refused(small_corpus, tmp_path):
  pipeline.run(_config(small_corpus, tmp_path / "out", dupe_factor=1))
  with pytest.raises(ConfigError, match="dupe_factor"):
    pipeline.run(_config(small_corpus, tmp_path / "out", dupe_factor=2))
  # num_workers does not change the output, so it may differ on a rerun.
  pipeline.run(_config(small_corpus, tmp_path / "out", dupe_factor=1, num_workers=2))


def test_stats_json_has_the_issue_fields(small_corpus, tmp_path):
  config = _config(small_corpus, tmp_path / "out")
  pipeline.run(config)
  with open(os.path.join(config.output_dir, "stats.json")) as f:
    stats = json.load(f)
  for key in ("instances", "real_tokens_per_instance", "share_shorter_than_max_seq_length",
              "mask_rate", "masked_span_histogram", "masked_replacement_shares",
              "sop_label_1_share", "mean_len_a", "mean_len_b", "documents", "input"):
    assert key in stats
  assert set(stats["real_tokens_per_instance"]) == {"mean", "p10", "p50"}
  assert set(stats["masked_span_histogram"]) == {"1", "2", "3", ">3"}
  assert 0.75 < stats["masked_replacement_shares"]["mask"] < 0.85
  # > 0.5: one-sentence chunks (sentences longer than the target) get random-document B.
  assert 0.45 < stats["sop_label_1_share"] < 0.75
  assert stats["documents"]["documents"] == 24
  total = sum(1 for p in config.shard_paths() for _ in tfrecord_io.iter_file_records(p))
  assert total == stats["instances"]


def test_stats_cli_matches_stats_json(small_corpus, tmp_path):
  from data_prep import stats as stats_cli
  config = _config(small_corpus, tmp_path / "out")
  written = pipeline.run(config)
  computed = stats_cli.compute(config.shard_paths())
  for key in ("instances", "mask_rate", "masked_span_histogram", "masked_replacement_shares",
              "sop_label_1_share", "mean_len_a", "mean_len_b", "real_tokens_per_instance",
              "share_shorter_than_max_seq_length"):
    assert computed[key] == written[key], key


def test_output_file_list_and_gzip(two_file_corpus, tmp_path):
  files = f"{tmp_path}/x.tfrecord,{tmp_path}/y.tfrecord"
  config = _config(two_file_corpus, None, output_dir=None, output_file=files, gzip=True)
  stats = pipeline.run(config)
  n = sum(1 for p in files.split(",") for _ in tfrecord_io.iter_file_records(p))
  assert n == stats["instances"] > 0
  assert open(f"{tmp_path}/x.tfrecord", "rb").read(2) == b"\x1f\x8b"
  assert os.path.exists(tmp_path / "stats.json")


def test_no_usable_document_is_a_clear_error(tmp_path):
  p = tmp_path / "empty.txt"
  p.write_text("\n\n   \n\n")
  with pytest.raises(pipeline.PipelineError, match="no instance .* holds no text"):
    pipeline.run(_config(str(p), tmp_path / "out"))
  # Nothing looks complete: no stats.json, no shard, no completion marker.
  out = tmp_path / "out"
  assert not [n for n in os.listdir(out) if n.endswith(".tfrecord") or n == "stats.json"]
  assert not os.listdir(out / shard_writer.MARKER_DIR)


def test_bad_options_name_the_flag(small_corpus, tmp_path):
  for kw, flag in [({"max_seq_length": 4}, "max_seq_length"), ({"dupe_factor": 0}, "dupe_factor"),
                   ({"masked_lm_prob": 1.5}, "masked_lm_prob"),
                   ({"spm_model_file": "/nonexistent.model"}, "spm_model_file")]:
    with pytest.raises(ConfigError, match=flag):
      pipeline.run(_config(small_corpus, tmp_path / "out", **kw))
  with pytest.raises(InputError, match="missing.txt"):
    pipeline.run(_config(str(tmp_path / "missing.txt"), tmp_path / "out"))


def test_edge_documents_are_counted(tmp_path):
  long_line = " ".join(["word"] * 200)
  text = ("only sentence.\n\n" + long_line + "\nshort one.\n\n"
          "first.\nsecond.\nthird.\n\n\u0301\u0301\n\n")
  p = tmp_path / "edge.txt"
  p.write_text(text)
  stats = pipeline.run(_config(str(p), tmp_path / "out", max_seq_length=32))
  docs = stats["documents"]
  assert docs["one_sentence_documents"] == 1
  assert docs["long_sentences"] == 1
  assert docs["empty_documents"] == 1  # a line of combining marks only
  assert stats["instances"] > 0


def test_rerun_after_the_input_file_list_changed_redoes_every_shard(small_corpus, tmp_path,
                                                                    book_docs, caplog):
  from tests.data_prep.conftest import write_corpus
  folder = tmp_path / "in"
  folder.mkdir()
  write_corpus(folder / "a.txt", book_docs[:12])
  config = _config(str(folder / "*.txt"), tmp_path / "out", dupe_factor=1)
  pipeline.run(config)
  before = _shard_bytes(config)
  write_corpus(folder / "b.txt", book_docs[12:])  # the glob now matches one more file
  again = pipeline.run(config)
  assert "file list changed" in caplog.text
  fresh = _config(str(folder / "*.txt"), tmp_path / "fresh", dupe_factor=1)
  assert again["instances"] == pipeline.run(fresh)["instances"]
  assert _shard_bytes(config) == _shard_bytes(fresh) != before


def test_rerun_after_a_spm_model_change_redoes_every_shard(small_corpus, tmp_path, caplog):
  import shutil
  from albert_tf import resources
  model = tmp_path / "m.model"
  shutil.copy(resources.DEFAULT_SPM_MODEL, model)
  config = _config(small_corpus, tmp_path / "out", spm_model_file=str(model), dupe_factor=1)
  pipeline.run(config)
  os.utime(model, ns=(0, 0))  # same bytes, other mtime: the fingerprint sees it
  pipeline.run(config)
  assert "SentencePiece model" in caplog.text and "redoing all 3 shards" in caplog.text


def test_a_folder_from_before_fingerprints_is_redone(small_corpus, tmp_path, caplog):
  config = _config(small_corpus, tmp_path / "out", dupe_factor=1)
  pipeline.run(config)
  manifest = os.path.join(config.output_dir, pipeline.MANIFEST)
  with open(manifest) as f:
    options = json.load(f)["options"]
  with open(manifest, "w") as f:  # the old format: the options alone, input_file included
    json.dump({**options, "input_file": small_corpus}, f)
  pipeline.run(config)
  assert "no input fingerprint" in caplog.text


def test_more_shards_than_blocks_writes_no_empty_shard(tmp_path, book_docs, caplog):
  from tests.data_prep.conftest import write_corpus
  corpus = write_corpus(tmp_path / "c.txt", book_docs[:4])  # one block
  config = _config(corpus, tmp_path / "out", num_output_shards=3, block_size_bytes=1 << 20,
                   dupe_factor=1)
  stats = pipeline.run(config)
  written = sorted(n for n in os.listdir(config.output_dir) if n.endswith(".tfrecord"))
  assert written == ["part-00000-of-00003.tfrecord"] == stats["shards"]
  assert all(os.path.getsize(os.path.join(config.output_dir, n)) > 0 for n in written)
  assert "2 of 3 shards got no instance" in caplog.text
  caplog.clear()
  caplog.set_level("INFO", logger="data_prep.pipeline")
  assert pipeline.run(config)["instances"] == stats["instances"]  # complete: nothing to do
  assert "nothing to do" in caplog.text
  listed = f"{tmp_path}/x.tfrecord,{tmp_path}/y.tfrecord"
  with pytest.raises(pipeline.PipelineError, match="1 of 2 files would get no instance"):
    pipeline.run(_config(corpus, None, output_dir=None, output_file=listed,
                         block_size_bytes=1 << 20, dupe_factor=1))
  assert not [n for n in os.listdir(tmp_path) if n.startswith(("x.", "y."))]


def test_input_deleted_between_listing_and_reading(two_file_corpus, tmp_path, monkeypatch):
  gz = two_file_corpus.split(",")[1]
  prepare = pipeline._prepare_output

  def prepare_then_delete(*args):
    prepare(*args)
    os.remove(gz)
  monkeypatch.setattr(pipeline, "_prepare_output", prepare_then_delete)
  config = _config(two_file_corpus, tmp_path / "out", dupe_factor=1)
  with pytest.raises(InputError, match=f"cannot read input file '{gz}'.*No such file"):
    pipeline.run(config)
  assert not [n for n in os.listdir(config.output_dir) if ".tfrecord" in n]
  assert not os.listdir(os.path.join(config.output_dir, shard_writer.MARKER_DIR))


def test_input_that_changes_while_read_is_an_error(small_corpus, tmp_path, monkeypatch):
  prepare = pipeline._prepare_output

  def prepare_then_append(*args):
    prepare(*args)
    with open(small_corpus, "a", encoding="utf-8") as f:
      f.write("\nOne more document.\n")
  monkeypatch.setattr(pipeline, "_prepare_output", prepare_then_append)
  config = _config(small_corpus, tmp_path / "out", dupe_factor=1)
  with pytest.raises(InputError, match="changed .*while it was being read"):
    pipeline.run(config)
  assert not [n for n in os.listdir(config.output_dir) if ".tfrecord" in n]


def test_half_written_marker_means_incomplete(small_corpus, tmp_path):
  config = _config(small_corpus, tmp_path / "out", dupe_factor=1)
  pipeline.run(config)
  reference = _shard_bytes(config)
  marker = shard_writer.marker_path(config.meta_dir(), config.shard_paths()[1])
  with open(marker, "w") as f:
    f.write('{"examples": {')  # killed mid-write
  assert not shard_writer.is_complete(config.meta_dir(), config.shard_paths()[1])
  pipeline.run(config)
  assert _shard_bytes(config) == reference


class _BrokenProcessor(block_processing.BlockProcessor):
  """A processor with a bug; module level, so that 'spawn' workers unpickle it too."""

  def process_block(self, block, example_stats, doc_stats):
    raise KeyError("a bug")


def test_a_bug_in_a_worker_keeps_its_traceback(small_corpus, tmp_path, monkeypatch):
  monkeypatch.setattr(block_processing, "BlockProcessor", _BrokenProcessor)
  config = _config(small_corpus, tmp_path / "out", dupe_factor=1, num_workers=2)
  with pytest.raises(pipeline.WorkerCrash, match=r"(?s)Traceback.*KeyError: 'a bug'"):
    pipeline.run(config)
  assert not [n for n in os.listdir(config.output_dir) if ".tfrecord" in n]

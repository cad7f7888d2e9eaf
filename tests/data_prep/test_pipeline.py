"""The local driver: reproducible bytes, sharding, resume, stats.json, bad input."""
import json
import os

import pytest

from data_prep import pipeline, shard_writer, tfrecord_io
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

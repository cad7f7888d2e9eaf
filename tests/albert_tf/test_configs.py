import json

import pytest

from albert_tf.configs import PRESETS, AlbertConfig

# The released albert_base v2 albert_config.json (HF hub / TF tarball fields,
# docs/albert_reference.md §1.2).
OFFICIAL_BASE_V2 = {
    "attention_probs_dropout_prob": 0, "hidden_act": "gelu", "hidden_dropout_prob": 0,
    "embedding_size": 128, "hidden_size": 768, "initializer_range": 0.02,
    "intermediate_size": 3072, "max_position_embeddings": 512, "num_attention_heads": 12,
    "num_hidden_layers": 12, "num_hidden_groups": 1, "net_structure_type": 0, "gap_size": 0,
    "num_memory_blocks": 0, "inner_group_num": 1, "down_scale_factor": 1,
    "type_vocab_size": 2, "vocab_size": 30000,
}


def test_official_json_loads_keeps_unknown_keys_and_round_trips(tmp_path):
  path = tmp_path / "albert_config.json"
  path.write_text(json.dumps(OFFICIAL_BASE_V2))
  cfg = AlbertConfig.from_json_file(path)
  assert cfg == PRESETS["albert_base"]
  assert cfg.extra == {"net_structure_type": 0, "gap_size": 0, "num_memory_blocks": 0}
  out = tmp_path / "out.json"
  cfg.to_json_file(out)
  written = json.loads(out.read_text())
  for key, value in OFFICIAL_BASE_V2.items():
    assert written[key] == value, key
  assert AlbertConfig.from_json_file(out) == cfg


@pytest.mark.parametrize("name,layers,hidden,heads,ffn,emb,share", [
    ("albert_base", 12, 768, 12, 3072, 128, "all"),
    ("albert_large", 24, 1024, 16, 4096, 128, "all"),
    ("albert_xlarge", 24, 2048, 16, 8192, 128, "all"),
    ("albert_xxlarge", 12, 4096, 64, 16384, 128, "all"),
    ("bert_base", 12, 768, 12, 3072, 768, "none"),
    ("bert_large", 24, 1024, 16, 4096, 1024, "none"),
])
def test_presets_match_paper_table1(name, layers, hidden, heads, ffn, emb, share):
  c = AlbertConfig.from_preset(name)
  assert (c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size,
          c.embedding_size, c.share_parameters) == (layers, hidden, heads, ffn, emb, share)
  assert c.vocab_size == 30000 and c.max_position_embeddings == 512


@pytest.mark.parametrize("changes,field", [
    ({"hidden_size": 100, "num_attention_heads": 12}, "hidden_size"),
    ({"num_hidden_layers": 2, "num_hidden_groups": 3}, "num_hidden_groups"),
    ({"embedding_size": 0}, "embedding_size"),
    ({"vocab_size": -3}, "vocab_size"),
    ({"hidden_dropout_prob": 1.5}, "hidden_dropout_prob"),
    ({"share_parameters": "some"}, "share_parameters"),
    ({"hidden_act": "sigmoidish"}, "hidden_act"),
])
def test_impossible_values_raise_one_line_error_naming_field(changes, field):
  with pytest.raises(ValueError) as e:
    PRESETS["albert_base"].replace(**changes)
  message = str(e.value)
  assert field in message and "\n" not in message


@pytest.mark.parametrize("key,value", [("hidden_size", "768"), ("num_hidden_layers", 12.5),
                                       ("hidden_act", 3), ("vocab_size", True)])
def test_wrong_json_type_raises_one_line_error(tmp_path, key, value):
  path = tmp_path / "c.json"
  path.write_text(json.dumps({**OFFICIAL_BASE_V2, key: value}))
  with pytest.raises(ValueError) as e:
    AlbertConfig.from_json_file(path)
  assert key in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_bad_file_and_unknown_preset_errors(tmp_path):
  with pytest.raises(ValueError, match="cannot read"):
    AlbertConfig.from_json_file(tmp_path / "missing.json")
  (tmp_path / "bad.json").write_text("{not json")
  with pytest.raises(ValueError, match="not valid JSON"):
    AlbertConfig.from_json_file(tmp_path / "bad.json")
  with pytest.raises(ValueError, match="albert_base"):
    AlbertConfig.from_preset("albert_huge")


def test_group_of_layer_official_rule():
  c = AlbertConfig(num_hidden_layers=12, num_hidden_groups=3, hidden_size=64,
                   num_attention_heads=4)
  assert [c.group_of_layer(l) for l in range(12)] == [0] * 4 + [1] * 4 + [2] * 4


def test_trainer_config_json_model_part_is_read(tmp_path):
  path = tmp_path / "config.json"
  path.write_text(json.dumps({"albert_config": OFFICIAL_BASE_V2, "pretraining": {"lr": 1}}))
  assert AlbertConfig.from_json_file(path) == PRESETS["albert_base"]


def test_sharing_table_is_what_validation_reads(monkeypatch):
  from albert_tf import configs
  assert configs.SHARE_MODES == tuple(configs.SHARING) == ("all", "attention", "ffn", "none")
  assert configs.SHARING["attention"] == (True, False) and configs.SHARING["ffn"] == (False, True)
  with pytest.raises(ValueError, match="share_parameters"):
    PRESETS["albert_base"].replace(share_parameters="embeddings_too")
  monkeypatch.setitem(configs.SHARING, "embeddings_too", (True, True))
  assert PRESETS["albert_base"].replace(share_parameters="embeddings_too").share_parameters == (
      "embeddings_too")

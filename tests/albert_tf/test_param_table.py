from albert_tf import param_table

EXPECTED_ENCODER = {"albert_base": 11_683_584, "albert_large": 17_683_968,
                    "albert_xlarge": 58_724_864, "albert_xxlarge": 222_595_584}


def test_exact_encoder_counts_of_paper_presets():
  rows = {r["preset"]: r for r in param_table.parameter_rows(list(EXPECTED_ENCODER))}
  for name, count in EXPECTED_ENCODER.items():
    assert rows[name]["encoder"] == count, name
  # MLM head = H·E + E (dense) + 2E (LayerNorm) + V (bias); the V×E decoder is tied.
  assert rows["albert_base"]["mlm_head"] == 768 * 128 + 128 + 2 * 128 + 30000
  assert rows["albert_base"]["sop_head"] == 2 * 768 + 2


def test_depth_does_not_change_count_under_full_sharing():
  counts = {n for _, n in param_table.depth_rows("albert_base", depths=(1, 12, 48))}
  assert counts == {EXPECTED_ENCODER["albert_base"]}
  table = param_table.format_tables(param_table.parameter_rows(["albert_tiny"]), [(1, 5)])
  assert "albert_tiny" in table

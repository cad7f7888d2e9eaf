"""Each converter allow-lists the sharing modes it can hold: a new mode in configs.SHARING is
refused with a one-line error naming it, never written or read as if it were another mode."""
import pytest

from albert_tf import configs
from albert_tf.checkpoints import converter
from albert_tf.checkpoints import hf
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints import tf_models
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu

NEW_MODE = "embeddings_too"
CONVERTERS = ("tf1", "tf_models", "hf")  # ours stores the model's own object graph: any mode


@pytest.fixture
def new_mode_model(monkeypatch):
  # The stack builds it exactly like "all": the case a deny-list would write silently as "all".
  monkeypatch.setitem(configs.SHARING, NEW_MODE, (True, True))
  return AlbertPretrainer(pu.TINY.replace(share_parameters=NEW_MODE)).ensure_built()


def _assert_names_the_mode(err):
  message = str(err.value)
  assert f"share_parameters={NEW_MODE!r}" in message and "cannot represent" in message
  assert "\n" not in message


@pytest.mark.parametrize("fmt", CONVERTERS)
def test_writing_a_new_mode_is_refused(new_mode_model, tmp_path, fmt):
  with pytest.raises(ValueError) as err:
    converter.save(fmt, new_mode_model, str(tmp_path / "out"))
  _assert_names_the_mode(err)


@pytest.mark.parametrize("fmt", CONVERTERS)
def test_reading_into_a_new_mode_is_refused(new_mode_model, tmp_path, fmt):
  pytest.importorskip("safetensors")
  # Same variables as the new mode's model: only the allow-list can refuse the load.
  written = converter.save(fmt, AlbertPretrainer(pu.TINY).ensure_built(), str(tmp_path / fmt))
  with pytest.raises(ValueError) as err:
    ckpt_load.load(new_mode_model, written, fmt, allow_missing_sop=True)
  _assert_names_the_mode(err)


def test_convert_refuses_before_loading(new_mode_model, tmp_path):
  prefix = ours.save_ours(new_mode_model, str(tmp_path / "ours"))
  assert ckpt_load.find_config(prefix).share_parameters == NEW_MODE
  for target in CONVERTERS:
    with pytest.raises(ValueError) as err:
      converter.convert_checkpoint("ours", target, prefix, str(tmp_path / target))
    _assert_names_the_mode(err)


def test_allow_lists():
  assert tf1_names.SHARE_MODES == tuple(configs.SHARING)  # names exist for every known mode
  assert hf.SHARE_MODES == ("all", "none") and tf_models.SHARE_MODES == ("all",)

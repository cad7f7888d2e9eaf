"""data_prep's expected failures are albert_tf.errors.UserError (one line from the CLIs)."""
import pytest

from albert_tf import errors
from albert_tf.tokenization import SentencePieceModelError, SentencePieceTokenizer
from data_prep import pipeline, tfrecord_io
from data_prep.config import ConfigError
from data_prep.documents import InputError


def test_error_classes_are_user_errors_and_still_value_errors():
  for cls in (ConfigError, InputError, pipeline.PipelineError, tfrecord_io.CorruptRecordError,
              SentencePieceModelError):
    assert issubclass(cls, errors.UserError) and issubclass(cls, ValueError)
  assert not issubclass(pipeline.WorkerCrash, errors.UserError)  # a bug keeps its traceback


def test_truncated_model_names_the_file_and_what_to_give(tmp_path):
  from albert_tf import resources
  p = tmp_path / "cut.model"
  p.write_bytes(open(resources.DEFAULT_SPM_MODEL, "rb").read()[:1000])
  with pytest.raises(SentencePieceModelError, match=r"cut.model' \(1000 bytes\) is not a valid "
                     r"SentencePiece model.*\.model file"):
    SentencePieceTokenizer(str(p)).vocab_size

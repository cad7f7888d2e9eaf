"""Shared fixtures. TF_USE_LEGACY_KERAS must be set before TensorFlow is imported."""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def tiny_config():
  from albert_tf.configs import AlbertConfig
  return AlbertConfig.from_preset("albert_tiny")


@pytest.fixture
def spm_model_file():
  from albert_tf import resources
  return resources.DEFAULT_SPM_MODEL

"""TFRecord framing and CRC32C without TensorFlow."""
import io
import sys

import pytest

from data_prep import tfrecord_io


def test_crc32c_known_vector_and_fallback_agree():
  assert tfrecord_io.crc32c(b"123456789") == 0xE3069283
  python_crc = tfrecord_io._python_crc32c()
  for data in (b"", b"a", bytes(range(256)) * 3):
    assert python_crc(data) == tfrecord_io.crc32c(data)


def test_fast_crc_available_in_the_pinned_environment():
  assert tfrecord_io.CRC32C_IMPLEMENTATION == "google_crc32c"


def test_pure_python_fallback_is_announced_with_its_cost(monkeypatch):
  monkeypatch.setitem(sys.modules, "google_crc32c", None)  # import → ImportError
  with pytest.warns(RuntimeWarning, match=r"pure-Python CRC32C \(~8 MB/s"):
    crc, name = tfrecord_io._best_crc32c()
  assert name == "python" and crc(b"123456789") == 0xE3069283


def test_frames_read_back_and_by_tensorflow(tmp_path):
  import tensorflow as tf
  records = [b"", b"x", b"hello" * 1000]
  for compress in (False, True):
    path = str(tmp_path / f"r{int(compress)}.tfrecord")
    with tfrecord_io.open_writer(path, compress) as f:
      tfrecord_io.write_records(f, records)
    assert list(tfrecord_io.iter_file_records(path)) == records
    ds = tf.data.TFRecordDataset(path, compression_type="GZIP" if compress else None)
    assert [r.numpy() for r in ds] == records


def test_gzip_output_is_reproducible(tmp_path):
  blobs = []
  for name in ("a", "b"):
    path = str(tmp_path / name)
    with tfrecord_io.open_writer(path, compress=True) as f:
      tfrecord_io.write_records(f, [b"same"])
    blobs.append(open(path, "rb").read())
  assert blobs[0] == blobs[1]


def test_corruption_is_detected():
  buf = io.BytesIO()
  tfrecord_io.write_records(buf, [b"payload"])
  data = bytearray(buf.getvalue())
  data[14] ^= 0xFF
  with pytest.raises(tfrecord_io.CorruptRecordError, match="CRC"):
    list(tfrecord_io.read_records(io.BytesIO(bytes(data))))
  with pytest.raises(tfrecord_io.CorruptRecordError, match="truncated"):
    list(tfrecord_io.read_records(io.BytesIO(buf.getvalue()[:-2])))


def test_corrupt_and_truncated_records_name_the_byte_offset():
  buf = io.BytesIO()
  tfrecord_io.write_records(buf, [b"abc", b"defgh", b"ij"])
  data = buf.getvalue()  # records at offsets 0, 19, 40
  with pytest.raises(tfrecord_io.CorruptRecordError, match="record 2 at byte offset 40"):
    list(tfrecord_io.read_records(io.BytesIO(data[:-3]), name="x"))
  flipped = bytearray(data)
  flipped[19 + 12] ^= 1  # first data byte of record 1
  with pytest.raises(tfrecord_io.CorruptRecordError, match="bad data CRC in record 1 at byte "
                     "offset 19"):
    list(tfrecord_io.read_records(io.BytesIO(bytes(flipped)), name="x"))

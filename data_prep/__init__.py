"""Offline pretraining-data preparation (①→⑤): text → ALBERT TFRecords. No TensorFlow.

Data flow (one module per stage):
    documents.py         ① stream files (globs, .gz) into blocks of documents
    (albert_tf/tokenization.py ② preprocess_text + SentencePiece + digit-comma rule, word starts)
    instances.py         ③ SOP segment pairs (A, B, label) per document pass
    masking.py           ④ n-gram whole-word masking, 80/10/10 per token
    example_codec.py     ⑤ tf.train.Example bytes (fixed schema from albert_tf/features.py)
    tfrecord_io.py       ⑤ TFRecord framing, CRC32C, optional gzip
    block_processing.py  ②→⑤ one block → examples (shared by the local and Beam pipelines)
    shard_writer.py      shuffle buffer, temporary file, atomic completion marker
    pipeline.py          the local driver: worker processes, resume, progress, stats.json
Entry points: create_pretraining_data.py, beam_pipeline.py, stats.py, train_sentencepiece.py.
"""

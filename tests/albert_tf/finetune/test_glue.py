"""GLUE task registry, TSV readers (layouts, header variants) and bad-input errors."""
import os

import pytest

from albert_tf.finetune import glue

TESTDATA = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "glue_samples")


def _write(tmp_path, name, lines):
  path = tmp_path / name
  path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
  return str(path)


def test_registry_names_and_paper_hparams():
  assert set(glue.TASKS) == {"CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI", "QNLI", "RTE",
                             "WNLI"}
  assert glue.get_task("sts-b") is glue.get_task("STSB") is glue.TASKS["STS-B"]
  sst = glue.get_task("sst2").hparams
  assert (sst.warmup_steps, sst.learning_rate, sst.train_steps, sst.batch_size) == (
      1256, 1e-5, 20935, 32)
  mnli = glue.get_task("MNLI").hparams
  assert (mnli.warmup_steps, mnli.learning_rate, mnli.train_steps, mnli.batch_size) == (
      1000, 3e-5, 10000, 128)
  assert glue.get_task("QQP").hparams.albert_dropout == 0.1
  assert glue.get_task("CoLA").hparams.albert_dropout == 0.0
  assert all(t.hparams.max_seq_length == 512 and t.hparams.classifier_dropout == 0.1
             for t in glue.TASKS.values())
  assert glue.get_task("STS-B").is_regression and glue.get_task("STS-B").num_labels == 1
  assert glue.get_task("CoLA").metrics[0] == "mcc"
  assert set(glue.get_task("MRPC").metrics) == {"accuracy", "f1"}


def test_unknown_task_lists_known_ones():
  with pytest.raises(ValueError) as e:
    glue.get_task("SQuAD")
  for name in ("CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI", "QNLI", "RTE", "WNLI"):
    assert name in str(e.value)


@pytest.mark.parametrize("folder,filename,first", [
    ("SST-2", "train.tsv", ("a stirring , funny", None, "1")),        # header `y x`
    ("SST-2", "dev.tsv", ("it 's a charming", None, "1")),            # header `text label`
    ("CoLA", "train.tsv", ("our friends wo n't buy", None, "1")),     # header `x y`
    ("CoLA", "dev.tsv", ("the sailors rode", None, "1")),
    ("STS-B", "dev.tsv", ("A man with a hard hat is dancing.",
                          "A man wearing a hard hat is dancing.", 5.0)),
])
def test_header_variants_of_the_shared_files(folder, filename, first):
  task = glue.get_task(folder)
  examples = glue.read_tsv_examples(task, os.path.join(TESTDATA, folder, filename))
  assert len(examples) == 6
  ex = examples[0]
  assert ex.text_a.startswith(first[0])
  assert ex.text_b == first[1]
  assert ex.label == first[2]


def test_official_glue_layouts(tmp_path):
  cola = _write(tmp_path, "cola.tsv", ["gj04\t1\t\tOur friends won't buy this.",
                                       "gj04\t0\t*\tThey drank the pub."])
  ex = glue.read_tsv_examples(glue.get_task("CoLA"), cola)      # headerless official CoLA
  assert [(e.text_a, e.label) for e in ex] == [("Our friends won't buy this.", "1"),
                                               ("They drank the pub.", "0")]
  mrpc = _write(tmp_path, "mrpc.tsv", ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String",
                                       "1\t702876\t702977\tAmrozi accused.\tReferring to him."])
  ex = glue.read_tsv_examples(glue.get_task("MRPC"), mrpc)
  assert (ex[0].text_a, ex[0].text_b, ex[0].label) == ("Amrozi accused.", "Referring to him.", "1")
  mnli_header = ("index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
                 "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label")
  mnli = _write(tmp_path, "dev_matched.tsv", [
      mnli_header, "0\t1\t1e\tgov\t(\t(\t(\t(\tThe cat sat.\tA cat sat.\tentailment\tentailment"])
  ex = glue.read_tsv_examples(glue.get_task("MNLI"), mnli)
  assert (ex[0].text_a, ex[0].text_b, ex[0].label) == ("The cat sat.", "A cat sat.", "entailment")
  qqp = _write(tmp_path, "qqp.tsv", ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate",
                                     "1\t2\t3\tHow?\tWhy?\t0"])
  assert glue.read_tsv_examples(glue.get_task("QQP"), qqp)[0].text_b == "Why?"
  for name, labels in (("QNLI", ("question", "sentence")), ("RTE", ("sentence1", "sentence2")),
                       ("WNLI", ("sentence1", "sentence2"))):
    task = glue.get_task(name)
    path = _write(tmp_path, f"{name}.tsv", [f"index\t{labels[0]}\t{labels[1]}\tlabel",
                                            f"0\tA \"quoted\tB\t{task.labels[0]}"])
    ex = glue.read_tsv_examples(task, path)
    assert ex[0].text_a == 'A "quoted' and ex[0].label == task.labels[0]   # no quote handling


def test_malformed_row_reports_file_and_line(tmp_path):
  task = glue.get_task("SST-2")
  path = _write(tmp_path, "train.tsv", ["sentence\tlabel", "good film\t1", "no label here",
                                        "bad film\t0"])
  with pytest.raises(glue.GlueDataError, match=r"train\.tsv:3: 1 fields, expected 2"):
    glue.read_tsv_examples(task, path)
  path = _write(tmp_path, "bad_label.tsv", ["sentence\tlabel", "good film\t1", "meh\tpositive"])
  with pytest.raises(glue.GlueDataError, match=r"bad_label\.tsv:3: label 'positive' is not one of 0, 1"):
    glue.read_tsv_examples(task, path)
  sts = glue.get_task("STS-B")
  header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
  path = _write(tmp_path, "sts.tsv", [header, "0\tg\tf\ty\to\ts\ts\tA.\tB.\tfive"])
  with pytest.raises(glue.GlueDataError, match=r"sts\.tsv:2: label 'five' is not a number"):
    glue.read_tsv_examples(sts, path)
  path = _write(tmp_path, "wrong_header.tsv", ["foo\tbar", "a\t1"])
  with pytest.raises(glue.GlueDataError, match=r"wrong_header\.tsv:1: header"):
    glue.read_tsv_examples(task, path)


def test_read_split_and_missing_file(tmp_path):
  task = glue.get_task("MNLI")
  with pytest.raises(glue.GlueDataError, match="dev_mismatched.tsv: no such file"):
    glue.read_split(task, str(tmp_path), "mismatched")
  with pytest.raises(glue.GlueDataError, match="--data_dir=.*nowhere: no such directory"):
    glue.read_split(task, str(tmp_path / "nowhere"), "mismatched")
  with pytest.raises(ValueError, match="splits: train, matched, mismatched"):
    glue.read_split(task, str(tmp_path), "dev")


# One small file per task in the layout GLUE distributes (train and dev share it).
_MNLI_HEADER = ("index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
                "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label")
_STSB_HEADER = ("index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\t"
                "sentence2\tscore")
GLUE_FILES = {
    "CoLA": ["gj04\t1\t\tOur friends won't buy this.", "gj04\t0\t*\tThey drank the pub."],
    "SST-2": ["sentence\tlabel", "a charming film\t1", "a dull film\t0"],
    "MRPC": ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String", "1\t7\t8\tAmrozi accused.\tHe did.",
             "0\t9\t10\tIt rained.\tIt was sunny."],
    "STS-B": [_STSB_HEADER, "0\tg\tf\t2012\t1\ts\ts\tA man.\tA man.\t5.000",
              "1\tg\tf\t2012\t2\ts\ts\tA cat.\tA dog.\t1.5"],
    "QQP": ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate", "1\t2\t3\tHow?\tWhy?\t0",
            "2\t4\t5\tWho?\tWho?\t1"],
    "MNLI": [_MNLI_HEADER, "0\t1\t1e\tgov\t(\t(\t(\t(\tThe cat sat.\tA cat sat.\tentailment\t"
             "entailment", "1\t2\t2n\tgov\t(\t(\t(\t(\tIt rains.\tIt is dry.\tcontradiction\t"
             "contradiction"],
    "QNLI": ["index\tquestion\tsentence\tlabel", "0\tWho?\tHe.\tentailment",
             "1\tWhen?\tBlue.\tnot_entailment"],
    "RTE": ["index\tsentence1\tsentence2\tlabel", "0\tA.\tB.\tentailment",
            "1\tC.\tD.\tnot_entailment"],
    "WNLI": ["index\tsentence1\tsentence2\tlabel", "0\tA.\tB.\t1", "1\tC.\tD.\t0"],
}


@pytest.mark.parametrize("name", sorted(GLUE_FILES))
@pytest.mark.parametrize("split", ["train", "dev"])
def test_bom_crlf_and_trailing_blank_lines_read_like_plain_files(tmp_path, name, split):
  # GLUE's MRPC files start with a UTF-8 BOM; Windows tools write CRLF; editors leave blank
  # lines at the end. None of them may change what is read.
  task = glue.get_task(name)
  plain = tmp_path / "plain"
  plain.mkdir()
  lines = GLUE_FILES[name]
  split, filename = ("train", task.train_file) if split == "train" else task.eval_files[0]
  (plain / filename).write_text("\n".join(lines) + "\n", encoding="utf-8")
  expected = glue.read_split(task, str(plain), split)
  assert len(expected) == 2
  real = tmp_path / "real"
  real.mkdir()
  (real / filename).write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n\r\n \r\n").encode())
  assert glue.read_split(task, str(real), split) == expected


def test_non_utf8_file_names_the_line(tmp_path):
  path = tmp_path / "train.tsv"
  path.write_bytes("sentence\tlabel\ngood\t1\nna\u00efve\t0\n".encode("latin-1"))
  with pytest.raises(glue.GlueDataError, match=r"train\.tsv:3: not UTF-8 text .*re-encode"):
    glue.read_tsv_examples(glue.get_task("SST-2"), str(path))


def test_file_without_data_rows_is_an_error(tmp_path):
  task = glue.get_task("SST-2")
  header_only = _write(tmp_path, "dev.tsv", ["sentence\tlabel", ""])
  with pytest.raises(glue.GlueDataError, match=r"dev\.tsv: no data rows after the header"):
    glue.read_tsv_examples(task, header_only, "dev")
  empty = tmp_path / "empty.tsv"
  empty.write_bytes(b"\xef\xbb\xbf\r\n")
  with pytest.raises(glue.GlueDataError, match=r"empty\.tsv:1: empty file"):
    glue.read_tsv_examples(task, str(empty))


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-Infinity"])
def test_non_finite_regression_label_names_the_line(tmp_path, raw):
  path = _write(tmp_path, "train.tsv", [_STSB_HEADER, "0\tg\tf\ty\to\ts\ts\tA.\tB.\t1.0",
                                        f"1\tg\tf\ty\to\ts\ts\tA.\tB.\t{raw}"])
  with pytest.raises(glue.GlueDataError, match=rf"train\.tsv:3: label '{raw}' is not a finite"):
    glue.read_tsv_examples(glue.get_task("STS-B"), path)


def test_glue_errors_are_one_line_user_errors(tmp_path):
  from albert_tf import errors  # pylint: disable=import-outside-toplevel
  with pytest.raises(errors.UserError) as e:
    glue.read_split(glue.get_task("RTE"), str(tmp_path / "missing"), "dev")
  assert errors.describe(e.value) == str(e.value) and "\n" not in str(e.value)

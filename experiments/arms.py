"""The paper-in-miniature matrix as a list of arms: data, pretraining, probes, fine-tuning.

Each arm is one command of the project's public CLIs (or `python -m experiments.probe`), run
in its own directory; `needs` names the arms whose outputs it reads. Claims (RESULTS.md):

  a  pretraining helps      finetune/{sop,random}/<task>
  b  Table 5 (SOP/NSP/none) pretrain/{sop,nsp,mlm_only} + probe/* + finetune/*
  c  Table 4 (sharing)      pretrain/{sop,share_attention,share_ffn,share_none} + …

Example:
    >>> from experiments.settings import MiniatureSettings
    >>> arms = build_arms(MiniatureSettings.quick(), "/tmp/m")
    >>> [a.name for a in arms][:3]
    ['text', 'data/train_sop', 'data/train_nsp']
    >>> sorted({a.kind for a in arms})
    ['data', 'finetune', 'pretrain', 'probe']
"""
import dataclasses
import json
import os
import sys
from typing import Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLUE_DIR = os.path.join(ROOT, "experiments", "data", "glue")

# Pretraining arms: name → (sentence objective, share_parameters, training data).
PRETRAIN_ARMS = {
    "sop": ("sop", "all", "train_sop"),
    "nsp": ("nsp", "all", "train_nsp"),
    "mlm_only": ("none", "all", "train_sop"),
    "share_attention": ("sop", "attention", "train_sop"),
    "share_ffn": ("sop", "ffn", "train_sop"),
    "share_none": ("sop", "none", "train_sop"),
}
# Encoders fine-tuned on every task: the pretraining arms + the same architecture untrained.
ENCODERS = ("random",) + tuple(PRETRAIN_ARMS)


@dataclasses.dataclass(frozen=True)
class Arm:
  name: str                    # also its directory under the matrix output_dir
  kind: str                    # data | pretrain | probe | finetune
  command: Tuple[str, ...]     # argv, run from the repository root
  needs: Tuple[str, ...] = ()


def _py(*args):
  return (sys.executable,) + args


def build_arms(settings, output_dir):
  """Every arm of the matrix, dependencies first."""
  s, out = settings, output_dir
  path = lambda *p: os.path.join(out, *p)  # noqa: E731
  arms = [Arm("text", "data", _py("-m", "experiments.corpus", f"--output_dir={path('text')}",
                                  f"--corpora={','.join(s.corpora)}",
                                  f"--heldout_every={s.heldout_every}",
                                  f"--max_documents={s.max_documents}"))]
  for split in ("train", "heldout"):
    for objective in ("sop", "nsp"):
      arms.append(Arm(
          f"data/{split}_{objective}", "data", _py(
              "-m", "data_prep.create_pretraining_data",
              f"--input_file={path('text', split + '.txt')}",
              f"--output_dir={path('data', f'{split}_{objective}')}",
              f"--max_seq_length={s.max_seq_length}",
              f"--max_predictions_per_seq={s.max_predictions_per_seq}",
              f"--dupe_factor={s.dupe_factor if split == 'train' else 1}",
              f"--random_next_sentence={objective == 'nsp'}",
              f"--num_output_shards={2 if split == 'train' else 1}", "--num_workers=2",
              f"--random_seed={12345 if split == 'train' else 54321}"), needs=("text",)))
  for name, (objective, share, data) in PRETRAIN_ARMS.items():
    arms.append(Arm(f"pretrain/{name}", "pretrain", _py(
        os.path.join(ROOT, "run_pretraining.py"),
        f"--albert_config_file={path('configs', share + '.json')}",
        f"--input_file={path('data', data, '*.tfrecord')}",
        f"--eval_input_file={path('data', 'heldout_' + objective_data(objective), '*.tfrecord')}",
        f"--output_dir={path('pretrain', name)}", f"--sentence_objective={objective}",
        f"--max_seq_length={s.max_seq_length}",
        f"--max_predictions_per_seq={s.max_predictions_per_seq}",
        f"--train_batch_size={s.pretrain_batch_size}", "--optimizer=lamb",
        f"--learning_rate={s.learning_rate}", f"--num_train_steps={s.pretrain_steps}",
        f"--num_warmup_steps={s.warmup_steps}", f"--eval_every_steps={s.eval_every_steps}",
        f"--iterations_per_loop={min(50, s.eval_every_steps)}",
        f"--save_checkpoints_steps={s.eval_every_steps}", "--do_eval",
        f"--eval_batch_size={s.eval_batch_size}", f"--max_eval_steps={s.max_eval_steps}",
        "--seed=12345"), needs=(f"data/{data}", f"data/heldout_{objective_data(objective)}")))
    arms.append(Arm(f"probe/{name}", "probe", _py(
        "-m", "experiments.probe", f"--checkpoint={path('pretrain', name)}",
        f"--data_dir={path('data')}", f"--output_file={path('probe', name, 'probe.json')}",
        f"--max_seq_length={s.max_seq_length}",
        f"--max_predictions_per_seq={s.max_predictions_per_seq}",
        f"--max_examples={s.probe_examples}"),
        # The probe scores every checkpoint on both pair types, train and held-out.
        needs=(f"pretrain/{name}",) + tuple(f"data/{split}_{pairs}" for split in (
            "train", "heldout") for pairs in ("sop", "nsp"))))
  for encoder in ENCODERS:
    source = ([f"--albert_config_file={path('configs', 'all.json')}"] if encoder == "random"
              else [f"--init_checkpoint={path('pretrain', encoder)}"])
    for task in s.tasks:
      arms.append(Arm(f"finetune/{encoder}/{task}", "finetune", _py(
          "-m", "albert_tf.finetune.run_classifier", f"--task={task}",
          f"--data_dir={os.path.join(GLUE_DIR, task)}",
          f"--output_dir={path('finetune', encoder, task)}", *source,
          f"--max_seq_length={s.finetune_seq_length}", f"--batch_size={s.finetune_batch_size}",
          f"--train_steps={s.finetune_steps}", f"--warmup_steps={s.finetune_warmup_steps}",
          f"--learning_rate={s.finetune_learning_rate}", "--albert_dropout=0",
          f"--max_train_examples={s.max_train_examples}", f"--seeds={s.seeds}", "--seed=0",
          f"--eval_every={s.finetune_steps}", "--log_every=0"),
          needs=() if encoder == "random" else (f"pretrain/{encoder}",)))
  return arms


def objective_data(objective):
  """Which held-out pairs an objective is evaluated on during pretraining."""
  return "nsp" if objective == "nsp" else "sop"


def write_model_configs(settings, output_dir):
  """configs/<share>.json: one albert_config.json per sharing mode (same E, H, L)."""
  os.makedirs(os.path.join(output_dir, "configs"), exist_ok=True)
  for share in ("all", "attention", "ffn", "none"):
    with open(os.path.join(output_dir, "configs", share + ".json"), "w") as f:
      json.dump(settings.model_config(share), f, indent=2, sort_keys=True)


def select(arms, patterns):
  """The arms matching any fnmatch pattern, plus everything they need (in matrix order)."""
  import fnmatch  # pylint: disable=import-outside-toplevel
  by_name = {a.name: a for a in arms}
  unknown = [p for p in patterns if not any(fnmatch.fnmatch(a.name, p) for a in arms)]
  if unknown:
    raise ValueError(f"--arms: {', '.join(unknown)} match no arm; arms are e.g. "
                     f"{', '.join(a.name for a in arms[:6])}, … (see --list_arms)")
  wanted = {a.name for a in arms if any(fnmatch.fnmatch(a.name, p) for p in patterns)}
  stack = list(wanted)
  while stack:
    for need in by_name[stack.pop()].needs:
      if need not in wanted:
        wanted.add(need)
        stack.append(need)
  return [a for a in arms if a.name in wanted]

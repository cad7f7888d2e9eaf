r"""The paper's claims in miniature, end to end on a CPU, resumable across sittings.

COMMAND (default matrix, about 2 h on 2 cores):
  python -m experiments.paper_in_miniature --output_dir=runs/miniature
COMMAND (a few minutes, what CI runs):
  python -m experiments.paper_in_miniature --output_dir=/tmp/mini --quick
COMMAND (some arms and what they need):  ... --arms='pretrain/sop,finetune/*/SST-2'

Arms (experiments/arms.py): corpus split → data_prep (SOP and NSP pairs, train and held-out)
→ six pretraining runs (run_pretraining.py: SOP, NSP, MLM only; share all/attention/ffn/none)
→ a probe of each (experiments/probe.py) → fine-tuning of each encoder and a random init on
SST-2, STS-B and CoLA with --seeds seeds (run_classifier). Each arm lives in
<output_dir>/<arm>/ and is skipped once finished (ARM_DONE.json), so an interrupted matrix
continues where it stopped. At the end: results.json, results.md, curves.png and
claim_{a,b,c}.png in output_dir (see experiments/report.py for what counts as reproduced).
"""
import dataclasses
import sys
import time

from absl import app
from absl import flags

from experiments import arms as arms_lib
from experiments import report
from experiments import runner
from experiments.settings import MiniatureSettings

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", None, "Where every arm's directory and the report go.")
flags.DEFINE_bool("quick", False, "Tiny settings: the whole matrix in minutes (tests, CI).")
flags.DEFINE_list("arms", ["*"], "fnmatch patterns of arms to run (their inputs are added).")
flags.DEFINE_bool("list_arms", False, "Print the arms and whether each is finished; run nothing.")
flags.DEFINE_integer("seeds", None, "Fine-tuning seeds per cell (default: settings).")
flags.DEFINE_integer("pretrain_steps", None, "Steps per pretraining arm (default: settings).")


def settings_from_flags():
  settings = MiniatureSettings.quick() if FLAGS.quick else MiniatureSettings()
  overrides = {k: getattr(FLAGS, k) for k in ("seeds", "pretrain_steps")
               if getattr(FLAGS, k) is not None}
  return dataclasses.replace(settings, **overrides)


def run(settings, output_dir, patterns=("*",)):
  """Runs the selected arms (skipping finished ones) and writes the report; returns it."""
  arms = arms_lib.select(arms_lib.build_arms(settings, output_dir), patterns)
  arms_lib.write_model_configs(settings, output_dir)
  scale = 0.05 if settings == MiniatureSettings.quick() else 1.0
  runner.run_all(arms, output_dir, estimate_scale=scale)
  header = (f"# Paper in miniature — {output_dir}\n\nMachine: {runner.machine()}; report "
            f"written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit "
            f"{runner.commit()}.\n")
  return report.write_report(output_dir, arms, settings, header)


def main(argv):
  del argv
  settings = settings_from_flags()
  if FLAGS.list_arms:
    for arm in arms_lib.build_arms(settings, FLAGS.output_dir):
      print(f"{'done ' if runner.is_done(FLAGS.output_dir, arm) else 'to do'}  {arm.name}")
    return
  try:
    res = run(settings, FLAGS.output_dir, FLAGS.arms)
  except ValueError as e:   # a bad --arms pattern: a usage error
    raise app.UsageError(str(e)) from None
  except runner.ArmFailed as e:   # the arm's log says why; no usage text, no traceback
    sys.exit(f"albert-paper-in-miniature: error: {e}")
  print(f"report: {FLAGS.output_dir}/results.md, results.json, {', '.join(res['plots'])}")


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  flags.mark_flags_as_required(["output_dir"])
  app.run(main)


if __name__ == "__main__":
  cli_main()

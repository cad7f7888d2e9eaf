"""Fine-tuning task types: one file each, one line each in TASK_TYPES (interface: base.py).

A run config's `task_type` (a base.RunConfig class attribute) names its entry; `make(config)`
builds the Task that albert_tf.finetune.runner runs.
"""
from albert_tf.finetune.tasks import glue_task, race_task, squad_task

TASK_TYPES = {
    "glue": glue_task.GlueTask,
    "squad": squad_task.SquadTask,
    "race": race_task.RaceTask,
}


def make(config):
  """The Task of a run config (glue_task.GlueConfig → GlueTask, ...)."""
  if config.task_type not in TASK_TYPES:
    raise ValueError(f"{type(config).__name__}.task_type={config.task_type!r} is not a "
                     f"registered task type ({', '.join(TASK_TYPES)})")
  return TASK_TYPES[config.task_type](config)

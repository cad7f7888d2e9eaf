"""HF-side helpers for the parity tests (torch imported here, only by the HF tests)."""
import numpy as np
import torch
import transformers

from albert_tf.checkpoints import hf


def hf_model(config, pretraining=True, state_dict=None):
  """An HF AlbertForPreTraining / AlbertModel (eval mode) built from our config, no download."""
  hf_config = transformers.AlbertConfig(**hf.hf_config_dict(config))
  cls = transformers.AlbertForPreTraining if pretraining else transformers.AlbertModel
  model = cls(hf_config).eval()
  if state_dict is not None:
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state_dict.items()},
                          strict=True)
  return model


def hf_outputs(model, inputs):
  """{sequence_output, pooled_output[, mlm_logits at the masked positions, sop_logits]}."""
  kwargs = {"input_ids": torch.from_numpy(inputs["input_word_ids"]).long(),
            "attention_mask": torch.from_numpy(inputs["input_mask"]).long(),
            "token_type_ids": torch.from_numpy(inputs["input_type_ids"]).long()}
  with torch.no_grad():
    if isinstance(model, transformers.AlbertForPreTraining):
      base = model.albert(**kwargs)
      out = model(**kwargs)
      positions = inputs["masked_lm_positions"]
      return {"sequence_output": base.last_hidden_state.numpy(),
              "pooled_output": base.pooler_output.numpy(),
              "mlm_logits": np.take_along_axis(out.prediction_logits.numpy(),
                                               positions[:, :, None], axis=1),
              "sop_logits": out.sop_logits.numpy()}
    base = model(**kwargs)
    return {"sequence_output": base.last_hidden_state.numpy(),
            "pooled_output": base.pooler_output.numpy()}

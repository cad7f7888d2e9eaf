"""The reference side of test_training_dynamics: HF `AlbertForPreTraining` (torch, CPU) trained
by hand with the official ALBERT loss and AdamW, gradients from torch autograd.

Nothing here calls albert_tf: the loss, the schedule and the update are written out again
from the official google-research/ALBERT code (run_pretraining.py, optimization.py):

  loss      Σ w·NLL / (Σ w + 1e-5)  +  mean SOP NLL                    (one batch)
  clip      g ← g · 1.0 · min(1/‖g‖_global, 1/1.0)                      (tf.clip_by_global_norm)
  lr(s)     init · s / warmup  if s < warmup,  else init · (1 − min(s, N)/N)^power
            s = updates already applied (the first update uses lr(0) = 0, as in TF)
  AdamW     m ← β1·m + (1−β1)·g ;  v ← β2·v + (1−β2)·g²                (no bias correction)
            w ← w − lr · (m / (√v + ε) + wd·w)   (wd only if no "LayerNorm", "layer_norm",
                                                  "bias" in the name)

Example:
    >>> import torch
    >>> p = torch.nn.Parameter(torch.ones(2))
    >>> opt = OfficialAdamW({"w": p}, 1e-3, num_train_steps=10, num_warmup_steps=2)
    >>> [opt.learning_rate(s) for s in (0, 1, 2, 10)]
    [0.0, 0.0005, 0.0008, 0.0]
"""
import re

import numpy as np
import torch
import torch.nn.functional as F
import transformers

# google-research/ALBERT optimization.py, AdamWeightDecayOptimizer(exclude_from_weight_decay=)
EXCLUDE_FROM_WEIGHT_DECAY = ("LayerNorm", "layer_norm", "bias")


def load_model(hf_dir):
  """AlbertForPreTraining from a converted HF directory; eval mode (no dropout), eager
  attention (the plain softmax(QKᵀ/√d + mask)·V, no fused kernel)."""
  model = transformers.AlbertForPreTraining.from_pretrained(
      hf_dir, attn_implementation="eager").eval()
  tied = model.predictions.decoder
  assert tied.weight is model.albert.embeddings.word_embeddings.weight, "decoder not tied"
  assert tied.bias is model.predictions.bias, "decoder bias not tied"
  return model


def to_torch(batch):
  """A numpy / tf batch (input_pipeline names) → {name: torch tensor}."""
  return {k: torch.from_numpy(np.asarray(v)) for k, v in batch.items()}


def pretraining_loss(model, batch):
  """The official loss of one batch (input_pipeline names); returns a scalar tensor."""
  out = model.albert(input_ids=batch["input_word_ids"].long(),
                     attention_mask=batch["input_mask"].long(),
                     token_type_ids=batch["input_type_ids"].long())
  sequence = out.last_hidden_state  # [B, T, H]
  positions = batch["masked_lm_positions"].long()  # [B, P]
  gathered = torch.gather(sequence, 1, positions[:, :, None].expand(-1, -1, sequence.shape[-1]))
  log_probs = F.log_softmax(model.predictions(gathered), dim=-1)  # [B, P, V]
  nll = -torch.gather(log_probs, 2, batch["masked_lm_ids"].long()[:, :, None])[:, :, 0]
  weights = batch["masked_lm_weights"].float()
  mlm = (nll * weights).sum() / (weights.sum() + 1e-5)
  sop = F.cross_entropy(model.sop_classifier(out.pooler_output),
                        batch["sentence_order_label"].long().reshape(-1))
  return mlm + sop


class OfficialAdamW:
  """AdamWeightDecayOptimizer + the warmup/poly-decay schedule + global-norm clipping."""

  def __init__(self, named_parameters, learning_rate, num_train_steps, num_warmup_steps,
               poly_power=1.0, weight_decay_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-6,
               clip_norm=1.0):
    self.params = dict(named_parameters)
    self.init_lr, self.num_train_steps = learning_rate, num_train_steps
    self.num_warmup_steps, self.poly_power = num_warmup_steps, poly_power
    self.wd, self.beta_1, self.beta_2 = weight_decay_rate, beta_1, beta_2
    self.epsilon, self.clip_norm = epsilon, clip_norm
    self.decayed = {n for n in self.params
                    if not any(re.search(p, n) for p in EXCLUDE_FROM_WEIGHT_DECAY)}
    self.m = {n: torch.zeros_like(p) for n, p in self.params.items()}
    self.v = {n: torch.zeros_like(p) for n, p in self.params.items()}
    self.updates = 0

  def learning_rate(self, step):
    if step < self.num_warmup_steps:
      return self.init_lr * step / self.num_warmup_steps
    return self.init_lr * (1.0 - min(step, self.num_train_steps) / self.num_train_steps) ** (
        self.poly_power)

  @torch.no_grad()
  def step(self):
    """Applies one update from the parameters' .grad (then zeroes them); returns ‖g‖."""
    grads = {n: p.grad if p.grad is not None else torch.zeros_like(p)
             for n, p in self.params.items()}
    norm = torch.sqrt(sum(torch.sum(g * g) for g in grads.values()))
    scale = self.clip_norm * torch.minimum(1.0 / norm, torch.tensor(1.0 / self.clip_norm))
    lr = self.learning_rate(self.updates)
    for n, p in self.params.items():
      g = grads[n] * scale
      self.m[n].mul_(self.beta_1).add_((1 - self.beta_1) * g)
      self.v[n].mul_(self.beta_2).add_((1 - self.beta_2) * g * g)
      update = self.m[n] / (torch.sqrt(self.v[n]) + self.epsilon)
      if n in self.decayed:
        update = update + self.wd * p
      p.sub_(lr * update)
      p.grad = None
    self.updates += 1
    return float(norm)


def train(model, batches, optimizer):
  """One optimizer step per batch; returns the loss of each step (before its update)."""
  losses = []
  for batch in batches:
    loss = pretraining_loss(model, to_torch(batch))
    loss.backward()
    optimizer.step()
    losses.append(float(loss.detach()))
  return losses

"""Collects the arms' outputs into results.json, results.md and PNG plots, claim by claim.

Fine-tuning scores are each seed's LAST dev evaluation (end of the fixed budget), not the
best one seen, so no arm gains from checkpoint selection on dev. Downstream average = mean
over tasks of the per-task mean primary metric (SST-2 accuracy, STS-B Pearson, CoLA MCC).

What counts as the paper's direction (stated so a reader can disagree):
  a  pretrained mean > random mean on a task, with one-sided Welch t-test p < 0.05
  b  NSP-trained head on SOP pairs within 0.05 of the majority rate ("near chance") and
     SOP-trained head on NSP pairs ≥ majority + 0.05 ("well above chance")
  c  all-shared has the fewest parameters; sharing everything costs accuracy vs sharing
     nothing; sharing the FFN costs more than sharing attention (MLM accuracy and downstream)

Example:
    >>> round(welch([0.8, 0.82, 0.81], [0.7, 0.72, 0.71])["p_one_sided"], 6) < 0.001
    True
"""
import json
import math
import os

PRIMARY = {"SST-2": "accuracy", "STS-B": "pearson", "CoLA": "mcc"}


def _read_json(path):
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def _read_history(path):
  if not os.path.exists(path):
    return []
  rows = {}
  with open(path) as f:
    for line in f:
      if line.strip():
        r = json.loads(line)
        rows[(r["kind"], r["step"])] = r
  return sorted(rows.values(), key=lambda r: (r["kind"], r["step"]))


def _read_eval_results(path):
  if not os.path.exists(path):
    return None
  out = {}
  with open(path) as f:
    for line in f:
      key, _, value = line.partition(" = ")
      try:
        out[key.strip()] = float(value)
      except ValueError:
        pass
  return out


def mean_std(values):
  n = len(values)
  mean = sum(values) / n
  std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
  return mean, std


def welch(a, b):
  """Welch's t-test of mean(a) > mean(b): t, dof, one-sided p (scipy's t distribution)."""
  from scipy import stats  # pylint: disable=import-outside-toplevel
  result = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
  return {"t": float(result.statistic), "p_one_sided": float(result.pvalue),
          "dof": float(result.df)}


def collect(output_dir, arms):
  """The results.json dict from whatever arms have finished."""
  from experiments.arms import PRETRAIN_ARMS  # pylint: disable=import-outside-toplevel
  names = {a.name for a in arms}
  out = {"pretrain": {}, "probe": {}, "finetune": {}}
  for arm in PRETRAIN_ARMS:
    folder = os.path.join(output_dir, "pretrain", arm)
    history = _read_history(os.path.join(folder, "metrics.jsonl"))
    if f"pretrain/{arm}" in names and history:
      out["pretrain"][arm] = {
          "final_eval": _read_eval_results(os.path.join(folder, "eval_results.txt")),
          "eval_curve": [r for r in history if r["kind"] == "eval"],
          "train_curve": [r for r in history if r["kind"] == "train"]}
    probe = _read_json(os.path.join(output_dir, "probe", arm, "probe.json"))
    if probe:
      out["probe"][arm] = probe
  finetune_root = os.path.join(output_dir, "finetune")
  for encoder in sorted(os.listdir(finetune_root)) if os.path.isdir(finetune_root) else []:
    for task in sorted(os.listdir(os.path.join(finetune_root, encoder))):
      results = _read_json(os.path.join(finetune_root, encoder, task, "results.json"))
      if not results:
        continue
      metric = PRIMARY.get(task, results.get("primary_metric"))
      values = [r["last"][metric] for r in results["per_seed"]]
      mean, std = mean_std(values)
      out["finetune"].setdefault(encoder, {})[task] = {
          "metric": metric, "values": values, "mean": mean, "std": std,
          "seeds": [r["seed"] for r in results["per_seed"]]}
  out["claims"] = claims(out)
  return out


def _downstream(finetune, encoder):
  tasks = finetune.get(encoder, {})
  return sum(t["mean"] for t in tasks.values()) / len(tasks) if tasks else None


def claims(res):
  ft, probe = res["finetune"], res["probe"]
  a = {}
  for task in sorted(set(ft.get("sop", {})) & set(ft.get("random", {}))):
    p, r = ft["sop"][task], ft["random"][task]
    test = welch(p["values"], r["values"]) if len(p["values"]) > 1 else None
    a[task] = {"pretrained": p["mean"], "pretrained_std": p["std"], "random": r["mean"],
               "random_std": r["std"], "welch": test,
               "reproduced": bool(test and p["mean"] > r["mean"] and test["p_one_sided"] < 0.05)}
  b = {"arms": {}}
  for arm in ("sop", "nsp", "mlm_only"):
    if arm in probe:
      b["arms"][arm] = {"mlm_accuracy": probe[arm]["mlm_accuracy"],
                        "head": probe[arm]["head"], "linear": probe[arm]["linear"],
                        "downstream": _downstream(ft, arm)}
  if "sop" in probe and "nsp" in probe:
    maj = probe["sop"]["majority"]
    nsp_on_sop = probe["nsp"]["head"]["sop"]
    sop_on_nsp = probe["sop"]["head"]["nsp"]
    b["majority"] = maj
    b["nsp_head_on_sop_near_chance"] = abs(nsp_on_sop - maj["sop"]) <= 0.05
    b["sop_head_on_nsp_above_chance"] = sop_on_nsp >= maj["nsp"] + 0.05
    b["reproduced"] = b["nsp_head_on_sop_near_chance"] and b["sop_head_on_nsp_above_chance"]
  c = {"arms": {}}
  share_arms = {"all": "sop", "attention": "share_attention", "ffn": "share_ffn",
                "none": "share_none"}
  for mode, arm in share_arms.items():
    if arm in probe:
      c["arms"][mode] = {"parameters": probe[arm]["parameters"],
                         "mlm_accuracy": probe[arm]["mlm_accuracy"],
                         "downstream": _downstream(ft, arm)}
  if len(c["arms"]) == 4:
    arms = c["arms"]
    c["all_fewest_parameters"] = min(arms, key=lambda m: arms[m]["parameters"]) == "all"
    for key in ("mlm_accuracy", "downstream"):
      if all(arms[m][key] is not None for m in arms):
        c[f"sharing_all_costs_{key}"] = arms["all"][key] < arms["none"][key]
        c[f"ffn_costs_more_than_attention_{key}"] = arms["ffn"][key] < arms["attention"][key]
  return {"a": a, "b": b, "c": c}


def _pct(x):
  return "–" if x is None else f"{100 * x:.1f}"


def markdown(res, header=""):
  """results.md: one table per claim, plus the pretraining arms' final held-out numbers."""
  lines = [header, "## Pretraining arms (held-out, end of training)", "",
           "| arm | MLM acc | sentence acc | unigram baseline | majority | params |",
           "|---|---:|---:|---:|---:|---:|"]
  for arm, r in res["pretrain"].items():
    ev = r["final_eval"] or {}
    params = res["probe"].get(arm, {}).get("parameters")
    lines.append(f"| {arm} | {_pct(ev.get('masked_lm_accuracy'))} | "
                 f"{_pct(ev.get('sentence_order_accuracy'))} | "
                 f"{_pct(ev.get('unigram_baseline_accuracy'))} | "
                 f"{_pct(ev.get('sop_majority_accuracy'))} | {params or '–'} |")
  a = res["claims"]["a"]
  lines += ["", "## a. Pretraining helps (mean ± std over seeds, last dev eval)", "",
            "| task | metric | pretrained | random init | Welch t | p (one-sided) | direction |",
            "|---|---|---:|---:|---:|---:|---|"]
  for task, r in a.items():
    w = r["welch"] or {}
    lines.append(
        f"| {task} | {PRIMARY.get(task, '')} | {_pct(r['pretrained'])} ± "
        f"{_pct(r['pretrained_std'])} | {_pct(r['random'])} ± {_pct(r['random_std'])} | "
        f"{w.get('t', float('nan')):.2f} | {w.get('p_one_sided', float('nan')):.2g} | "
        f"{'reproduced' if r['reproduced'] else 'not reproduced'} |")
  b = res["claims"]["b"]
  lines += ["", "## b. Sentence objective (paper Table 5)", "",
            "| trained with | MLM acc | head on SOP | head on NSP | linear probe SOP | "
            "linear probe NSP | downstream avg |", "|---|---:|---:|---:|---:|---:|---:|"]
  for arm, r in b["arms"].items():
    lines.append(f"| {arm} | {_pct(r['mlm_accuracy'])} | {_pct(r['head']['sop'])} | "
                 f"{_pct(r['head']['nsp'])} | {_pct(r['linear']['sop'])} | "
                 f"{_pct(r['linear']['nsp'])} | {_pct(r['downstream'])} |")
  if "majority" in b:
    lines.append(f"\nMajority rate: SOP {_pct(b['majority']['sop'])}, NSP "
                 f"{_pct(b['majority']['nsp'])}. NSP head near chance on SOP: "
                 f"{b['nsp_head_on_sop_near_chance']}; SOP head above chance on NSP: "
                 f"{b['sop_head_on_nsp_above_chance']} → direction "
                 f"{'reproduced' if b['reproduced'] else 'not reproduced'}.")
  c = res["claims"]["c"]
  lines += ["", "## c. What to share (paper Table 4)", "",
            "| share_parameters | encoder params | MLM acc | downstream avg |",
            "|---|---:|---:|---:|"]
  for mode, r in c["arms"].items():
    lines.append(f"| {mode} | {r['parameters']:,} | {_pct(r['mlm_accuracy'])} | "
                 f"{_pct(r['downstream'])} |")
  checks = {k: v for k, v in c.items() if k != "arms"}
  if checks:
    lines.append("\n" + "; ".join(f"{k}: {v}" for k, v in checks.items()) + ".")
  return "\n".join(lines) + "\n"


def _pyplot():
  import matplotlib  # pylint: disable=import-outside-toplevel
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
  return plt


def plot_curves(res, path):
  """Train MLM loss, held-out MLM accuracy and held-out sentence-pair accuracy per arm."""
  plt = _pyplot()
  fig, axes = plt.subplots(1, 3, figsize=(15, 4))
  for arm, r in res["pretrain"].items():
    ev, tr = r["eval_curve"], r["train_curve"]
    if tr:
      axes[0].plot([x["step"] for x in tr], [x["masked_lm_loss"] for x in tr], label=arm)
    if ev:
      axes[1].plot([x["step"] for x in ev], [x["masked_lm_accuracy"] for x in ev], "o-",
                   label=arm)
      if "sentence_order_accuracy" in ev[0]:
        axes[2].plot([x["step"] for x in ev], [x["sentence_order_accuracy"] for x in ev],
                     "o-", label=arm)
  for ax, title in zip(axes, ("train MLM loss", "held-out MLM accuracy",
                              "held-out sentence-pair accuracy (own objective)")):
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  return _save(fig, plt, path)


def _grouped_bars(path, title, groups, series, errors=None, ylim=None, hline=None):
  """One bar chart: groups on x, one bar per series name ({name: [value per group]})."""
  plt = _pyplot()
  fig, ax = plt.subplots(figsize=(7, 4))
  width = 0.8 / len(series)
  for i, (name, values) in enumerate(series.items()):
    xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
    ax.bar(xs, values, width, yerr=(errors or {}).get(name), label=name, capsize=3)
  if hline:
    ax.axhline(hline[1], color="gray", ls="--", lw=1, label=hline[0])
  ax.set_xticks(list(range(len(groups))), groups)
  if ylim:
    ax.set_ylim(*ylim)
  ax.set_title(title)
  ax.legend(fontsize=8)
  return _save(fig, plt, path)


def plots(res, output_dir):
  """curves.png and, for the claims with numbers, claim_{a,b,c}.png; returns the paths."""
  out = lambda name: os.path.join(output_dir, name)  # noqa: E731
  paths = [plot_curves(res, out("curves.png"))]
  a, b, c = res["claims"]["a"], res["claims"]["b"], res["claims"]["c"]
  if a:
    tasks = list(a)
    paths.append(_grouped_bars(
        out("claim_a.png"), "a. pretrained vs random init (mean ± std over seeds)",
        [f"{t}\n({PRIMARY.get(t, '')})" for t in tasks],
        {"pretrained": [a[t]["pretrained"] for t in tasks],
         "random init": [a[t]["random"] for t in tasks]},
        errors={"pretrained": [a[t]["pretrained_std"] for t in tasks],
                "random init": [a[t]["random_std"] for t in tasks]}))
  if b["arms"]:
    arms = list(b["arms"])
    paths.append(_grouped_bars(
        out("claim_b.png"), "b. sentence head accuracy by training objective", arms,
        {f"head on {p.upper()} pairs": [b["arms"][m]["head"][p] for m in arms]
         for p in ("sop", "nsp")}, ylim=(0.0, 1.0),
        hline=("majority (SOP)", b["majority"]["sop"]) if "majority" in b else None))
  if c["arms"]:
    modes = list(c["arms"])
    paths.append(_grouped_bars(
        out("claim_c.png"), "c. held-out MLM accuracy by share_parameters",
        [f"{m}\n{c['arms'][m]['parameters'] / 1e6:.2f}M params" for m in modes],
        {"MLM accuracy": [c["arms"][m]["mlm_accuracy"] for m in modes]}))
  return paths


def _save(fig, plt, path):
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path


def write_report(output_dir, arms, settings, header=""):
  """Writes results.json, results.md and the plots; returns the results dict."""
  import dataclasses  # pylint: disable=import-outside-toplevel
  res = collect(output_dir, arms)
  res["settings"] = dataclasses.asdict(settings)
  with open(os.path.join(output_dir, "results.json"), "w") as f:
    json.dump(res, f, indent=2)
  with open(os.path.join(output_dir, "results.md"), "w") as f:
    f.write(markdown(res, header))
  res["plots"] = plots(res, output_dir)
  return res

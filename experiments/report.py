"""Collects the arms' outputs into results.json, results.md and PNG plots, claim by claim.

Fine-tuning scores are each seed's LAST dev evaluation (end of the fixed budget), not the
best one seen, so no arm gains from checkpoint selection on dev. Downstream average = mean
over tasks of the per-task mean primary metric (SST-2 accuracy, STS-B Pearson, CoLA MCC).

What counts as the paper's direction (stated so a reader can disagree; the paper's own
numbers are in docs/albert_reference.md §10):
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


def binomial_se(p, n):
  """Standard error of an accuracy p over n independent examples; None when n is unknown.

  Masked tokens of one sequence are not independent, so for MLM accuracy this understates
  the error somewhat; it is still the right order (≈ 0.004 for 0.15 over 10k tokens).
  """
  return math.sqrt(p * (1 - p) / n) if n and p is not None else None


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
  heldout_stats = _read_json(os.path.join(output_dir, "data", "heldout_sop", "stats.json"))
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
      # Masked tokens scored by the probe's MLM accuracy: held-out pairs × masks per pair.
      pairs = probe.get("num_examples", {}).get("sop", {}).get("heldout")
      if heldout_stats and pairs:
        probe["mlm_tokens_estimate"] = round(pairs * heldout_stats["masked_per_instance"])
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


def _downstream_spread(finetune, encoder):
  """(std, standard error) over seeds of the per-seed task average (seed i of every task
  averaged); (None, None) unless every task has the same ≥ 2 seeds."""
  tasks = list(finetune.get(encoder, {}).values())
  if not tasks or len({len(t["values"]) for t in tasks}) != 1 or len(tasks[0]["values"]) < 2:
    return None, None
  per_seed = [sum(vs) / len(vs) for vs in zip(*(t["values"] for t in tasks))]
  std = mean_std(per_seed)[1]
  return std, std / math.sqrt(len(per_seed))


def _z(better, better_err, worse, worse_err):
  """(better − worse) / combined standard error; None when an error is unknown or both 0."""
  if better_err is None or worse_err is None or better_err == worse_err == 0:
    return None
  return (better - worse) / math.sqrt(better_err ** 2 + worse_err ** 2)


def _head_se(probe, kind):
  """{pairs: binomial SE} of a probe's head or linear accuracies (None without counts)."""
  counts = probe.get("num_examples", {})
  return {p: binomial_se(acc, counts.get(p, {}).get("heldout"))
          for p, acc in probe[kind].items()}


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
                        "head": probe[arm]["head"], "head_se": _head_se(probe[arm], "head"),
                        "linear": probe[arm]["linear"],
                        "linear_se": _head_se(probe[arm], "linear"),
                        "downstream": _downstream(ft, arm),
                        "downstream_std": _downstream_spread(ft, arm)[0]}
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
      mlm = probe[arm]["mlm_accuracy"]
      c["arms"][mode] = {"parameters": probe[arm]["parameters"], "mlm_accuracy": mlm,
                         "mlm_se": binomial_se(mlm, probe[arm].get("mlm_tokens_estimate")),
                         "downstream": _downstream(ft, arm),
                         "downstream_std": _downstream_spread(ft, arm)[0],
                         "downstream_se": _downstream_spread(ft, arm)[1]}
  if len(c["arms"]) == 4:
    arms = c["arms"]
    c["all_fewest_parameters"] = min(arms, key=lambda m: arms[m]["parameters"]) == "all"
    # Each comparison with its z (difference / combined SE; the downstream SE is the seed std
    # / √seeds): |z| < 2 is within noise, whichever way the difference points.
    err = {"mlm_accuracy": "mlm_se", "downstream": "downstream_se"}
    for key in ("mlm_accuracy", "downstream"):
      if all(arms[m][key] is not None for m in arms):
        for name, better, worse in (("sharing_all_costs", "none", "all"),
                                    ("ffn_costs_more_than_attention", "attention", "ffn")):
          c[f"{name}_{key}"] = arms[worse][key] < arms[better][key]
          c[f"{name}_{key}_z"] = _z(arms[better][key], arms[better][err[key]],
                                    arms[worse][key], arms[worse][err[key]])
  return {"a": a, "b": b, "c": c}


def _pct(x):
  return "–" if x is None else f"{100 * x:.1f}"


def _pm(x, err):
  """'81.2 ± 1.3' in percent, or just the value when the error is unknown."""
  return _pct(x) if err is None or x is None else f"{_pct(x)} ± {_pct(err)}"


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
            "Accuracies ± binomial standard error on the held-out pairs; downstream ± std "
            "over seeds of the per-seed task average.", "",
            "| trained with | MLM acc | head on SOP | head on NSP | linear probe SOP | "
            "linear probe NSP | downstream avg |", "|---|---:|---:|---:|---:|---:|---:|"]
  for arm, r in b["arms"].items():
    se = lambda kind, p: r.get(f"{kind}_se", {}).get(p)  # noqa: E731
    lines.append(f"| {arm} | {_pct(r['mlm_accuracy'])} | "
                 + " | ".join(_pm(r[kind][p], se(kind, p)) for kind in ("head", "linear")
                              for p in ("sop", "nsp"))
                 + f" | {_pm(r['downstream'], r.get('downstream_std'))} |")
  if "majority" in b:
    lines.append(f"\nMajority rate: SOP {_pct(b['majority']['sop'])}, NSP "
                 f"{_pct(b['majority']['nsp'])}. NSP head near chance on SOP: "
                 f"{b['nsp_head_on_sop_near_chance']}; SOP head above chance on NSP: "
                 f"{b['sop_head_on_nsp_above_chance']} → direction "
                 f"{'reproduced' if b['reproduced'] else 'not reproduced'}.")
  c = res["claims"]["c"]
  lines += ["", "## c. What to share (paper Table 4)", "",
            "MLM accuracy ± binomial standard error over the held-out masked tokens; "
            "downstream ± std over seeds of the per-seed task average.", "",
            "| share_parameters | encoder params | MLM acc | downstream avg |",
            "|---|---:|---:|---:|"]
  for mode, r in c["arms"].items():
    lines.append(f"| {mode} | {r['parameters']:,} | {_pm(r['mlm_accuracy'], r.get('mlm_se'))}"
                 f" | {_pm(r['downstream'], r.get('downstream_std'))} |")
  checks = [f"{k}: {v}" + ("" if c.get(f"{k}_z") is None else
                            f" (z = {c[k + '_z']:.1f}{', within noise' if abs(c[k + '_z']) < 2 else ''})")
            for k, v in c.items() if k != "arms" and not k.endswith("_z")]
  if checks:
    lines.append("\n" + "; ".join(checks) + ".")
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
  for i, (arm, r) in enumerate(res["pretrain"].items()):
    ev, tr, color = r["eval_curve"], r["train_curve"], f"C{i}"   # one colour per arm
    if tr:
      axes[0].plot([x["step"] for x in tr], [x["masked_lm_loss"] for x in tr], label=arm,
                   color=color)
    if ev:
      axes[1].plot([x["step"] for x in ev], [x["masked_lm_accuracy"] for x in ev], "o-",
                   label=arm, color=color)
      if "sentence_order_accuracy" in ev[0]:
        axes[2].plot([x["step"] for x in ev], [x["sentence_order_accuracy"] for x in ev],
                     "o-", label=arm, color=color)
  for ax, title in zip(axes, ("train MLM loss", "held-out MLM accuracy (nsp: on NSP pairs)",
                              "held-out sentence-pair accuracy (own objective)")):
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
  return _save(fig, plt, path)


def _grouped_bars(path, groups, panels):
  """Bar charts side by side: groups on x, one bar per series ({name: [value per group]}).

  Each panel: {"title", "series", optional "errors" ({name: [err or None per group]}),
  "ylim", "hline" ((label, y))}.
  """
  plt = _pyplot()
  fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4), squeeze=False)
  for ax, panel in zip(axes[0], panels):
    series = panel["series"]
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
      xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
      err = panel.get("errors", {}).get(name)
      if err is not None:   # an unknown error gets no bar, the others keep theirs
        err = None if all(e is None for e in err) else [e or 0.0 for e in err]
      ax.bar(xs, [float("nan") if v is None else v for v in values], width, yerr=err,
             label=name, capsize=3)
    if panel.get("hline"):
      ax.axhline(panel["hline"][1], color="gray", ls="--", lw=1, label=panel["hline"][0])
    ax.set_xticks(list(range(len(groups))), groups)
    if panel.get("ylim"):
      ax.set_ylim(*panel["ylim"])
    ax.set_title(panel["title"])
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
        out("claim_a.png"), [f"{t}\n({PRIMARY.get(t, '')})" for t in tasks],
        [{"title": "a. pretrained vs random init (mean ± std over seeds)",
          "series": {"pretrained": [a[t]["pretrained"] for t in tasks],
                     "random init": [a[t]["random"] for t in tasks]},
          "errors": {"pretrained": [a[t]["pretrained_std"] for t in tasks],
                     "random init": [a[t]["random_std"] for t in tasks]}}]))
  if b["arms"]:
    arms = list(b["arms"])
    hline = ("majority (SOP)", b["majority"]["sop"]) if "majority" in b else None
    paths.append(_grouped_bars(out("claim_b.png"), arms, [
        {"title": f"b. {kind} accuracy on held-out pairs by training objective (± SE)",
         "series": {f"on {p.upper()} pairs": [b["arms"][m][kind][p] for m in arms]
                    for p in ("sop", "nsp")},
         "errors": {f"on {p.upper()} pairs": [b["arms"][m][f"{kind}_se"][p] for m in arms]
                    for p in ("sop", "nsp")}, "ylim": (0.0, 1.0), "hline": hline}
        for kind in ("head", "linear")]))
  if c["arms"]:
    modes = list(c["arms"])
    paths.append(_grouped_bars(
        out("claim_c.png"),
        [f"{m}\n{c['arms'][m]['parameters'] / 1e6:.2f}M params" for m in modes],
        [{"title": "c. held-out MLM accuracy by share_parameters (± SE)",
          "series": {"MLM accuracy": [c["arms"][m]["mlm_accuracy"] for m in modes]},
          "errors": {"MLM accuracy": [c["arms"][m]["mlm_se"] for m in modes]}},
         {"title": "c. downstream average (± std over seeds)",
          "series": {"downstream avg": [c["arms"][m]["downstream"] for m in modes]},
          "errors": {"downstream avg": [c["arms"][m]["downstream_std"] for m in modes]}}]))
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

#!/usr/bin/env bash
# The main job, end to end on one CPU machine (about 10 minutes on 2 cores):
#   1. set up .venv with the pinned requirements (once)
#   2. split the shipped corpora (albert_tf/assets: 10 public-domain novels, Wikipedia articles,
#      news stories) by whole documents: every 25th document is held out for evaluation
#   3. data_prep with the official 30k-clean SentencePiece vocab: SOP pairs + n-gram masks
#   4. pretrain a small ALBERT (E=64, H=128, 4 shared layers) from scratch on CPU: a shortened
#      form of the CPU recipe (experiments/results/recipe_search, r2): seq 64, batch 128, LAMB
#      1e-2 with 100 warmup steps, 600 steps; held-out evaluation every 200 steps, beside
#      input-blind baselines (unigram for MLM, majority label for SOP)
#   5. export: TF Hub encoder (+ .mlm) and preprocessor, and a TF Serving model (raw text in)
#   6. print where everything is
#
#   bash demo.sh              # outputs under ./runs/demo
#   bash demo.sh /tmp/demo    # elsewhere; DEMO_STEPS=100 bash demo.sh for a quick look
# Rerunning resumes: finished data shards are kept, training restarts from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt

OUT="${1:-runs/demo}"
STEPS="${DEMO_STEPS:-600}"
SEQ=64
PREDS=10
mkdir -p "$OUT"
START=$(date +%s)

echo "[1/5] splitting the shipped corpora: every 25th document held out"
python -m experiments.corpus --output_dir="$OUT/text" \
    --corpora=books.txt.gz,wiki.txt.gz,news.txt.gz --heldout_every=25

echo "[2/5] data_prep (official 30k vocab, SOP + n-gram masking, seq $SEQ)"
python -m data_prep.create_pretraining_data --input_file="$OUT/text/train.txt" \
    --output_dir="$OUT/data/train" --max_seq_length=$SEQ --max_predictions_per_seq=$PREDS \
    --dupe_factor=5 --num_output_shards=4 --num_workers=2 --random_seed=12345
python -m data_prep.create_pretraining_data --input_file="$OUT/text/heldout.txt" \
    --output_dir="$OUT/data/heldout" --max_seq_length=$SEQ --max_predictions_per_seq=$PREDS \
    --dupe_factor=1 --num_output_shards=1 --num_workers=1 --random_seed=54321

echo "[3/5] pretraining a small ALBERT for $STEPS steps on CPU"
cat > "$OUT/albert_config.json" <<'EOF'
{"vocab_size": 30000, "embedding_size": 64, "hidden_size": 128, "num_hidden_layers": 4,
 "num_attention_heads": 2, "intermediate_size": 512, "max_position_embeddings": 128,
 "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
EOF
python run_pretraining.py --albert_config_file="$OUT/albert_config.json" \
    --input_file="$OUT/data/train/*.tfrecord" --eval_input_file="$OUT/data/heldout/*.tfrecord" \
    --output_dir="$OUT/model" --max_seq_length=$SEQ --max_predictions_per_seq=$PREDS \
    --train_batch_size=128 --optimizer=lamb --learning_rate=1e-2 --num_train_steps="$STEPS" \
    --num_warmup_steps=$(( STEPS < 200 ? STEPS / 2 : 100 )) --iterations_per_loop=50 \
    --save_checkpoints_steps=200 --eval_every_steps=200 --do_eval --eval_batch_size=128 \
    --max_eval_steps=100 --seed=12345

echo "[4/5] held-out evaluation vs input-blind baselines"
sed 's/^/  /' "$OUT/model/eval_results.txt"

echo "[5/5] exports (TF Hub encoder + preprocessor, TF Serving)"
# Exports never overwrite; a rerun re-exports the newest checkpoint (serving version 1).
rm -rf "$OUT/export/hub_encoder" "$OUT/export/hub_preprocessor" "$OUT/export/serving"
python -m export.export_tfhub --init_checkpoint="$OUT/model" --export_type=encoder_with_mlm \
    --export_dir="$OUT/export/hub_encoder"
python -m export.export_tfhub --export_type=preprocessor --export_dir="$OUT/export/hub_preprocessor"
python -m export.export_serving --init_checkpoint="$OUT/model" --model_base_path="$OUT/export/serving"
cat <<EOF

done in $(( $(date +%s) - START )) s. Everything is under $OUT:
  $OUT/data/train, $OUT/data/heldout   TFRecords (+ stats.json) from data_prep
  $OUT/model/ckpt-$STEPS.*               checkpoint (model + LAMB state + data position)
  $OUT/model/config.json                 model + training config; albert_config.json beside it
  $OUT/model/eval_results.txt            held-out metrics and baselines
  $OUT/model/loss_curve.png              MLM/SOP loss and accuracy over steps (train, held-out)
  $OUT/model/metrics.jsonl               the curve's numbers; tensorboard --logdir $OUT/model
  $OUT/export/hub_encoder, hub_preprocessor  TF Hub SavedModels (hub.KerasLayer, trainable=True)
  $OUT/export/serving/1                  TF Serving model, raw-text signatures (docs/serving.md)
EOF

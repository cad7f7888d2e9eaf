# Sourced by test.sh and demo.sh: creates and activates the project venv (.venv).
# Re-installs only when a requirements file changed since the last install.
export TF_USE_LEGACY_KERAS=1        # Keras 2 API via tf-keras (hub.KerasLayer, tf-models need it)
# Hide TF's C++ info logs where a GPU driver exists; elsewhere the entry points set level 3
# themselves (albert_tf/runtime.py: no "failed call to cuInit" line on CPU-only machines).
if [ -e /proc/driver/nvidia ]; then export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"; fi

ensure_venv() {
  local py="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv with $($py --version)"
    "$py" -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
  local stamp=.venv/.installed-$(cat "$@" constraints.txt | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ]; then
    echo "[setup] installing pinned requirements: $*"
    local args=() log=.venv/pip-install.log
    for f in "$@"; do args+=(-r "$f"); done
    # Output goes to a log (pip warns a lot); on failure its tail is shown.
    if ! { python -m pip install --upgrade pip &&
           python -m pip install "${args[@]}" -c constraints.txt &&
           python -m pip check; } >"$log" 2>&1; then
      tail -n 40 "$log"; echo "[setup] install failed; full log: $log" >&2; return 1
    fi
    echo "[setup] done ($(python -m pip list 2>/dev/null | wc -l) packages)"
    touch "$stamp"
  fi
}

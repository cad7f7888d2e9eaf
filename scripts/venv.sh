# Sourced by test.sh and demo.sh: creates and activates the project venv (.venv).
# Re-installs only when a requirements file changed since the last install.
export TF_USE_LEGACY_KERAS=1        # Keras 2 API via tf-keras (hub.KerasLayer, tf-models need it)
export TF_CPP_MIN_LOG_LEVEL=2       # hide TF's C++ info logs

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
    python -m pip install -q --upgrade pip
    local args=()
    for f in "$@"; do args+=(-r "$f"); done
    python -m pip install -q "${args[@]}" -c constraints.txt
    python -m pip check
    touch "$stamp"
  fi
}

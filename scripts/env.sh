#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv with Python >= 3.12.
# Sourced by scripts/demo and scripts/test; prints what it does, installs only when needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

_ok_python() {  # $1: an interpreter; true if it is Python >= 3.12
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  local cand
  for cand in "${PPL_PYTHON:-}" python3.13 python3.12 python3 python; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && _ok_python "$(command -v "$cand")"; then
      command -v "$cand"; return 0
    fi
  done
  # pyenv installs that are not on PATH (pyenv shims answer only when selected)
  for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    if [ -x "$cand" ] && _ok_python "$cand"; then echo "$cand"; return 0; fi
  done
  return 1
}

if [ ! -x "$VENV/bin/python" ] || ! _ok_python "$VENV/bin/python"; then
  PY="$(find_python)" || { echo "ppl needs Python >= 3.12; none was found (set PPL_PYTHON=/path/to/python3.12)" >&2; exit 2; }
  echo "creating $VENV with $PY ($("$PY" --version))" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi

STAMP="$VENV/.ppl-installed"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "installing ppl and its dependencies into $VENV (first run takes a few minutes)" >&2
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[test]"
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"

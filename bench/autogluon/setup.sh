#!/usr/bin/env bash
# AutoGluon's own venv for bench/quality.py (AutoGluon pins pandas < 3; kstarter needs pandas 3).
#   bash bench/autogluon/setup.sh [VENV]      default VENV: /work/venvs/autogluon
# bench/quality.py runs AutoGluon with --ag-python PATH, else $KSTARTER_AUTOGLUON_PYTHON, else
# /work/venvs/autogluon/bin/python, and reports it "not available" when that is missing.
# About 2.3 GB (torch 754 MB CPU build, catboost 269 MB, ray 237 MB); no CUDA download.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-/work/venvs/autogluon}"
python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$here/requirements.txt"
"$venv/bin/python" -c "import autogluon.tabular as t; print('autogluon.tabular', t.__version__)"
du -sh "$venv"

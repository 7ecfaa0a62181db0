#!/usr/bin/env bash
# AutoGluon's own venv for bench/quality.py (AutoGluon pins pandas < 3; kstarter needs pandas 3).
#   bash bench/autogluon/setup.sh [VENV]      default VENV: /work/venvs/autogluon
# bench/quality.py finds it through --autogluon-python VENV/bin/python (this default, else
# $KSTARTER_AUTOGLUON_PYTHON) and reports AutoGluon "not available" when it is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-/work/venvs/autogluon}"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q -r "$here/requirements.txt"
"$venv/bin/python" -c "import autogluon.tabular as t; print('autogluon.tabular', t.__version__)"
du -sh "$venv"

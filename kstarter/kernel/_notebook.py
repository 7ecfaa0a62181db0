"""The notebook ``kstarter kernel build`` writes: install the wheels offline, then one call
into kstarter (:func:`kstarter.kernel.predict_submission`), so what runs on Kaggle is the
library code the tests run."""

from __future__ import annotations

__all__ = ["notebook_json", "INSTALL_CELL", "PREDICT_CELL"]

INSTALL_CELL = """\
# Offline install from the artifacts dataset: kstarter, and each package whose version here
# differs from the one its models were made with (Kaggle runs this notebook without internet).
import glob, importlib.metadata, os, subprocess, sys
from pathlib import Path

ROOT = Path(os.environ.get("KSTARTER_KAGGLE_ROOT") or "/kaggle")
ARTIFACTS = next(
    Path(folder)
    for folder, _, files in sorted(os.walk(ROOT / "input", followlinks=True))
    if "kstarter-artifacts.json" in files
)
PACKAGES = ROOT / "working" / ".kstarter-packages"


def needed(wheel):
    name, version = Path(wheel).name.split("-")[:2]
    if name == "kstarter":
        return True
    try:
        return importlib.metadata.version(name) != version
    except importlib.metadata.PackageNotFoundError:
        return True


wheels = [w for w in sorted(glob.glob(str(ARTIFACTS / "*.whl"))) if needed(w)]
subprocess.run(
    [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet",
     "--disable-pip-version-check", "--target", str(PACKAGES), *wheels],
    check=True,
)
sys.path.insert(0, str(PACKAGES))
print("installed:", *(Path(w).name for w in wheels))
"""

PREDICT_CELL = """\
# The test rows' features rebuilt with the run's features.py and recipe, predicted by its
# saved fold models, written to /kaggle/working/submission.csv.
import kstarter
from kstarter.kernel import predict_submission

print("kstarter", kstarter.__version__, "from", kstarter.__file__)
print("wrote", predict_submission())
"""


def notebook_json(title: str, run_id: str) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# {title}: kstarter run `{run_id}`\n\n"
            "Made by `kstarter kernel build`; check it with `kstarter kernel check` before "
            "pushing. It reads the competition's test files, rebuilds the run's features, "
            "predicts with its saved fold models and writes `submission.csv`."
        ),
        nbformat.v4.new_code_cell(INSTALL_CELL),
        nbformat.v4.new_code_cell(PREDICT_CELL),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return str(nbformat.writes(nb))

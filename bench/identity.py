"""Same input, same output: every practice competition's folds, OOF, test predictions,
submission and scores, for each model family and a blend, as one JSON of hashes.

A refactor that must not change behaviour is checked by running this before it (``--write``)
and after it (``--check``): any file or score that differs is named.

    python bench/identity.py --write bench/identity.json     # before
    python bench/identity.py --check bench/identity.json     # after: exit 1 on any difference
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import kstarter  # noqa: E402

COMPETITIONS = (
    "adult-income",
    "abalone-rings",
    "penguins-species",
    "digit-recognizer",
    "heart-disease",
    "breast-cancer",
    "diabetes-progression",
)
FILES = ("oof.csv", "test_pred.csv", "submission.csv")
SCORES = ("cv_mean", "cv_std", "oof_score", "fold_scores", "best_iterations", "decision")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _newest_run(project: Path) -> Path:
    runs = sorted(
        (d for d in (project / "runs").iterdir() if (d / "metrics.json").is_file()),
        key=lambda d: json.loads((d / "metrics.json").read_text())["created"],
    )
    return runs[-1]


def _record(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    out = {name: _sha(run / name) for name in FILES}
    out.update({k: metrics.get(k) for k in SCORES})
    return out


def competition(name: str, work: Path) -> dict:
    """init, train (lightgbm, linear), blend both: the hashes and scores of each."""
    project = work / name
    kstarter("init", f"practice/{name}", "--dir", str(project), cwd=work)
    out: dict[str, dict] = {}
    runs = []
    for model in ("lightgbm", "linear"):
        kstarter("train", "-C", str(project), "--model", model, "--quiet", cwd=work)
        run = _newest_run(project)
        runs.append(run.name)
        out[model] = _record(run)
    out["folds"] = {"folds.csv": _sha(project / "folds.csv")}
    kstarter("blend", "-C", str(project), *runs, "--method", "weights", cwd=work)
    out["blend"] = _record(_newest_run(project))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the hashes to this JSON file")
    group.add_argument("--check", type=Path, help="compare against this JSON file")
    parser.add_argument("--only", nargs="*", default=list(COMPETITIONS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = {name: competition(name, Path(tmp)) for name in args.only}
    if args.write:
        args.write.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.write}: {len(found)} competitions")
        return 0
    expected = json.loads(args.check.read_text())
    differences = [
        f"{name} {part} {key}: {want!r} -> {got.get(part, {}).get(key)!r}"
        for name, got in found.items()
        for part, values in expected[name].items()
        for key, want in values.items()
        if got.get(part, {}).get(key) != want
    ]
    for line in differences:
        print(line)
    print(f"{len(found)} competitions, {len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`kstarter runs` says which runs can be compared (issue 18.9).

Runs made on other folds (before a --refold) or scored with another metric stay listed, as the
history they are, but marked `!`; the best run is the best CV among the comparable ones, in the
metric's direction, marked `*`; every line says where its parameters came from (default, tuned,
a file, a blend's method) and shows the note given at `kstarter train -m`.

Choice: mark rather than hide. `runs` lists what runs.csv and `submit RUN` know, so no run the
user remembers disappears; the marks and the best, computed on the current folds only, are what
keeps incomparable CVs from being read side by side.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from kstarter.runs import RunMetrics, run_lines, runs_table, write_metrics

FOLDS_CSV = b"row,fold\n0,0\n1,1\n2,0\n3,1\n"
FOLDS = hashlib.sha256(FOLDS_CSV).hexdigest()[:16]  # as kstarter.folds records it


def _run(root: Path, run_id: str, cv: float, **fields) -> None:
    """A run folder as train or blend writes it (its metrics.json is all `runs` reads), in a
    project whose folds.csv is FOLDS_CSV."""
    (root / "folds.csv").write_bytes(FOLDS_CSV)
    metrics = RunMetrics(
        metric=fields.pop("metric", "auc"),
        direction=fields.pop("direction", "maximize"),
        fold_scores=(cv, cv),
        cv_mean=cv,
        cv_std=0.01,
        oof_score=cv,
        model=fields.pop("model", "lightgbm"),
        params_source=fields.pop("params_source", "default"),
        folds_hash=fields.pop("folds_hash", FOLDS),
        created=f"2026-01-01T00:00:{len(list((root / 'runs').glob('*'))):02d}+00:00",
        seconds=1.0,
        **fields,
    )
    (root / "runs" / run_id).mkdir(parents=True)
    write_metrics(root / "runs" / run_id / "metrics.json", metrics)


def _marks(root: Path) -> dict[str, tuple[str, bool, str]]:
    return {line.record.id: (line.other, line.best, line.params) for line in run_lines(root)}


def test_the_best_is_the_best_comparable_cv_in_the_metrics_direction(tmp_path: Path) -> None:
    _run(tmp_path, "0-other-metric", 0.99, metric="accuracy")  # before the metric changed
    _run(tmp_path, "a-default", 0.80)
    _run(tmp_path, "b-tuned", 0.90, params_source="tuned", note="tuned 200 trials")
    _run(tmp_path, "c-file", 0.85, params_source="/home/u/params/deep.yaml")
    _run(tmp_path, "d-old-folds", 0.95, folds_hash="0" * 16)  # better, but not comparable
    assert _marks(tmp_path) == {
        "0-other-metric": ("scored with accuracy", False, "default"),
        "a-default": ("", False, "default"),
        "b-tuned": ("", True, "tuned"),
        "c-file": ("", False, "deep.yaml"),
        "d-old-folds": ("other folds", False, "default"),
    }
    table = runs_table(run_lines(tmp_path))
    assert table[1].startswith("! 0-other-metric") and table[5].startswith("! d-old-folds")
    assert table[3].startswith("* b-tuned") and table[3].endswith("tuned 200 trials")
    assert table[-2] == "* best CV on the current folds (auc, higher is better)"
    assert table[-1].startswith("! 2 run(s) not comparable with the current ones")


def test_lower_is_better_and_a_fitted_blend_counts_by_its_nested_cv(tmp_path: Path) -> None:
    _run(tmp_path, "a", 3.0, metric="mae", direction="minimize")
    _run(tmp_path, "b", 2.5, metric="mae", direction="minimize")
    # a weights blend whose plain CV (fitted on the rows it scores) beats b, its nested CV not
    _run(tmp_path, "c-blend", 2.0, metric="mae", direction="minimize", model="blend",
         params={"method": "weights"}, params_source="blend", members=(),
         nested_cv_mean=2.6)  # fmt: skip
    marks = _marks(tmp_path)
    assert [run for run, (_, best, _) in marks.items() if best] == ["b"]
    assert marks["c-blend"][2] == "blend:weights"
    assert "lower is better" in runs_table(run_lines(tmp_path))[-1]


# ---------------------------------------------------------------- end to end, real runs


@pytest.mark.slow  # trains four runs on practice data
def test_refold_note_and_tuned_params_show_in_runs(ks, tmp_path: Path) -> None:
    from kstarter.project import init_project
    from kstarter.train import TrainOptions, train

    project = init_project("practice/diabetes-progression", tmp_path / "d").path
    train(project, TrainOptions(model="lightgbm"))
    train(project, TrainOptions(model="linear"))
    (project / "tuned_params.yaml").write_text(
        yaml.safe_dump({"model": "lightgbm", "params": {"num_leaves": 7, "min_data_in_leaf": 30}})
    )
    ks("train", "-q", "--params", "tuned", "-m", "smaller leaves", cwd=project)
    before = json.loads(ks("runs", "--json", cwd=project).stdout)
    assert [r["params"] for r in before] == ["default", "default", "tuned"]
    assert [r["note"] for r in before] == [None, None, "smaller leaves"]
    assert all(r["comparable"] for r in before)
    lowest = min(before, key=lambda r: r["cv_mean"])  # MAE: lower is better
    assert [r["run"] for r in before if r["best"]] == [lowest["run"]]

    config = project / "kstarter.yaml"
    config.write_text(config.read_text().replace("n_splits: 5", "n_splits: 3"))
    ks("train", "-q", "--refold", "-m", "3 folds", cwd=project)
    after = json.loads(ks("runs", "--json", cwd=project).stdout)
    assert [r["other"] for r in after] == ["other folds"] * 3 + [None]
    assert [r["best"] for r in after] == [False, False, False, True]  # the only comparable one
    table = ks("runs", cwd=project).stdout.splitlines()
    assert [line[0] for line in table[1:5]] == ["!", "!", "!", "*"]
    assert table[3].endswith("smaller leaves") and table[4].endswith("3 folds")
    assert table[5] == "* best CV on the current folds (mae, lower is better)"
    assert "3 run(s) not comparable" in table[6] and "other folds" in table[6]

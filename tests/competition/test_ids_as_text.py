"""Ids are text end to end: the submission carries the sample's own id strings byte for byte
(zero-padded ids keep their zeros, ids wider than int64 neither overflow nor crash the cache),
and a submission whose ids lost their zeros does not match the sample."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import Runner, assert_clean_error, csv_text, make_zip

IDS = {
    "zero-padded": lambda n, start: [f"{start + i:06d}" for i in range(n)],
    "wider than int64": lambda n, start: [str(10**24 + 7 * (start + i)) for i in range(n)],
}


def _competition(kind: str) -> dict[str, str]:
    rng = np.random.default_rng(5)
    n_train, n_test = 240, 80
    ids = IDS[kind]
    x = rng.normal(size=(n_train + n_test, 2)).round(4)
    y = (x[:, 0] + 0.3 * rng.normal(size=n_train + n_test) > 0).astype(int)
    train = [
        [i, a, b, t] for i, (a, b), t in zip(ids(n_train, 1), x[:n_train], y[:n_train], strict=True)
    ]
    test_ids = ids(n_test, 1001)
    test = [[i, a, b] for i, (a, b) in zip(test_ids, x[n_train:], strict=True)]
    return {
        "train.csv": csv_text(["id", "a", "b", "target"], train),
        "test.csv": csv_text(["id", "a", "b"], test),
        "sample_submission.csv": csv_text(["id", "target"], [[i, 0.5] for i in test_ids]),
    }


def _first_column(text: str) -> list[str]:
    return [line.split(",", 1)[0] for line in text.splitlines()]


@pytest.mark.parametrize("kind", list(IDS))
def test_submission_carries_the_samples_id_strings(ks: Runner, tmp_path, kind):
    files = _competition(kind)
    ks("init", str(make_zip(tmp_path / "ids.zip", files)), cwd=tmp_path)
    project = tmp_path / "ids"
    ks("train", "-q", cwd=project)
    ks("train", "-q", "--model", "linear", cwd=project)  # again, from the cache
    ks("blend", "--method", "hillclimb", cwd=project)  # reads the runs' ids back as text
    for run in (project / "runs").iterdir():
        sub = (run / "submission.csv").read_text()
        assert _first_column(sub) == _first_column(files["sample_submission.csv"])
        test_pred = (run / "test_pred.csv").read_text().splitlines()
        assert [line.split(",")[1] for line in test_pred] == _first_column(files["test.csv"])

    # a submission whose ids lost what the sample spells out is not the sample's
    run = next(r for r in (project / "runs").iterdir() if not r.name.endswith("blend"))
    sub = run / "submission.csv"
    lines = sub.read_text().splitlines()
    broken = [lines[0], *(f"{int(ln.split(',')[0])}," + ln.split(",", 1)[1] for ln in lines[1:])]
    if kind == "zero-padded":
        sub.write_text("\n".join(broken) + "\n")
        proc = ks("submit", run.name, "-m", "x", cwd=project, check=False)
        assert_clean_error(proc, "where the sample has 001001")

"""A line break in the source path is written escaped into the generated files, never as a line
of its own: a folder named ``comp\\nmodel: {name: x}`` cannot inject keys into kstarter.yaml
(issue 16.14)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from conftest import Runner

from kstarter.config import load_project
from kstarter.render import oneline


def test_oneline_escapes_every_line_break() -> None:
    assert oneline("a\nb\rc\u2028d") == "a\\nb\\rc\\u2028d"
    assert oneline("plain/path") == "plain/path"


def test_a_newline_in_the_source_path_stays_inside_its_value(ks: Runner, tmp_path: Path) -> None:
    source = tmp_path / "comp\nmodel: {name: linear}"
    source.mkdir()
    rng = np.random.default_rng(0)
    pd.DataFrame({"id": range(60), "x": rng.normal(size=60), "y": rng.normal(size=60)}).to_csv(
        source / "train.csv", index=False
    )
    pd.DataFrame({"id": range(60, 80), "x": rng.normal(size=20)}).to_csv(
        source / "test.csv", index=False
    )
    pd.DataFrame({"id": range(60, 80), "y": 0.0}).to_csv(
        source / "sample_submission.csv", index=False
    )
    ks("init", str(source), "--dir", "out", cwd=tmp_path)
    text = (tmp_path / "out" / "kstarter.yaml").read_text()
    assert not any(line.startswith("model: {name: linear}") for line in text.splitlines())
    assert yaml.safe_load(text)["model"]["name"] == "lightgbm"
    project = load_project(tmp_path / "out")
    assert project.spec.source.endswith("comp\nmodel: {name: linear}")

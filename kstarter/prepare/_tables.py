"""The competition's raw tables as a run reads them: train, test and the sample submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.competition import read_header, read_table
from kstarter.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from kstarter.config import Project

__all__ = ["Tables", "load_tables", "read_sample", "slim_tables", "data_file"]


@dataclass(frozen=True)
class Tables:
    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame


def load_tables(project: Project) -> Tables:
    """Ids are text end to end: the id column as the files spell it (see ``read_table``)."""
    spec = project.spec
    ids = (spec.id,)
    return Tables(
        read_table(
            data_file(project, spec.files.train), shown=f"data/{spec.files.train}", text=ids
        ),
        read_table(data_file(project, spec.files.test), shown=f"data/{spec.files.test}", text=ids),
        read_sample(project),
    )


def data_file(project: Project, name: str) -> Path:
    """``data/<name>``, or a sentence naming it and how to get it back when it is gone."""
    path = project.data_dir / name
    if not path.is_file():
        source = project.spec.source
        raise ConfigError(
            f"data/{name} is missing (deleted or moved): copy it back into {project.data_dir}, "
            f"or make the project again in another folder (`kstarter init {source} --dir "
            "OTHER`) and copy its data/ folder here."
        )
    return path


def read_sample(project: Project) -> pd.DataFrame:
    """The sample submission, its id column as text: the submission copies it verbatim."""
    name = project.spec.files.sample_submission
    path = data_file(project, name)
    first = read_header(path) if project.spec.sample_id is None else None
    ids = (project.spec.sample_id or (first[0] if first else None),)
    return read_table(path, shown=f"data/{name}", text=ids)


def slim_tables(project: Project, tables: Tables) -> Tables:
    """Only what a run needs after the matrices exist: ids, targets and cv columns."""
    spec, cv = project.spec, project.cv
    wanted = [spec.id, *spec.targets, cv.groups, cv.time]
    keep_train = [c for c in dict.fromkeys(wanted) if c is not None and c in tables.train]
    keep_test = [spec.id] if spec.id is not None and spec.id in tables.test else []
    # without an id, a row number keeps the test length (a frame with no columns would
    # come back from parquet with no rows)
    test = tables.test[keep_test] if keep_test else tables.test.iloc[:, :0].assign(row=_rows)
    return Tables(tables.train[keep_train].copy(), test.copy(), tables.sample)


def _rows(frame: pd.DataFrame) -> range:
    return range(len(frame))

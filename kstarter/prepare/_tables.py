"""The competition's raw tables as a run reads them: train, test and the sample submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter.competition import read_header, read_table

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.config import Project

__all__ = ["Tables", "load_tables", "read_sample", "slim_tables"]


@dataclass(frozen=True)
class Tables:
    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame


def load_tables(project: Project) -> Tables:
    """Ids are text end to end: the id column as the files spell it (see ``read_table``)."""
    spec, data = project.spec, project.data_dir
    ids = (spec.id,)
    return Tables(
        read_table(data / spec.files.train, shown=f"data/{spec.files.train}", text=ids),
        read_table(data / spec.files.test, shown=f"data/{spec.files.test}", text=ids),
        read_sample(project),
    )


def read_sample(project: Project) -> pd.DataFrame:
    """The sample submission, its id column as text: the submission copies it verbatim."""
    name = project.spec.files.sample_submission
    path = project.data_dir / name
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

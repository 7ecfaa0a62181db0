"""The competition's raw tables as a run reads them: train, test and the sample submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kstarter import paths
from kstarter.competition import labels_as_written, read_header, read_table
from kstarter.errors import ConfigError
from kstarter.original import read_original

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
    # the original dataset's rows, lined up with train's columns (kstarter.original); after
    # slim_tables only its targets. None: the project has none
    original: pd.DataFrame | None = None


def load_tables(project: Project) -> Tables:
    """Ids are text end to end: the id column as the files spell it (see ``read_table``)."""
    spec = project.spec
    ids = (spec.id,)
    tables = Tables(
        read_table(
            data_file(project, spec.files.train), shown=f"data/{spec.files.train}", text=ids
        ),
        read_table(data_file(project, spec.files.test), shown=f"data/{spec.files.test}", text=ids),
        read_sample(project),
    )
    _named_columns(project, tables)
    if spec.task in ("binary", "multiclass"):  # a class named NA, as init read it
        for t in [t for t in spec.targets if t in tables.train.columns]:
            train_file = project.data_dir / spec.files.train
            tables.train[t] = labels_as_written(train_file, tables.train[t])
    if project.original is not None:
        original = read_original(project, project.original, tables.train)
        tables = Tables(tables.train, tables.test, tables.sample, original)
    return tables


def _named_columns(project: Project, tables: Tables) -> None:
    """The columns kstarter.yaml names are in the files: each missing one is one sentence."""
    import difflib

    spec = project.spec
    wanted = [("competition.id", spec.id, tables.test, spec.files.test)]
    wanted.append(
        ("competition.sample_id", spec.sample_id, tables.sample, spec.files.sample_submission)
    )
    wanted += [
        ("competition.pred_columns", c, tables.sample, spec.files.sample_submission)
        for c in spec.pred_columns
    ]
    for key, column, frame, file in wanted:
        if column is None or column in frame.columns:
            continue
        names = [str(c) for c in frame.columns]
        lower = {n.lower(): n for n in names}
        close = difflib.get_close_matches(column.lower(), list(lower), n=1, cutoff=0.6)
        hint = f" (did you mean {lower[close[0]]!r}?)" if close else ""
        raise ConfigError(
            f"{project.root / paths.CONFIG}: {key} names {column!r}, which is not a column of "
            f"data/{file}{hint}; its columns are {', '.join(names[:12])}. Fix kstarter.yaml or "
            "re-run `kstarter init`."
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
    original = tables.original
    if original is not None:
        original = original[list(spec.targets)].copy()
    return Tables(tables.train[keep_train].copy(), test.copy(), tables.sample, original)


def _rows(frame: pd.DataFrame) -> range:
    return range(len(frame))

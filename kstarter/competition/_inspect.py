"""Inspection: from a folder of competition files to a :class:`~kstarter.spec.Spec`.

Everything here is found from the files alone; the user's ``--target``/``--id``/``--metric`` and
Kaggle's metadata override the guesses. Each guess that could be wrong is reported as a note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.competition._read import is_table, labels_as_written, read_table
from kstarter.competition._shapes import find_shapes
from kstarter.errors import MetricError, SpecError
from kstarter.spec import Files, Spec

if TYPE_CHECKING:
    import pandas as pd

    from kstarter.metrics import Metric

__all__ = ["Overrides", "Meta", "Inspection", "find_files", "inspect_competition"]

MAX_CLASSES = 20  # an integer target with at most this many values is taken as classes


@dataclass(frozen=True)
class Overrides:
    """What the user said on the command line; None means "guess"."""

    targets: tuple[str, ...] = ()
    id: str | None = None
    metric: str | None = None
    # `init --code-competition`: Kaggle scores only notebooks (its API says so for a Kaggle
    # source; a practice, zip or folder project is marked by hand to learn the kernel flow)
    code_competition: bool = False


@dataclass(frozen=True)
class Meta:
    """What the source knows beyond the files (Kaggle metadata, a practice description)."""

    name: str
    source: str
    title: str | None = None
    url: str | None = None
    metric: str | None = None  # the metric as the competition names it
    deadline: str | None = None
    daily_limit: int | None = None
    code_competition: bool = False


@dataclass(frozen=True)
class Inspection:
    spec: Spec
    notes: tuple[str, ...]
    train_shape: tuple[int, int]
    test_shape: tuple[int, int]
    time_column: str | None = None  # the date column test comes after train by: cv.time


def find_files(data_dir: Path) -> Files:
    """Find train, test and sample submission among the CSVs, whatever they are called."""
    tables = sorted(
        (p for p in data_dir.rglob("*") if is_table(p) and "__MACOSX" not in p.parts),
        key=lambda p: (len(p.relative_to(data_dir).parts), str(p)),
    )
    names = [p.relative_to(data_dir).as_posix() for p in tables]
    sample = _pick(names, r"sample|submission", "sample submission", data_dir, prefer="sample")
    rest = [n for n in names if n != sample]
    train = _pick(rest, r"train", "train", data_dir, prefer="train")
    test = _pick([n for n in rest if n != train], r"test", "test", data_dir, prefer="test")
    return Files(train=train, test=test, sample_submission=sample)


def _pick(names: list[str], pattern: str, what: str, data_dir: Path, prefer: str) -> str:
    hits = [n for n in names if re.search(pattern, Path(n).name, re.IGNORECASE)]
    if not hits:
        found = ", ".join(names) or "no CSV files"
        raise SpecError(
            f"No {what} file among the competition's files (found: {found}): a Kaggle "
            "competition needs train, "
            f"test and sample submission CSVs; add the missing file or rename it to contain "
            f"'{prefer}'."
        )
    exact = [n for n in hits if _stem(n) == prefer]
    return (exact or hits)[0]


def _stem(name: str) -> str:
    return Path(name).name.lower().split(".")[0]


def inspect_competition(data_dir: Path, meta: Meta, overrides: Overrides) -> Inspection:
    files = find_files(data_dir)
    train = read_table(data_dir / files.train, shown=f"data/{files.train}")
    test = read_table(data_dir / files.test, shown=f"data/{files.test}")
    sample = read_table(data_dir / files.sample_submission, shown=f"data/{files.sample_submission}")
    notes: list[str] = []
    if sample.shape[1] < 2:
        raise SpecError(
            f"data/{files.sample_submission} has only one column: a sample submission needs an "
            "id column and at least one prediction column."
        )
    id_col = _find_id(train, test, sample, overrides, files, notes)
    for c in [c for c in train.columns if c not in test.columns or c in overrides.targets]:
        # the target candidates: a class literally named NA (North America) is a class
        train[c] = labels_as_written(data_dir / files.train, train[c])
    targets, pred_columns, class_proba = _find_targets(train, test, sample, overrides, id_col)
    spec = Spec(
        name=meta.name,
        source=meta.source,
        files=files,
        id=id_col,
        sample_id=str(sample.columns[0]),
        targets=tuple(targets),
        pred_columns=tuple(pred_columns),
        title=meta.title,
        url=meta.url,
        deadline=meta.deadline,
        daily_limit=meta.daily_limit,
        code_competition=meta.code_competition or overrides.code_competition,
        metric_kaggle_name=meta.metric,
    )
    spec = _task_and_metric(spec, train, sample, class_proba, meta, overrides, notes)
    drop = [c for c in train.columns if c not in test.columns and c not in targets and c != id_col]
    if drop:
        notes.append(
            f"In train but not in test, never used as features: {', '.join(map(str, drop))}."
        )
    only_test = [c for c in test.columns if c not in train.columns and c != id_col]
    if only_test:
        notes.append(
            f"In test but not in train, never used as features (no model can learn from a "
            f"column train lacks): {', '.join(map(str, only_test))}."
        )
    notes += _text_in_test(train, test, [*drop, *targets, id_col])
    spec = replace(spec, drop=tuple(str(c) for c in [*drop, *only_test]))
    shapes = find_shapes(data_dir, spec, train, test)
    spec = replace(
        spec,
        text_columns=shapes.text_columns,
        date_columns=shapes.date_columns,
        extra_tables=shapes.extra_tables,
    )
    notes += shapes.notes
    return Inspection(spec, tuple(notes), train.shape, test.shape, shapes.later_by)


def _find_id(
    train: pd.DataFrame,
    test: pd.DataFrame,
    sample: pd.DataFrame,
    overrides: Overrides,
    files: Files,
    notes: list[str],
) -> str | None:
    sample_id = str(sample.columns[0])
    if overrides.id is not None:
        if overrides.id not in test.columns:
            raise SpecError(
                f"--id {overrides.id!r} is not a column of data/{files.test}"
                f"{_did_you_mean(overrides.id, test)}; its columns are {_cols(test)}."
            )
        return overrides.id
    if sample_id in test.columns:
        if not test[sample_id].is_unique:
            raise SpecError(
                f"The sample's id column {sample_id!r} repeats values in data/{files.test}; "
                "name the real id column with --id."
            )
        if len(sample) != len(test) or set(sample[sample_id]) != set(test[sample_id]):
            notes.append(
                f"The sample's {sample_id!r} values differ from test's; the submission will "
                "follow the sample."
            )
        return sample_id
    if len(sample) != len(test):
        raise SpecError(
            f"Test has no {sample_id!r} column and {len(test)} rows while the sample has "
            f"{len(sample)}: name test's id column with --id."
        )
    notes.append(
        f"Test has no id column: the sample's {sample_id!r} values map to test rows in order."
    )
    return None


def _find_targets(
    train: pd.DataFrame,
    test: pd.DataFrame,
    sample: pd.DataFrame,
    overrides: Overrides,
    id_col: str | None,
) -> tuple[list[str], list[str], bool]:
    preds = [str(c) for c in sample.columns[1:]]
    unseen = [str(c) for c in train.columns if c not in test.columns and c != id_col]
    if overrides.targets:
        _check_targets(overrides.targets, train, test, preds, unseen)
        targets = list(overrides.targets)
    elif all(p in unseen for p in preds):
        targets = preds
    else:
        targets = _match_targets(preds, unseen, train)
    if len(targets) == 1 and len(preds) > 1:
        return targets, _class_columns(preds, train[targets[0]]), True
    if len(targets) != len(preds):
        raise SpecError(
            f"The sample has {len(preds)} prediction column(s) ({', '.join(preds)}) but "
            f"{len(targets)} target(s) were found ({', '.join(targets)}): name them with --target."
        )
    return targets, preds, False


def _match_targets(preds: list[str], unseen: list[str], train: pd.DataFrame) -> list[str]:
    by_lower = {u.lower(): u for u in unseen}
    if all(p.lower() in by_lower for p in preds):
        return [by_lower[p.lower()] for p in preds]
    if len(unseen) == 1:
        return unseen
    for col in unseen:
        if len(preds) > 1 and _classes_match(preds, train[col]):
            return [col]
    raise SpecError(
        f"Cannot tell the target: the sample predicts {', '.join(preds)} and train has "
        f"{', '.join(unseen) or 'no column'} missing from test. Name it with --target COLUMN."
    )


def _classes_match(preds: list[str], y: pd.Series) -> bool:
    """Whether the classes of ``y`` map one to one onto the sample's columns."""
    try:
        _class_columns(preds, y)
    except SpecError:
        return False
    return True


def _class_columns(preds: list[str], y: pd.Series) -> list[str]:
    """Map each class of ``y`` (sorted) to the sample column that holds its probability."""
    classes = sorted(y.dropna().unique().tolist())
    if len(classes) != len(preds):
        raise SpecError(
            f"The sample has {len(preds)} probability columns but target {y.name!r} has "
            f"{len(classes)} classes: check the target with --target."
        )
    out: list[str] = []
    for c in classes:
        token = str(c).lower()
        hit = [
            p
            for p in preds
            if p.lower() == token or re.search(rf"[_\W]{re.escape(token)}$", p.lower())
        ]
        if len(hit) != 1:
            raise SpecError(
                f"Cannot match class {c!r} of {y.name!r} to one sample column "
                f"({', '.join(preds)}): rename the columns or the classes to agree."
            )
        out.append(hit[0])
    if len(set(out)) != len(out):
        shared = next(p for p in out if out.count(p) > 1)
        raise SpecError(
            f"Two classes of {y.name!r} match the same sample column {shared!r}: rename the "
            "columns or the classes to agree."
        )
    return out


def _task_and_metric(
    spec: Spec,
    train: pd.DataFrame,
    sample: pd.DataFrame,
    class_proba: bool,
    meta: Meta,
    overrides: Overrides,
    notes: list[str],
) -> Spec:
    from kstarter.metrics import default_metric, get_metric

    task, classes, label_dtype = _task(train, spec.targets, class_proba)
    metric, guessed = _chosen_metric(meta, overrides, notes, get_metric)
    if metric is not None and task == "multiclass" and "multiclass" not in metric.tasks:
        numeric = label_dtype in ("int", "float")
        if "regression" in metric.tasks and not class_proba and numeric:
            task, classes, label_dtype = "regression", [], label_dtype
        else:
            raise MetricError(_misfit(metric, task))
    if metric is not None and task == "regression" and "regression" not in metric.tasks:
        raise MetricError(_misfit(metric, task))
    kind = _kind(task, class_proba, metric, sample, spec, classes, train)
    if metric is None:
        metric = default_metric(task, kind)
        guessed = True
        notes.append(
            f"No metric given: using {metric.name} as the usual one for a {task} task with "
            f"{kind} submissions. Check the competition's Evaluation page; change it with "
            f"`kstarter init ... --metric NAME` or in kstarter.yaml."
        )
    if task not in metric.tasks:
        raise MetricError(_misfit(metric, task))
    _check_needs(metric, kind, spec)
    return replace(
        spec,
        task=task,
        kind=kind,
        classes=tuple(classes),
        label_dtype=label_dtype,
        metric=metric.name,
        metric_guessed=guessed,
    )


def _chosen_metric(
    meta: Meta, overrides: Overrides, notes: list[str], get_metric: Callable[[str], Metric]
) -> tuple[Metric | None, bool]:
    if overrides.metric:
        return get_metric(overrides.metric), False
    if meta.metric:
        try:
            return get_metric(meta.metric), False
        except MetricError:
            notes.append(
                f"The competition's metric {meta.metric!r} is not in kstarter's table; a default "
                "is used instead. Pick the closest with --metric NAME (`kstarter init --help`)."
            )
    return None, True


def _misfit(metric: Metric, task: str) -> str:
    return (
        f"Metric {metric.name} does not apply to this {task} target (it is for "
        f"{', '.join(metric.tasks)}): choose another with --metric, or check --target."
    )


def _task(
    train: pd.DataFrame, targets: tuple[str, ...], class_proba: bool
) -> tuple[str, list[Any], str]:
    import numpy as np
    import pandas as pd

    if len(targets) > 1:
        return "multitarget", [], "float"
    y = train[targets[0]]
    if y.isna().all():
        raise SpecError(f"Target {targets[0]!r} has no values in train.")
    dtype = _label_dtype(y)
    classes = sorted(y.dropna().unique().tolist())
    if len(classes) < 2:
        raise SpecError(
            f"Target {targets[0]!r} has one value only ({classes[0]!r}) in train: there is "
            "nothing to learn; check the train file, or name the target with --target."
        )
    if pd.api.types.is_float_dtype(y) and np.isinf(y).any():
        rows = [int(i) + 1 for i in np.flatnonzero(np.isinf(y.to_numpy()))]
        raise SpecError(
            f"Target {targets[0]!r} is infinite in train rows {', '.join(map(str, rows[:5]))}"
            f"{' ...' if len(rows) > 5 else ''} (counting data rows from 1): no model can fit "
            "it; drop or fix those rows, then run init again."
        )
    if class_proba:
        return "multiclass", classes, dtype
    if dtype in ("bool", "str") or len(classes) == 2:
        return ("binary" if len(classes) == 2 else "multiclass"), classes, dtype
    integer = dtype == "int" or bool((y.dropna() % 1 == 0).all())
    if integer and 2 < len(classes) <= MAX_CLASSES and pd.api.types.is_numeric_dtype(y):
        return "multiclass", [int(c) for c in classes], "int"
    return "regression", [], dtype


def _text_in_test(train: pd.DataFrame, test: pd.DataFrame, skip: list[Any]) -> list[str]:
    """A column numeric in train but text in test would silently become a category of
    thousands of levels: say which, and a value that made it text."""
    import pandas as pd

    notes = []
    for col in train.columns:
        if col in skip or col not in test.columns:
            continue
        if not pd.api.types.is_numeric_dtype(train[col]) or pd.api.types.is_numeric_dtype(
            test[col]
        ):
            continue
        values = test[col].dropna()
        bad = values[pd.to_numeric(values, errors="coerce").isna()]
        example = f" (e.g. {str(bad.iloc[0])!r})" if len(bad) else ""
        notes.append(
            f"Column {col!r} is numeric in train but text in test{example}, so it would become "
            "a category: fix those test values, or convert the column in features.py."
        )
    return notes


def _label_dtype(y: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(y):
        return "bool"
    if pd.api.types.is_integer_dtype(y):
        return "int"
    if pd.api.types.is_numeric_dtype(y):
        return "float"
    values = set(y.dropna().astype(str).unique())
    if values and values <= {"True", "False"}:
        return "bool"
    return "str"


def _kind(
    task: str,
    class_proba: bool,
    metric: Metric | None,
    sample: pd.DataFrame,
    spec: Spec,
    classes: list[Any],
    train: pd.DataFrame,
) -> str:
    import pandas as pd

    if task == "regression":
        return "value"
    if class_proba:
        return "class_proba"
    if task == "multitarget":
        if metric is not None:
            return "proba" if metric.needs == "proba" else "value"
        # several 0/1 columns are labels to predict a probability for (multi-label, mcauc)
        return "proba" if all(_zero_one(train[t]) for t in spec.targets) else "value"
    if metric is not None:
        return "proba" if metric.needs == "proba" else "label"
    col = sample[spec.pred_columns[0]]
    if pd.api.types.is_float_dtype(col) and not bool((col.dropna() % 1 == 0).all()):
        return "proba" if task == "binary" else "label"
    return "label"


def _zero_one(y: pd.Series) -> bool:
    import pandas as pd

    values = y.dropna()
    if pd.api.types.is_bool_dtype(values):
        return values.nunique() == 2
    if not pd.api.types.is_numeric_dtype(values):
        return False
    return set(values.unique().tolist()) == {0, 1}


def _check_needs(metric: Metric, kind: str, spec: Spec) -> None:
    fits = {
        "label": {"label"},
        "proba": {"proba", "class_proba"},
        "value": {"value", "proba"},
    }
    if kind not in fits[metric.needs]:
        what = {"label": "labels", "proba": "probabilities", "value": "numbers"}[metric.needs]
        raise MetricError(
            f"Metric {metric.name} scores {what} but {spec.files.sample_submission} holds "
            f"{kind.replace('_', ' ')} predictions: check --metric against the competition's "
            "Evaluation page."
        )


def _check_targets(
    given: tuple[str, ...] | list[str],
    train: pd.DataFrame,
    test: pd.DataFrame,
    preds: list[str],
    unseen: list[str],
) -> None:
    """``--target`` names columns of train that test lacks; when the sample's prediction
    columns are themselves such columns, it names those (a target that is not what the sample
    predicts writes one thing under another's header)."""
    for t in given:
        if t not in train.columns:
            raise SpecError(
                f"--target {t!r} is not a column of train{_did_you_mean(t, train)}; its columns "
                f"are {_cols(train)}."
            )
    obvious = [p for p in preds if p in unseen]
    hint = f": the sample predicts {', '.join(obvious)}, so use --target {obvious[0]}" if (
        obvious
    ) else ""  # fmt: skip
    for t in given:
        if t in test.columns:
            raise SpecError(
                f"--target {t!r} is a column of test too, so it is an input, not what the "
                f"competition asks for{hint or ': name a column that train has and test lacks'}."
            )
    wrong = [t for t in given if t not in preds]
    if wrong and set(obvious) - set(given):
        raise SpecError(
            f"--target {wrong[0]!r} is not what the sample's prediction column"
            f"{'s hold' if len(preds) > 1 else ' holds'}{hint}, or leave --target out."
        )


def _did_you_mean(name: str, df: pd.DataFrame) -> str:
    """`` (did you mean 'Age'?)`` for a near miss among the frame's columns, else nothing."""
    import difflib

    columns = {str(c).lower(): str(c) for c in df.columns}
    close = difflib.get_close_matches(name.lower(), list(columns), n=1, cutoff=0.6)
    return f" (did you mean {columns[close[0]]!r}?)" if close else ""


def _cols(df: pd.DataFrame, limit: int = 12) -> str:
    cols = [str(c) for c in df.columns]
    more = f", ... ({len(cols)} in all)" if len(cols) > limit else ""
    return ", ".join(cols[:limit]) + more

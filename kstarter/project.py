"""``kstarter init``: fetch a competition, inspect it and generate the project, atomically."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter import __version__, paths
from kstarter.atomic import staging_dir
from kstarter.competition import Inspection, Overrides, inspect_competition
from kstarter.errors import KstarterError, SourceError, disk_error
from kstarter.original import Original, copy_original
from kstarter.render import render_project
from kstarter.sources import is_local, resolve_source

if TYPE_CHECKING:
    from kstarter.checks import CheckReport

__all__ = ["InitResult", "init_project", "summary_lines"]

_KIND_TEXT = {
    "label": "a class label, in the train's own encoding",
    "proba": "the probability of the positive class",
    "class_proba": "one probability column per class",
    "value": "a number",
}


@dataclass(frozen=True)
class InitResult:
    path: Path
    inspection: Inspection
    check: CheckReport | None = None  # the brief check, None when it could not run
    check_error: str | None = None
    original: Original | None = None  # --original: the copy made under data/
    original_extra: tuple[str, ...] = ()  # its columns train has not, left out


def init_project(
    source: str,
    directory: Path | None = None,
    overrides: Overrides | None = None,
    force: bool = False,
    original: str | None = None,
) -> InitResult:
    """Make a ready project from SOURCE; on any failure nothing is left behind. ``original``
    (a CSV, zip, folder or practice name) adds the competition's original dataset."""
    src = resolve_source(source)
    dest = Path(directory) if directory else Path.cwd() / src.name
    dest = dest.expanduser().absolute()
    _check_destination(dest, getattr(src, "path", None), force)
    prefix = f".{dest.name}.kstarter-{os.getpid()}-"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _sweep_dead_staging(dest.parent)
        staging = staging_dir(dest.parent, prefix)
    except OSError as exc:  # a read-only folder, a file on the way
        _remove_own_staging(dest.parent, prefix)
        raise disk_error(exc, dest) from None
    except BaseException:  # a SIGTERM between making the folder and knowing its name
        _remove_own_staging(dest.parent, prefix)
        raise
    try:
        data = staging / paths.DATA
        data.mkdir()
        meta = src.fetch(data)
        result = inspect_competition(data, meta, overrides or Overrides())
        added, extra = copy_original(original, data, result.spec) if original else (None, [])
        render_project(staging, {**_context(result), "original": added})
        _move_into_place(staging, dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if exc.filename is not None and not str(exc.filename).startswith(str(dest.parent)):
            raise  # not the project's folder (the source's): the CLI names it as it is
        raise disk_error(exc, dest) from None  # a full disk: named by the project, not staging
    except KstarterError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        # the staging folder is gone: name the folder the user asked for instead
        raise type(exc)(str(exc).replace(str(staging), str(dest))) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report, error = _brief_check(dest)
    return InitResult(dest, result, report, error, added, tuple(extra))


def _check_destination(dest: Path, source: Path | None, force: bool) -> None:
    """Refuse a destination that would lose files: an existing non-empty folder without
    --force; with --force, anything but a kstarter project, and never the current folder, a
    folder holding it or one holding the source. A project inside a folder source would be
    copied into itself."""
    real = dest.resolve()
    where = Path(source).resolve() if source is not None else None
    if where is not None and where.is_dir() and real.is_relative_to(where):
        raise SourceError(
            f"The project folder {dest} is inside the source folder {source}, which would be "
            "copied into itself: choose a --dir outside it."
        )
    if not dest.exists() and not dest.is_symlink():
        return
    if dest.is_dir() and not dest.is_symlink() and not any(dest.iterdir()):
        return
    if not force:
        raise SourceError(
            f"{dest} already exists and is not empty: choose another folder with --dir, "
            "or pass --force to replace it."
        )
    here = Path.cwd().resolve()
    if here.is_relative_to(real):
        raise SourceError(
            f"--force would delete {dest}, which is or holds the current folder: run "
            "kstarter init from outside it, or choose another folder with --dir."
        )
    if where is not None and where.is_relative_to(real):
        raise SourceError(
            f"--force would delete {dest}, which holds the source {source}: move the source "
            "out of it first, or choose another folder with --dir."
        )
    if dest.is_symlink() or not _is_project(dest):
        raise SourceError(
            f"--force replaces only a kstarter project, and {dest} is not one (it has no "
            f"{paths.CONFIG} of kstarter): choose another folder with --dir, or move what is "
            "there away yourself."
        )


def _is_project(folder: Path) -> bool:
    """A folder ``kstarter init`` made: a kstarter.yaml with a competition section."""
    import yaml

    config = folder / paths.CONFIG
    if not folder.is_dir() or not config.is_file():
        return False
    try:
        loaded = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(loaded, dict) and isinstance(loaded.get("competition"), dict)


_STAGING = re.compile(r"\.(?P<name>.+)\.kstarter-(?:(?P<pid>\d+)-)?[a-z0-9_]{8}")
# seconds after which a staging folder named without its pid (older kstarter) is abandoned
_LEGACY_AGE = 24 * 3600


def _remove_own_staging(parent: Path, prefix: str) -> None:
    """This process's staging folder, when making it was interrupted after the folder existed
    but before its name was returned (``prefix`` holds this process's pid)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for d in entries:
        if d.name.startswith(prefix) and d.is_dir() and not d.is_symlink():
            shutil.rmtree(d, ignore_errors=True)


def _sweep_dead_staging(parent: Path) -> None:
    """Remove the staging folders (``.NAME.kstarter-<pid>-<random>``, full copies of the data)
    of inits that died without cleaning up (kill -9, a power cut). Only folders named exactly
    so are touched; one of a process still alive is left alone."""
    import time

    from kstarter.atomic import process_alive

    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for d in entries:
        found = _STAGING.fullmatch(d.name)
        if found is None or d.is_symlink() or not d.is_dir():
            continue
        pid = found["pid"]
        if pid is not None:
            stale = not process_alive(int(pid))
        else:  # named before the pid was part of the name: only when clearly abandoned
            stale = time.time() - d.stat().st_mtime > _LEGACY_AGE
        if stale:
            shutil.rmtree(d, ignore_errors=True)


def _brief_check(path: Path) -> tuple[CheckReport | None, str | None]:
    """`kstarter check --brief` on the new project: advice, so it never fails the init."""
    from kstarter.checks import BRIEF, run_check

    try:
        return run_check(path, BRIEF), None
    except KstarterError as exc:
        return None, str(exc)
    except Exception as exc:  # the project is made; a check that breaks must not undo that
        return None, f"{type(exc).__name__}: {exc}"


def _move_into_place(staging: Path, dest: Path) -> None:
    old: Path | None = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.kstarter-old")
        _remove(old)
        dest.rename(old)
    staging.rename(dest)
    if old is not None:
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _context(result: Inspection) -> dict[str, Any]:
    from kstarter.config import CVConfig, ModelConfig, TrainConfig, defaults
    from kstarter.metrics import get_metric

    spec = result.spec
    base = defaults()
    metric = get_metric(spec.metric)
    return {
        "spec": spec,
        "version": __version__,
        # a test that comes after train by a date: time-ordered folds (bench/time_split.py)
        "cv": CVConfig(**{**base["cv"], "time": result.time_column or base["cv"].get("time")}),
        "time_from_init": result.time_column is not None,
        "model": ModelConfig(**base["model"]),
        "train": TrainConfig(**base["train"]),
        "notes": list(result.notes),
        "train_shape": result.train_shape,
        "test_shape": result.test_shape,
        "kind_text": _KIND_TEXT[spec.kind],
        "direction": "higher is better" if metric.greater_is_better else "lower is better",
        "numeric_pair": None,
        "categorical": None,
        "target_hint": _target_hint(spec.task),
        "local_source": is_local(spec.source),  # a folder or zip: no leaderboard to submit to
    }


def _target_hint(task: str) -> str:
    return {
        "binary": "How balanced are the two classes? With few positives, accuracy misleads; "
        "AUC and log loss do not.",
        "multiclass": "Are some classes rare? Stratified folds keep their share in every fold.",
        "regression": "Is the target skewed? A long right tail often suits RMSLE or a log target.",
        "multitarget": "Each target is modelled on its own, on the same folds.",
    }[task]


def _shown_path(path: Path) -> str:
    """Relative to the current folder when inside it, absolute otherwise."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _check_lines(result: InitResult) -> list[str]:
    from kstarter.checks import brief_lines

    if result.check is not None:
        return brief_lines(result.check)
    if result.check_error is not None:
        return [f"  check      not run: {result.check_error}"]
    return []


def summary_lines(result: InitResult) -> list[str]:
    from kstarter.metrics import get_metric

    s = result.inspection.spec
    metric = get_metric(s.metric)
    tr, te = result.inspection.train_shape, result.inspection.test_shape
    lines = [
        f"Created {result.path}",
        f"  train      {s.files.train}  {tr[0]} rows x {tr[1]} columns",
        f"  test       {s.files.test}  {te[0]} rows x {te[1]} columns",
        f"  sample     {s.files.sample_submission}",
        f"  id         {s.id or '(none: sample ids follow test row order)'}",
        f"  target     {', '.join(s.targets)}",
        f"  task       {s.task}" + (f" ({len(s.classes)} classes)" if s.classes else ""),
        f"  submission {_KIND_TEXT[s.kind]}",
        f"  metric     {s.metric} ({'maximize' if metric.greater_is_better else 'minimize'})"
        + ("  <- a guess: check the competition's Evaluation page" if s.metric_guessed else ""),
    ]
    if s.code_competition:
        lines.append(
            "  note: a code competition: Kaggle scores only submissions made by a notebook on "
            "Kaggle, so `kstarter submit` will not upload; train here, then "
            "`kstarter kernel build` writes that notebook and `kstarter kernel check` runs it "
            "offline as Kaggle will."
        )
    lines += [f"  note: {n}" for n in result.inspection.notes]
    if result.original is not None:
        lines.append(
            f"  original   {result.original.file}: trains every fold (is_original = 1), never "
            "validated; features.original_stats adds its mean target per value"
        )
        if result.original_extra:
            lines.append(
                f"  note: the original's columns {', '.join(result.original_extra[:8])} are not "
                "in train and are left out."
            )
    lines += _check_lines(result)
    lines += ["", f"Next: cd {_shown_path(result.path)} && kstarter train"]
    return lines

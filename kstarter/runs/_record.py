"""A run's record as typed data, and the one place it meets JSON.

``runs/<run>/metrics.json`` holds a :class:`RunMetrics` (what ``kstarter train`` and
``kstarter blend`` measured), ``runs/<run>/submissions.json`` a list of :class:`SubmissionEntry`
(every submission of the run and its score). Every other module reads them through attributes;
only this module knows their keys.

The files keep the content and key order they have always had, in two layouts each: a trained
run and a blend (whose record has ``members`` and no ``threads``), a practice submission and a
Kaggle one (which adds the description, competition, ref and error), and a third for a local
score against the user's own answer key. Files written by earlier
versions are read as they are: a key they lack takes its default (None, or empty), a key this
version does not know is kept in ``extra`` and written back after the known ones. A field
outside the layouts (``seeds``, set only when a run averaged several seeds; ``fit_seconds`` and
``stopped_by_time`` of a run trained under a time limit; the ``nested_*`` scores of a blend
that fitted something; a run's ``note``; a submission's standard errors and kernel) is
written after the layout's keys only when it is set, so a default run's file keeps its layout
(an old submission entry is written back in today's layout when a new one is recorded beside it). A
metrics.json without the scores every version wrote (metric, direction, fold_scores, cv_mean,
cv_std, oof_score) is not a run record: it is named in a :class:`ConfigError`, as is a file
that is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from kstarter.atomic import atomic_write_text
from kstarter.errors import ConfigError

__all__ = [
    "LOCAL",
    "Member",
    "RunMetrics",
    "SubmissionEntry",
    "read_metrics",
    "write_metrics",
    "read_submissions",
    "write_submissions",
    "DamagedFile",
]


LOCAL = "local"  # SubmissionEntry.where of a score against the user's own answer key


@dataclass(frozen=True)
class Member:
    """One run of a blend: its weight and its own scores on the shared folds."""

    run: str
    weight: float
    cv_mean: float
    cv_std: float
    oof_score: float
    fold_scores: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "weight": self.weight,
            "cv_mean": self.cv_mean,
            "cv_std": self.cv_std,
            "oof_score": self.oof_score,
            "fold_scores": list(self.fold_scores),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "a blend member") -> Member:
        _require(data, ("run", "weight", "cv_mean", "cv_std", "oof_score"), source)
        return cls(
            run=data["run"],
            weight=data["weight"],
            cv_mean=data["cv_mean"],
            cv_std=data["cv_std"],
            oof_score=data["oof_score"],
            fold_scores=tuple(data.get("fold_scores") or ()),
        )


@dataclass(frozen=True, kw_only=True)
class RunMetrics:
    """What a run measured (``metrics.json``): its scores on the saved folds, what it was trained
    with, and the hashes that say whether two runs are comparable."""

    metric: str
    direction: str  # "maximize" | "minimize"
    fold_scores: tuple[float, ...]
    cv_mean: float
    cv_std: float
    oof_score: float
    best_iterations: tuple[int, ...] = ()  # a blend has none
    decision: dict[str, Any] | None = None  # Decision.to_dict(): raw output -> labels
    model: str | None = None  # "lightgbm", "linear", ... or "blend"
    seed: int | None = None  # None for a blend
    seeds: int | None = None  # models averaged per fold (seed, seed + 1, ...); None for one
    params: dict[str, Any] | None = None  # a blend's are its method and weights
    params_source: str | None = None  # default | tuned | a file | blend
    params_hash: str | None = None
    folds_hash: str | None = None
    config_hash: str | None = None
    threads: int | None = None  # a trained run's; a blend's record has no such key
    members: tuple[Member, ...] | None = None  # a blend's runs; None for a trained run
    n_features: int | None = None
    rows: int | None = None
    seconds: float | None = None
    fold_seconds: tuple[float, ...] = ()
    created: str | None = None  # ISO time, UTC, to the microsecond: orders the runs
    # A run trained under a time limit per fit (``kstarter auto`` on a short budget): the limit
    # in seconds, and how many folds' fits it stopped before early stopping did. None (absent
    # from the file) for a run without one.
    fit_seconds: float | None = None
    stopped_by_time: int | None = None
    # kstarter.yaml's feature pack: the transforms on, with their parameters; None (absent from
    # the file) when all are off
    features: dict[str, Any] | None = None
    # kstarter.yaml's original dataset (init --original): its file, SHA-256, source, whether
    # its rows were trained on (and how many) and their weight; None (absent) without one
    original: dict[str, Any] | None = None
    # A blend that fitted something (weights, hillclimb, stack), scored as a run is scored, on
    # predictions whose weights or stacker were fitted without the fold they score (nested);
    # None (absent from the file) for a trained run and for a mean or rank blend.
    nested_fold_scores: tuple[float, ...] = ()
    nested_cv_mean: float | None = None
    nested_cv_std: float | None = None
    nested_oof_score: float | None = None
    # What the user said the run tries (`kstarter train -m "added edu_level"`); None (absent
    # from the file) for a run trained without one.
    note: str | None = None
    # Where the test predictions came from when not the folds' mean (kstarter.crossval's
    # TEST_FROM: refit, last) and a refit's boosting rounds (0 for a family without rounds);
    # None (absent from the file) for the folds' mean and for a blend
    test_from: str | None = None
    refit_rounds: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    @property
    def is_blend(self) -> bool:
        return self.members is not None

    @property
    def blend_method(self) -> str | None:
        """How a blend combined its members (mean, rank, weights); None for a trained run."""
        method = (self.params or {}).get("method") if self.is_blend else None
        return str(method) if method is not None else None

    @property
    def honest_cv_mean(self) -> float:
        """The CV mean to compare runs by: a fitted blend's nested CV (its weights or stacker
        fitted without the fold they score), any other run's plain CV (it fitted nothing on
        the rows it scores)."""
        return self.cv_mean if self.nested_cv_mean is None else self.nested_cv_mean

    @property
    def honest_cv_std(self) -> float:
        return self.cv_std if self.nested_cv_std is None else self.nested_cv_std

    def to_json(self) -> dict[str, Any]:
        """The ``metrics.json`` mapping, keys in the order this kind of run has always had."""
        return _to_json(self, _BLEND_LAYOUT if self.is_blend else _TRAIN_LAYOUT)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "metrics.json") -> RunMetrics:
        _require(data, _METRICS_REQUIRED, source)
        known = _known(cls)
        values = {k: v for k, v in data.items() if k in known}
        for name in ("fold_scores", "best_iterations", "fold_seconds", "nested_fold_scores"):
            if name in values:
                values[name] = tuple(values[name] or ())
        if values.get("members") is not None:
            values["members"] = tuple(
                Member.from_json(m, f"{source} (members)") for m in values["members"]
            )
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra)


# The two layouts of metrics.json, as train and blend have always written them.
_TRAIN_LAYOUT = (
    "metric", "direction", "fold_scores", "cv_mean", "cv_std", "oof_score", "best_iterations",
    "decision", "model", "seed", "params", "params_source", "params_hash", "folds_hash",
    "config_hash", "threads", "n_features", "rows", "seconds", "fold_seconds", "created",
)  # fmt: skip
_BLEND_LAYOUT = (
    "metric", "direction", "fold_scores", "cv_mean", "cv_std", "oof_score", "best_iterations",
    "decision", "model", "seed", "params", "params_source", "params_hash", "folds_hash",
    "config_hash", "members", "n_features", "rows", "fold_seconds", "created", "seconds",
)  # fmt: skip
# Written by every version since the first: a file without them is not a run record.
_METRICS_REQUIRED = ("metric", "direction", "fold_scores", "cv_mean", "cv_std", "oof_score")


@dataclass(frozen=True, kw_only=True)
class SubmissionEntry:
    """One submission of a run (an element of ``submissions.json``) and what came of it.

    Every field may be missing from a file (a hand-written or very old entry): it is then None,
    and the entry counts for nothing it does not show (no status: neither scored nor received).

    ``status`` is Kaggle's: COMPLETE (scored), PENDING (not scored yet) or ERROR (the upload
    failed, ``ref`` None, or Kaggle could not score it). ``remaining_today``: the submissions
    left today after this one, when known.

    ``where`` "local" is a score against the user's own answer key (``submit --answers``):
    ``local`` and ``local_se`` over the key's rows, ``answers`` the key's path; nothing was
    submitted anywhere, so it spends no daily submission and is no leaderboard score.
    ``public_se`` and ``private_se``: the bootstrap standard errors of the scores, where
    kstarter has the rows (a practice board). ``kernel``: the notebook version (OWNER/SLUG/
    VERSION) whose output was submitted (``submit --kernel``, a code competition).
    """

    date: str | None = None  # ISO time, UTC, to the second
    message: str | None = None
    description: str | None = None  # what Kaggle shows beside the score (Kaggle only)
    where: str | None = None  # "practice" | "kaggle"
    cv: float | None = None  # the run's CV mean when it was submitted
    competition: str | None = None  # the Kaggle slug (Kaggle only)
    status: str | None = None
    ref: int | None = None  # Kaggle's submission id (Kaggle only)
    public: float | None = None
    private: float | None = None
    error: str | None = None  # why it failed (Kaggle only)
    remaining_today: int | None = None
    # below: written only when set (see the module's docstring)
    public_se: float | None = None
    private_se: float | None = None
    local: float | None = None
    local_se: float | None = None
    answers: str | None = None
    kernel: str | None = None  # OWNER/SLUG/VERSION of the notebook whose output was submitted
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    @property
    def scored(self) -> bool:
        """A leaderboard scored it (a local score against the user's key is not one)."""
        return self.status == "COMPLETE" and not self.is_local

    @property
    def is_local(self) -> bool:
        return self.where == LOCAL

    def to_json(self) -> dict[str, Any]:
        """The ``submissions.json`` element, keys in the order each leaderboard has written."""
        layout = {"practice": _PRACTICE_LAYOUT, LOCAL: _LOCAL_LAYOUT}.get(
            str(self.where), _KAGGLE_LAYOUT
        )
        return _to_json(self, layout)

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], source: str = "submissions.json"
    ) -> SubmissionEntry:
        _require(data, (), source)
        known = _known(cls)
        values = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**values, extra=extra)


_PRACTICE_LAYOUT = (
    "date", "message", "where", "status", "cv", "public", "private", "remaining_today",
)  # fmt: skip
_LOCAL_LAYOUT = ("date", "message", "where", "status", "cv", "local", "local_se", "answers")
_KAGGLE_LAYOUT = (
    "date", "message", "description", "where", "cv", "competition", "status", "ref", "public",
    "private", "error", "remaining_today",
)  # fmt: skip


def _to_json(record: RunMetrics | SubmissionEntry, layout: tuple[str, ...]) -> dict[str, Any]:
    """The layout's keys in its order; then, so nothing is lost, any other field that is set
    (none is, in what kstarter writes), then the keys read from a newer version."""
    out = {name: _plain(getattr(record, name)) for name in layout}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name not in out and f.name != "extra" and value != _default(f):
            out[f.name] = _plain(value)
    return {**out, **record.extra}


def _default(f: Field[Any]) -> Any:
    if f.default_factory is not MISSING:
        return f.default_factory()
    return f.default


def _known(cls: type) -> set[str]:
    return {f.name for f in fields(cls)} - {"extra"}


def _require(data: Mapping[str, Any], keys: tuple[str, ...], source: str) -> None:
    """A ValueError saying, in a few words, why ``data`` is not a record (the readers name the
    file: :class:`DamagedFile`)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{source} holds {type(data).__name__} where a mapping was expected")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(
            f"{source} lacks {', '.join(missing)}, which every kstarter version writes"
        )


def _plain(value: Any) -> Any:
    """A record's value as JSON data: tuples as lists, members as mappings."""
    if isinstance(value, tuple):
        return [v.to_json() if isinstance(v, Member) else v for v in value]
    return value


# ---------------------------------------------------------------- the files


def read_metrics(path: Path) -> RunMetrics:
    data = _load(path)
    try:
        return RunMetrics.from_json(data, _shown(path))
    except (TypeError, ValueError) as exc:  # a value of the wrong shape (a number for a list)
        raise DamagedFile(path, str(exc)) from None


def write_metrics(path: Path, metrics: RunMetrics) -> None:
    """Written into a run's staging folder, which is renamed into place whole."""
    path.write_text(json.dumps(metrics.to_json(), indent=2, default=str))


def read_submissions(path: Path) -> list[SubmissionEntry]:
    """A run's submissions, oldest first; none when the run was never submitted."""
    if not path.exists():
        return []
    data = _load(path)
    if not isinstance(data, list):
        raise DamagedFile(path, f"a {type(data).__name__} where a list of submissions belongs")
    try:
        return [SubmissionEntry.from_json(e, _shown(path)) for e in data]
    except (TypeError, ValueError) as exc:
        raise DamagedFile(path, str(exc)) from None


def write_submissions(path: Path, entries: list[SubmissionEntry]) -> None:
    data = [e.to_json() for e in entries]
    atomic_write_text(path, json.dumps(data, indent=2, default=str))


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:  # json's error, or bytes that are not UTF-8 text
        raise DamagedFile(path, "not JSON: cut short or edited") from None


class DamagedFile(ConfigError):
    """A run's metrics.json or submissions.json that cannot be read: cut short, edited, not
    kstarter's. ``path`` is the file, ``what`` what is wrong with it."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what.replace(f"{_shown(path)} ", "")
        super().__init__(f"{_shown(path)} is damaged ({self.what}): {self.fix}.")

    @property
    def fix(self) -> str:
        if self.path.name == "submissions.json":
            return "restore it from a backup, or delete it to forget the run's submissions"
        folder = "/".join(self.path.parts[-3:-1])
        return f"restore it, or delete the folder {folder} and train again"

    def skipped(self) -> str:
        """The warning of a command that goes on without the run (or its scores)."""
        run, shown = self.path.parent.name, _shown(self.path)
        if self.path.name == "submissions.json":
            return f"{shown} is damaged ({self.what}): run {run}'s scores are left out; {self.fix}."
        return f"{shown} is damaged ({self.what}): run {run} is skipped; {self.fix}."


def _shown(path: Path) -> str:
    """``runs/<run>/<file>``: enough to find it, short enough to read."""
    return "/".join(path.parts[-3:])

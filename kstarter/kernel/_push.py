"""``kstarter kernel push``: the built notebook onto Kaggle, or, for a practice competition,
a simulated push that runs it here.

On Kaggle (through :mod:`kstarter.kaggle_client`): the artifacts dataset is created, or
versioned when it exists, and waited for until Kaggle has processed it; the notebook is pushed
as a new version and its run followed with a line a check; when it completes, its output
(``submission.csv``) and log are fetched into ``kernel/output/``. A practice competition has no
Kaggle behind it: the notebook runs offline as ``kstarter kernel check`` runs it, on the
project's own test file (the answer key's rows), and its ``submission.csv`` lands in
``kernel/output/`` the same way.

Either way ``kernel/push.json`` records which notebook version holds which run's output, for
``kstarter submit --kernel``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from kstarter.atomic import atomic_write_text, staging_dir, sweep_stale_staging
from kstarter.config import Project, load_project
from kstarter.errors import ConfigError, KstarterError
from kstarter.kaggle_client import KernelRun, PushWait, follow_kernel, push_dataset, push_kernel
from kstarter.kernel._build import KERNEL_DIR, OWNER_PLACEHOLDER
from kstarter.kernel._check import run_offline
from kstarter.sources import is_local, kaggle_slug, practice_name

__all__ = ["PushOptions", "Pushed", "push_notebook", "read_pushed", "pushed_output", "PUSHED"]

PUSHED = "push.json"  # in kernel/: the last pushed notebook version
OUTPUT = "output"  # in kernel/: that version's output files and log
SUBMISSION = "submission.csv"


@dataclass(frozen=True)
class PushOptions:
    """``dataset`` off: the artifacts dataset on Kaggle is used as it is (pushed before);
    ``timeout``: seconds to wait for the dataset and for the notebook's run (or the simulated
    run's limit); ``progress`` gets the lines shown while waiting."""

    dataset: bool = True
    timeout: float | None = None
    poll_seconds: float = 10.0
    progress: Callable[[str], None] | None = None


@dataclass(frozen=True)
class Pushed:
    """A pushed notebook version (``kernel/push.json``): which run it predicts with, where
    it ran, how it stands, and its output file once it completed."""

    kernel: str  # OWNER/SLUG
    version: int
    run: str
    competition: str
    status: str  # Kaggle's: COMPLETE, ERROR, RUNNING, QUEUED
    simulated: bool  # a practice competition's push, run here
    url: str
    date: str
    output: str | None = None  # relative to the project, once COMPLETE
    seconds: float | None = None  # the simulated run's time

    @property
    def ref(self) -> str:
        return f"{self.kernel}/{self.version}"


DEFAULT_TIMEOUT = 3 * 3600.0  # seconds to wait on Kaggle: the dataset, then the notebook


def push_notebook(project_dir: Path | str | None, options: PushOptions) -> Pushed:
    project = load_project(project_dir)
    kernel = project.path(KERNEL_DIR)
    marker = _built(kernel)
    meta = json.loads((kernel / "notebook" / "kernel-metadata.json").read_text(encoding="utf-8"))
    ref = str(meta.get("id") or "")
    before = _last(kernel)
    practice = practice_name(project.spec.source) is not None
    if is_local(project.spec.source):
        raise KstarterError(
            f"This project was made from {project.spec.source}, not from a Kaggle competition, "
            "so there is nowhere to push the notebook: set competition.source to "
            "kaggle/<competition-name> in kstarter.yaml if these are a Kaggle competition's "
            "files."
        )
    if not practice and ref.startswith(OWNER_PLACEHOLDER + "/"):
        raise KstarterError(
            "The notebook's metadata has no Kaggle user name yet: build it with "
            "`kstarter kernel build --owner YOUR-KAGGLE-NAME` (or set KAGGLE_USERNAME), then "
            "push."
        )
    base = Pushed(
        kernel=ref,
        version=(before.version + 1) if before and before.kernel == ref else 1,
        run=str(marker["run"]),
        competition=_slug(project),
        status="QUEUED",
        simulated=practice,
        url=f"https://www.kaggle.com/code/{ref}",
        date=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    shutil.rmtree(kernel / OUTPUT, ignore_errors=True)  # the last version's: not this one's
    if practice:
        return _simulate(project, base, options)
    wait = PushWait(_timeout(options), options.poll_seconds, options.progress)
    if options.dataset:
        push_dataset(kernel / "artifacts", base.competition, f"run {base.run}", wait)
    started = push_kernel(kernel / "notebook", base.competition)
    wait.say(f"Pushed {started.kernel} version {started.version}; Kaggle runs it now.")
    pushed = replace(base, kernel=started.kernel, version=started.version, url=started.url)
    _record(project, pushed)  # kept before the wait: `submit --kernel` can resume it
    return _follow(project, pushed, wait)


def pushed_output(project: Project, options: PushOptions) -> Pushed:
    """The last pushed version, with its output: a Kaggle run not finished when it was pushed
    is followed again (and its output fetched) here."""
    pushed = read_pushed(project)
    if pushed.status == "COMPLETE" and pushed.output and project.path(pushed.output).is_file():
        return pushed
    if pushed.simulated or pushed.status == "ERROR":
        raise KstarterError(
            f"The notebook {pushed.ref} has no output to submit (status {pushed.status}): "
            "fix it, then `kstarter kernel build` and `kstarter kernel push` again."
        )
    wait = PushWait(_timeout(options), options.poll_seconds, options.progress)
    return _follow(project, pushed, wait)


def _timeout(options: PushOptions) -> float:
    return DEFAULT_TIMEOUT if options.timeout is None else max(float(options.timeout), 0.0)


def _follow(project: Project, pushed: Pushed, wait: PushWait) -> Pushed:
    kernel = project.path(KERNEL_DIR)
    run = KernelRun(pushed.kernel, pushed.version, pushed.url, pushed.status)
    sweep_stale_staging(kernel)  # a fetch killed before its rename
    staging = staging_dir(kernel, f".output.{os.getpid()}.")
    try:  # Kaggle unreachable: push.json kept as it stood, for `submit --kernel` to follow again
        done = follow_kernel(run, pushed.competition, staging, wait)
        if done.files:  # the whole output or none of it
            shutil.rmtree(kernel / OUTPUT, ignore_errors=True)
            staging.rename(kernel / OUTPUT)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if done.failure is not None:
        _record(project, replace(pushed, status="ERROR"))
        raise KstarterError(done.failure)
    output = kernel / OUTPUT / SUBMISSION
    relative = str(output.relative_to(project.root)) if output.is_file() else None
    if done.status == "COMPLETE" and relative is None:
        _record(project, replace(pushed, status="ERROR"))
        raise KstarterError(
            f"The notebook {pushed.ref} completed on Kaggle without writing {SUBMISSION} to "
            "/kaggle/working: run `kstarter kernel check` to see why, then build and push again."
        )
    return _record(project, replace(pushed, status=done.status, output=relative))


def _simulate(project: Project, base: Pushed, options: PushOptions) -> Pushed:
    """The practice push: kernel check's offline run, on the project's own test file."""
    if options.progress is not None:
        options.progress(
            f"{base.competition} is a practice competition: running {base.kernel} version "
            f"{base.version} here, offline, as Kaggle would (a simulated push)..."
        )
    keep = project.path(KERNEL_DIR) / OUTPUT / SUBMISSION
    try:
        result = run_offline(project, keep, options.timeout, seed=None)
    except KstarterError:
        _record(project, replace(base, status="ERROR"))
        raise
    output = str(keep.relative_to(project.root))
    done = replace(base, status="COMPLETE", output=output, seconds=round(result.seconds, 1))
    return _record(project, done)


def read_pushed(project: Project) -> Pushed:
    path = project.path(KERNEL_DIR) / PUSHED
    if not path.is_file():
        raise KstarterError(
            "No notebook pushed from this project yet: run `kstarter kernel build` and "
            "`kstarter kernel push` first."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Pushed(**data)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{path} is damaged: delete it and run `kstarter kernel push` again."
        ) from None


def _last(kernel: Path) -> Pushed | None:
    try:
        return Pushed(**json.loads((kernel / PUSHED).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _record(project: Project, pushed: Pushed) -> Pushed:
    text = json.dumps(asdict(pushed), indent=2) + "\n"
    atomic_write_text(project.path(KERNEL_DIR) / PUSHED, text)
    return pushed


def _built(kernel: Path) -> dict[str, object]:
    from kstarter.kernel._runtime import ARTIFACTS_MARKER

    marker = kernel / "artifacts" / ARTIFACTS_MARKER
    metadata = kernel / "notebook" / "kernel-metadata.json"
    if not marker.is_file() or not metadata.is_file():
        raise KstarterError("No kernel/ in this project yet: run `kstarter kernel build` first.")
    loaded = json.loads(marker.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _slug(project: Project) -> str:
    spec = project.spec
    return practice_name(spec.source) or kaggle_slug(spec.source, spec.name)

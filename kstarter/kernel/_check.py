"""``kstarter kernel check``: the pre-flight of a code competition's notebook.

The built notebook runs in a fresh process, with the network cut, on a copy of the data laid
out as Kaggle lays it out (``<root>/input/<competition>/``, ``<root>/input/<artifacts>/``,
``<root>/working/``) under a temporary root, with a test set that differs from the local one
in size and row order (Kaggle's hidden one does), under a run-time limit. The outcome is
reported in Kaggle's own error classes.

The network is cut twice where the system allows: the process runs in a new network namespace
(``unshare -rn``: no interface is up) and a Python audit hook in every Python process of the
run refuses ``socket.connect`` and name lookups. Where namespaces are not allowed the hook
alone stands.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.atomic import atomic_write_bytes
from kstarter.config import Project, load_project
from kstarter.errors import KstarterError
from kstarter.kernel._build import KERNEL_DIR
from kstarter.kernel._runtime import ROOT_ENV

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CheckOptions", "CheckResult", "check_kernel", "run_offline", "ERROR_CLASSES"]

TIMEOUT = "Notebook Timeout"
THREW = "Notebook Threw Exception"
NOT_FOUND = "Submission CSV Not Found"
SCORING = "Submission Scoring Error"
ERROR_CLASSES = (TIMEOUT, THREW, NOT_FOUND, SCORING)
DEFAULT_TIMEOUT = 9 * 3600  # Kaggle's usual limit for a code competition's CPU notebook
GRACE = 10  # seconds past the limit before the run is killed (the time is judged after)
TEST_SHARE = 0.8  # the hidden test set here: this share of the test rows, shuffled

_NO_NETWORK = """\
import sys


def _refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname"):
        target = args[1] if event == "socket.connect" else args[0]
        if event == "socket.connect" and isinstance(target, (str, bytes)):
            return  # a Unix socket: the kernel's own channels
        raise OSError(f"kstarter kernel check: no internet on Kaggle (tried {target!r})")


sys.addaudithook(_refuse)
"""


class KernelCheckError(KstarterError):
    """The notebook failed as Kaggle would fail it: ``kind`` is Kaggle's error class."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


@dataclass(frozen=True)
class CheckOptions:
    timeout: float | None = None  # seconds; None: DEFAULT_TIMEOUT
    seed: int = 0  # which rows of the test set, in which order


@dataclass(frozen=True)
class CheckResult:
    seconds: float
    peak_mb: float
    rows: int  # rows of the submission (the resampled test set's)
    local_rows: int
    network: str  # how the network was cut
    submission: Path  # a copy of the notebook's submission.csv, in kernel/


def check_kernel(project_dir: Path | str | None, options: CheckOptions) -> CheckResult:
    """Raise :class:`KernelCheckError` (its Kaggle class first) when the notebook fails."""
    project = load_project(project_dir)
    kernel = project.path(KERNEL_DIR)
    return run_offline(project, kernel / "check-submission.csv", options.timeout, options.seed)


def run_offline(
    project: Project, keep: Path, timeout: float | None, seed: int | None
) -> CheckResult:
    """Run the built notebook offline, as Kaggle will, and keep its submission.csv at ``keep``.

    ``seed`` picks the resampled test set (another size and row order); None runs it on the
    project's own test file as it is (a practice competition's simulated push, whose answer
    key covers those rows). Raises :class:`KernelCheckError` when the notebook fails."""
    kernel = project.path(KERNEL_DIR)
    notebook = kernel / "notebook" / "notebook.ipynb"
    if not notebook.is_file() or not (kernel / "artifacts").is_dir():
        raise KstarterError("No kernel/ in this project yet: run `kstarter kernel build` first.")
    _needs_the_extra()
    limit = float(timeout or DEFAULT_TIMEOUT)
    root = Path(tempfile.mkdtemp(prefix="kstarter-kernel-check-"))
    try:
        sample, local_rows = _lay_out(project, kernel / "artifacts", root, seed)
        network, outcome = _execute(notebook, root, limit)
        _classify(outcome, limit)
        found = root / "working" / "submission.csv"
        if not found.is_file():
            raise KernelCheckError(
                NOT_FOUND,
                "the notebook ended without writing /kaggle/working/submission.csv: write it "
                "there (kstarter.kernel.predict_submission() does).",
            )
        rows = _score_check(project, found, sample)
        keep.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(keep, found.read_bytes())
        return CheckResult(
            float(outcome.get("seconds", 0.0)),
            float(outcome.get("peak_mb", 0.0)),
            rows,
            local_rows,
            network,
            keep,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _needs_the_extra() -> None:
    import importlib.util

    missing = [m for m in ("nbclient", "ipykernel") if importlib.util.find_spec(m) is None]
    if missing:
        raise KstarterError(
            f"kernel check runs the notebook with {' and '.join(missing)}, which are not "
            'installed: pip install "nbclient>=0.10" "ipykernel>=6" (the kernel extra).'
        )


def _lay_out(project: Project, artifacts: Path, root: Path, seed: int | None) -> tuple[Path, int]:
    """``root/input/<competition>`` (the train and extra files linked, test and sample
    resampled), ``root/input/<artifacts>`` (linked) and an empty ``root/working``. Returns the
    resampled sample's path and the local test's row count."""
    marker = json.loads((artifacts / "kstarter-artifacts.json").read_text(encoding="utf-8"))
    comp = root / "input" / str(marker["competition"])
    dataset = root / "input" / f"{marker['competition']}-kstarter-artifacts"
    (root / "working").mkdir(parents=True)
    dataset.mkdir(parents=True)
    for f in artifacts.iterdir():
        (dataset / f.name).symlink_to(f.resolve())
    spec = project.spec
    comp.mkdir(parents=True)
    for f in project.data_dir.iterdir():
        if f.name not in (spec.files.test, spec.files.sample_submission):
            (comp / f.name).symlink_to(f.resolve())
    return _resample(project, comp, seed)


def _resample(project: Project, comp: Path, seed: int | None) -> tuple[Path, int]:
    """A hidden-like test set: TEST_SHARE of the test rows, shuffled, and the sample rows of
    the same ids in the same order (rows keep their text as the files spell it). ``seed``
    None: the test and sample files as they are, linked."""
    import numpy as np
    import pandas as pd

    spec = project.spec
    if seed is None:
        for name in (spec.files.test, spec.files.sample_submission):
            (comp / name).symlink_to((project.data_dir / name).resolve())
        ids = pd.read_csv(project.data_dir / spec.files.test, usecols=[0], dtype=str)
        return comp / spec.files.sample_submission, len(ids)
    read = {"dtype": str, "keep_default_na": False}
    test = pd.read_csv(project.data_dir / spec.files.test, **read)  # type: ignore[call-overload]
    sample = pd.read_csv(project.data_dir / spec.files.sample_submission, **read)  # type: ignore[call-overload]
    rng = np.random.default_rng(seed)
    n = max(1, int(round(len(test) * TEST_SHARE))) if len(test) > 1 else len(test)
    order = rng.permutation(len(test))[:n]
    new_test = test.iloc[order]
    if spec.id is not None and spec.id in test.columns:
        by_id = sample.set_index(sample.columns[0], drop=False)
        new_sample = by_id.loc[new_test[spec.id].to_numpy()].reset_index(drop=True)
    else:  # sample ids follow the test rows' order
        new_sample = sample.iloc[:n]
    new_test.to_csv(comp / spec.files.test, index=False, lineterminator="\n")
    out = comp / spec.files.sample_submission
    new_sample.to_csv(out, index=False, lineterminator="\n")
    return out, len(test)


def _execute(notebook: Path, root: Path, timeout: float) -> tuple[str, dict[str, Any]]:
    hook = root / ".kstarter-no-network"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_NO_NETWORK, encoding="utf-8")
    env = dict(os.environ)
    env[ROOT_ENV] = str(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
    work = root / "working"
    result = root / "result.json"
    command = [sys.executable, "-m", "kstarter.kernel._execute"]
    command += [str(notebook.resolve()), str(work), str(timeout), str(result)]
    network = "a Python audit hook refusing sockets"
    if _namespaces():
        command = ["unshare", "-rn", *command]
        network = "a network namespace with no interface, and an audit hook refusing sockets"
    proc = subprocess.Popen(
        command,
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started = time.monotonic()
    try:
        # Kaggle's limit is the whole run's; a little on top for this machine's kernel start
        output, _ = proc.communicate(timeout=timeout + GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        seconds = round(time.monotonic() - started, 1)
        return network, {"status": "timeout", "seconds": seconds}
    if not result.is_file():
        tail = (output.strip().splitlines() or ["no output"])[-1]
        raise KstarterError(f"kernel check could not run the notebook ({tail}).")
    return network, json.loads(result.read_text(encoding="utf-8"))


def _namespaces() -> bool:
    """Whether this system lets an unprivileged user make a network namespace."""
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _classify(outcome: dict[str, Any], timeout: float) -> None:
    status = outcome.get("status")
    if status == "timeout" or float(outcome.get("seconds") or 0) > timeout:
        raise KernelCheckError(
            TIMEOUT,
            f"the notebook ran past the limit of {timeout:g} s: make features.py or the "
            "models faster (fewer folds or seeds, a smaller model), or check with a larger "
            "--timeout if Kaggle's limit is larger.",
        )
    if status == "exception":
        ename, evalue = outcome.get("ename"), str(outcome.get("evalue") or "").strip()
        raise KernelCheckError(
            THREW,
            f"{ename}: {evalue.splitlines()[0] if evalue else ''} (the executed notebook "
            "shows the cell and traceback); fix it, then `kstarter kernel build` again.",
        )


def _score_check(project: Project, found: Path, sample_path: Path) -> int:
    """What Kaggle's scorer checks first: the sample's columns and ids, one row each, no
    missing value."""
    import pandas as pd

    from kstarter.competition import validate_submission
    from kstarter.errors import SubmissionError

    try:
        sub = pd.read_csv(found, dtype={0: str})
        sample = pd.read_csv(sample_path, dtype={0: str})
    except (ValueError, OSError) as exc:
        raise KernelCheckError(
            SCORING, f"submission.csv cannot be read as a CSV ({exc})."
        ) from None
    try:
        validate_submission(sub, sample, project.spec)
    except SubmissionError as exc:
        raise KernelCheckError(SCORING, str(exc)) from None
    missing = sub.columns[sub.isna().any()].tolist()
    if missing:
        raise KernelCheckError(
            SCORING, f"submission.csv has missing values in {missing[0]!r}: Kaggle scores none."
        )
    return len(sub)


def _ids_as_text(path: Path) -> pd.DataFrame:
    import pandas as pd

    first = pd.read_csv(path, nrows=0).columns
    return pd.read_csv(path, dtype={first[0]: str} if len(first) else None)

"""Datasets and notebooks through the official client: create or version a dataset from a
folder and wait until Kaggle has processed it (``datasets create`` / ``datasets version`` /
``datasets status``), push a notebook (``kernels push``), follow its run (``kernels status``)
and fetch its output files and log (``kernels output``)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstarter.errors import KaggleError
from kstarter.kaggle_client._competitions import _poll_seconds
from kstarter.kaggle_client._core import WEB, _calling, _clean, _client, rules_url

__all__ = ["PushWait", "DatasetPush", "KernelRun", "push_dataset", "push_kernel", "follow_kernel"]

LOG_TAIL = 5  # lines of a notebook's log shown when it fails


@dataclass(frozen=True)
class PushWait:
    """How to wait for Kaggle: ``poll_seconds`` between checks (env ``KSTARTER_POLL_SECONDS``
    overrides it), at most ``timeout`` seconds, ``progress`` gets one line a check."""

    timeout: float = 3600.0
    poll_seconds: float = 10.0
    progress: Callable[[str], None] | None = None

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)


@dataclass(frozen=True)
class DatasetPush:
    ref: str  # OWNER/SLUG
    created: bool  # a new dataset (else a new version of it)
    url: str


@dataclass(frozen=True)
class KernelRun:
    """A notebook version on Kaggle: ``status`` is Kaggle's (COMPLETE, ERROR, RUNNING, ...);
    ``files`` what ``kernels output`` fetched (the log included)."""

    kernel: str  # OWNER/SLUG
    version: int
    url: str
    status: str = "QUEUED"
    files: tuple[Path, ...] = ()
    log_tail: tuple[str, ...] = ()
    failure: str | None = None  # why it ended in ERROR: Kaggle's message and the log's end


def push_dataset(folder: Path, competition: str, notes: str, wait: PushWait) -> DatasetPush:
    """Create the dataset ``folder``'s dataset-metadata.json names, or a new version of it when
    it exists, then wait until Kaggle says it is ready (it must be before a notebook can
    mount it)."""
    ref = str(_metadata(folder, "dataset-metadata.json").get("id") or "")
    subject = f"dataset {ref}"
    api = _client(competition)
    created = not _dataset_exists(api, competition, ref)
    wait.say(f"{'Creating' if created else 'Versioning'} the dataset {ref} from {folder}...")
    with _client_says(competition, subject):
        if created:
            response = api.dataset_create_new(str(folder), public=False, quiet=True)
        else:
            response = api.dataset_create_version(str(folder), notes, quiet=True)
    if response is None or response.error or str(response.status or "").lower() != "ok":
        said = _clean((response.error if response is not None else None) or "no reason given")
        raise KaggleError(
            f"Kaggle did not take the dataset {ref} ({said.rstrip('.')}): fix "
            f"{folder / 'dataset-metadata.json'} or the files beside it, then push again."
        )
    _wait_ready(api, competition, ref, wait)
    return DatasetPush(ref, created, f"{WEB}/datasets/{ref}")


def _dataset_exists(api: Any, competition: str, ref: str) -> bool:
    import requests

    with _client_says(competition, f"dataset {ref}"):
        try:
            api.dataset_status(ref)
        except requests.HTTPError as err:
            if err.response is not None and err.response.status_code == 404:
                return False
            raise
    return True


def _wait_ready(api: Any, competition: str, ref: str, wait: PushWait) -> None:
    poll, start = _poll_seconds(wait.poll_seconds), time.monotonic()
    while True:
        with _client_says(competition, f"dataset {ref}"):
            status = str(api.dataset_status(ref) or "").lower()
        waited = time.monotonic() - start
        if status == "ready":
            wait.say(f"The dataset {ref} is ready ({waited:.0f} s).")
            return
        if status in ("failed", "deleted"):
            raise KaggleError(
                f"Kaggle could not process the dataset {ref} (status {status}): look at "
                f"{WEB}/datasets/{ref}, then run `kstarter kernel push` again."
            )
        if waited >= wait.timeout:
            raise KaggleError(
                f"The dataset {ref} is still processing on Kaggle after {waited:.0f} s "
                f"(status {status or 'unknown'}): wait until {WEB}/datasets/{ref} shows it, "
                "then run `kstarter kernel push --no-dataset` to push the notebook on it."
            )
        wait.say(f"Waiting for Kaggle to process the dataset {ref}: {status} ({waited:.0f} s)...")
        time.sleep(poll)


def push_kernel(folder: Path, competition: str) -> KernelRun:
    """``kernels push`` of the notebook in ``folder`` (kernel-metadata.json beside it): a new
    version, which Kaggle queues to run."""
    ref = str(_metadata(folder, "kernel-metadata.json").get("id") or "")
    api = _client(competition)
    with _client_says(competition, f"notebook {ref}"):
        response = api.kernels_push(str(folder))
    if response is None or response.error or not response.version_number:
        said = _clean((response.error if response is not None else None) or "no version made")
        raise KaggleError(
            f"Kaggle did not take the notebook {ref} ({said.rstrip('.')}): fix "
            f"{folder / 'kernel-metadata.json'}, then push again."
        )
    _sources_attached(response, competition, ref)
    url = response.url or f"{WEB}/code/{ref}"
    return KernelRun(ref, int(response.version_number), _clean(url))


def _sources_attached(response: Any, competition: str, ref: str) -> None:
    """Kaggle saves a notebook even when it cannot attach a source (it runs without it)."""
    if response.invalid_competition_sources:
        raise KaggleError(
            f"Kaggle pushed the notebook {ref} but could not attach the competition "
            f"{', '.join(response.invalid_competition_sources)} to it: accept its rules at "
            f"{rules_url(competition)} (signed in to Kaggle), then push again."
        )
    if response.invalid_dataset_sources:
        raise KaggleError(
            f"Kaggle pushed the notebook {ref} but could not attach the dataset "
            f"{', '.join(response.invalid_dataset_sources)} to it: push it with `kstarter "
            "kernel push` (without --no-dataset), then push again."
        )


def follow_kernel(run: KernelRun, competition: str, output: Path, wait: PushWait) -> KernelRun:
    """Poll the notebook version's status until it ends (or ``wait.timeout`` passes: it is
    returned as it stands), then fetch its output files and log into ``output``.

    A run that failed (or was cancelled) comes back as ERROR with ``failure``, one sentence
    with Kaggle's failure message and the log's last lines; a failure to reach Kaggle raises."""
    poll, start = _poll_seconds(wait.poll_seconds), time.monotonic()
    label = f"{run.kernel}/{run.version}"
    subject = f"notebook {run.kernel} version {run.version}"
    api = _client(competition)
    while True:
        with _client_says(competition, subject):
            answer = api.kernels_status(label)
        status = getattr(answer.status, "name", None) or str(answer.status or "QUEUED")
        waited = time.monotonic() - start
        if status in ("COMPLETE", "ERROR", "CANCEL_REQUESTED", "CANCEL_ACKNOWLEDGED"):
            break
        if waited >= wait.timeout:
            wait.say(f"Still {status.lower()} after {waited:.0f} s; follow it at {run.url}.")
            return KernelRun(run.kernel, run.version, run.url, status)
        wait.say(f"Notebook {label}: {status.lower()} ({waited:.0f} s)...")
        time.sleep(poll)
    files = _output(api, competition, label, output)
    tail = _log_tail(files)
    if status != "COMPLETE":
        said = _clean(answer.failure_message or status.lower().replace("_", " "))
        shown = " | ".join(tail) if tail else "no log"
        failure = (
            f"The notebook {label} failed on Kaggle ({said.rstrip('.')}); its log ends: "
            f"{shown}. Fix it (`kstarter kernel check` runs it offline), then build and push "
            "again."
        )
        return KernelRun(run.kernel, run.version, run.url, "ERROR", files, tail, failure)
    wait.say(f"Notebook {label}: complete ({time.monotonic() - start:.0f} s).")
    return KernelRun(run.kernel, run.version, run.url, status, files, tail)


def _output(api: Any, competition: str, label: str, folder: Path) -> tuple[Path, ...]:
    folder.mkdir(parents=True, exist_ok=True)
    with _client_says(competition, f"notebook {label}"):
        names, _token = api.kernels_output(label, str(folder), force=True, quiet=True)
    return tuple(Path(n) for n in names)


def _log_tail(files: tuple[Path, ...]) -> tuple[str, ...]:
    """The last lines of the log ``kernels output`` saved (Kaggle's log is a JSON list of
    ``{"stream_name", "time", "data"}`` entries; plain text is read as it is)."""
    logs = [f for f in files if f.suffix == ".log" and f.is_file()]
    if not logs:
        return ()
    text = logs[0].read_text(encoding="utf-8", errors="replace")
    try:
        entries = json.loads(text)
        text = "".join(str(e.get("data", "")) for e in entries if isinstance(e, dict))
    except (ValueError, AttributeError, TypeError):
        pass
    lines = [_clean(line) for line in text.splitlines() if line.strip()]
    return tuple(lines[-LOG_TAIL:])


def _metadata(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise KaggleError(f"{path} is missing or not JSON: run `kstarter kernel build`.") from None
    return data if isinstance(data, dict) else {}


@contextmanager
def _client_says(competition: str, subject: str) -> Iterator[None]:
    """:func:`_calling`, plus the client's own refusals (a ValueError with its reason: a
    metadata field it rejects, a notebook it may not read) as one sentence."""
    with _calling(competition, subject):
        try:
            yield
        except ValueError as err:
            if type(err) is not ValueError:  # a JSON decoding error: _calling's to name
                raise
            said = _clean(str(err)).rstrip(".")
            raise KaggleError(
                f"The kaggle client refused the {subject} ({said}): fix its metadata "
                "(kstarter kernel build --owner YOUR-KAGGLE-NAME), then push again."
            ) from None

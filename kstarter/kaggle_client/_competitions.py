"""Competitions through the official client: download one, submit a file or a notebook's
output, wait for the score."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kstarter.errors import KaggleError
from kstarter.kaggle_client._core import (
    MAX_WAIT_SECONDS,
    WEB,
    _calling,
    _clean,
    _client,
    competition_url,
)

__all__ = [
    "CompetitionInfo",
    "download_competition",
    "UploadOptions",
    "SubmissionResult",
    "KaggleSubmissionError",
    "submit_file",
    "submit_code",
    "KernelOutput",
]

# --- download --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompetitionInfo:
    """What Kaggle says about a competition; None where it says nothing."""

    title: str | None
    url: str  # the competition's web page
    metric: str | None  # Kaggle's name for the evaluation metric
    deadline: str | None  # ISO 8601, UTC ("...Z")
    daily_limit: int | None  # submissions a day
    code_competition: bool  # only notebooks running on Kaggle may submit


def download_competition(slug: str, folder: Path) -> CompetitionInfo:
    """Read the competition's metadata, then download its files (one zip) into ``folder``.

    Nothing is unpacked here: the caller checks and extracts what arrived.
    """
    api = _client(slug)
    comp = _get_competition(api, slug)
    with _calling(slug):
        api.competition_download_files(slug, path=str(folder), force=True, quiet=True)
    return CompetitionInfo(
        title=comp.title or None,
        url=_web_url(slug, comp.url),
        metric=comp.evaluation_metric or None,
        deadline=_iso(comp.deadline),
        daily_limit=comp.max_daily_submissions or None,
        code_competition=bool(comp.is_kernels_submissions_only),
    )


def _get_competition(api: Any, slug: str) -> Any:
    from kagglesdk.competitions.types.competition_api_service import ApiGetCompetitionRequest

    request = ApiGetCompetitionRequest()
    request.competition_name = slug
    with _calling(slug), api.build_kaggle_client() as kaggle:
        return kaggle.competitions.competition_api_client.get_competition(request)


def _web_url(slug: str, url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return url
    if url and url.startswith("/"):
        return WEB + url
    return competition_url(slug)


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")  # the client parses Kaggle's UTC "Z" to naive


# --- submit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadOptions:
    """How to submit one file. ``description`` is what Kaggle shows beside the score;
    ``poll_seconds`` is the wait between score checks (env ``KSTARTER_POLL_SECONDS``
    overrides it); ``progress`` gets the lines shown while uploading and waiting."""

    description: str = ""
    wait: bool = True
    poll_seconds: float = 5.0
    progress: Callable[[str], None] | None = None


@dataclass(frozen=True)
class SubmissionResult:
    """Where a submission stands on Kaggle. ``status`` is COMPLETE, PENDING or ERROR; ``ref``
    is None when nothing was received; ``remaining_today`` counts this submission as used."""

    status: str
    ref: int | None = None
    public: float | None = None
    private: float | None = None
    error: str | None = None
    remaining_today: int | None = None


class KaggleSubmissionError(KaggleError):
    """A submission was attempted and failed; ``result`` is where it stands, to be recorded."""

    def __init__(self, message: str, result: SubmissionResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class _Call:
    """One submit call: the competition and where its progress lines go."""

    slug: str
    progress: Callable[[str], None]


def submit_file(slug: str, path: Path, options: UploadOptions) -> SubmissionResult:
    """Upload ``path`` (already validated) to ``slug``; wait for its score unless
    ``options.wait`` is off (then it is PENDING). Refuses when no submission is left today.

    A failed upload or an ERROR score raises :class:`KaggleSubmissionError` carrying the
    result, for the caller to record first.
    """
    poll = _poll_seconds(options.poll_seconds)
    api = _client(slug)
    remaining = _remaining_today(api, slug)
    call = _Call(slug, options.progress or (lambda _: None))
    if remaining is not None:
        call.progress(f"{remaining} submission(s) left today on {slug}; uploading {path.name}...")
    ref = _upload(api, call, path, options.description, remaining)
    left = None if remaining is None else max(remaining - 1, 0)
    if not options.wait:
        call.progress(f"Submitted as ref {ref}; not waiting for the score (--no-wait).")
        return SubmissionResult("PENDING", ref=ref, remaining_today=left)
    return _scored(api, call, ref, left, poll)


@dataclass(frozen=True)
class KernelOutput:
    """A notebook version's output file to submit to a code competition."""

    kernel: str  # OWNER/SLUG
    version: int
    file_name: str = "submission.csv"


def submit_code(slug: str, output: KernelOutput, options: UploadOptions) -> SubmissionResult:
    """Submit ``output`` (a file a notebook version wrote on Kaggle) to the code competition
    ``slug`` (``competitions submit -k OWNER/SLUG -v VERSION``), then wait for its score as
    :func:`submit_file` does. Refuses when no submission is left today."""
    poll = _poll_seconds(options.poll_seconds)
    api = _client(slug)
    remaining = _remaining_today(api, slug)
    call = _Call(slug, options.progress or (lambda _: None))
    what = f"{output.file_name} of {output.kernel} version {output.version}"
    if remaining is not None:
        call.progress(f"{remaining} submission(s) left today on {slug}; submitting {what}...")
    with _calling(slug):
        response = api.competition_submit_code(
            output.file_name,
            options.description,
            slug,
            kernel=output.kernel,
            kernel_version=int(output.version),
            quiet=True,
        )
    ref = int(response.ref or 0)
    if not ref:
        said = _clean(response.message or "no reason given")
        raise KaggleError(
            f"Kaggle did not take {what} ({said}), so nothing was submitted: check the "
            "notebook version on Kaggle, then run `kstarter submit --kernel` again."
        )
    left = None if remaining is None else max(remaining - 1, 0)
    if not options.wait:
        call.progress(f"Submitted as ref {ref}; not waiting for the score (--no-wait).")
        return SubmissionResult("PENDING", ref=ref, remaining_today=left)
    return _scored(api, call, ref, left, poll)


def _poll_seconds(default: float) -> float:
    text = os.environ.get("KSTARTER_POLL_SECONDS")
    try:
        return max(float(text), 0.0) if text else float(default)
    except ValueError:
        raise KaggleError(
            f"KSTARTER_POLL_SECONDS={text!r} is not a number of seconds: set it to e.g. 5, "
            "or unset it."
        ) from None


def _remaining_today(api: Any, slug: str) -> int | None:
    """Submissions left today; refuses when none are. None when Kaggle does not say."""
    with _calling(slug):
        limits = api.competition_get_submission_limits(slug)
    allowed, today, total = limits.num_allowed_now, limits.num_today, limits.num_total
    if not (allowed or today or total or limits.limited_by_total):
        return None  # all zero: not on a team yet; the upload itself will say why
    if allowed <= 0:
        raise KaggleError(_none_left(slug, today, bool(limits.limited_by_total)))
    return int(allowed)


def _none_left(slug: str, today: int, by_total: bool) -> str:
    if by_total:
        return (
            f"No submissions left on {slug}: your team has reached the competition's lifetime "
            "limit, so Kaggle takes no more from you."
        )
    if today:
        return (
            f"No submissions left on {slug}: you have used all {today} allowed today; Kaggle "
            "resets the daily count at 00:00 UTC, so submit again after that."
        )
    return (
        f"Kaggle takes no submissions to {slug} now (none left and none used today): check "
        f"whether the competition still accepts them at {competition_url(slug)}."
    )


def _upload(api: Any, call: _Call, path: Path, description: str, remaining: int | None) -> int:
    with _calling(call.slug):
        response = api.competition_submit(str(path), description, call.slug, quiet=True)
    ref = int(response.ref or 0)
    if ref:
        return ref
    said = _clean(response.message or "no reason given")
    result = SubmissionResult("ERROR", error=f"upload failed: {said}", remaining_today=remaining)
    raise KaggleSubmissionError(
        f"The upload of {path.name} to Kaggle failed ({said}), so nothing was submitted: "
        "check your connection and run `kstarter submit` again.",
        result,
    )


def _scored(api: Any, call: _Call, ref: int, left: int | None, poll: float) -> SubmissionResult:
    try:
        answer = _wait_for_score(api, call, ref, poll)
    except KaggleError as err:
        pending = SubmissionResult("PENDING", ref=ref, remaining_today=left)
        raise KaggleSubmissionError(
            f"Submitted as ref {ref}, but its score could not be fetched: {err}", pending
        ) from None
    status = _status(answer)
    if status == "ERROR":
        said = _clean(answer.error_description or "no reason given")
        failed = SubmissionResult("ERROR", ref=ref, error=said, remaining_today=left)
        raise KaggleSubmissionError(
            f"Kaggle could not score submission {ref}: {said.rstrip('.')}. Fix the run's "
            "submission.csv and submit again.",
            failed,
        )
    if status != "COMPLETE":
        call.progress(f"Still not scored; recorded as PENDING with ref {ref}.")
        return SubmissionResult("PENDING", ref=ref, remaining_today=left)
    return SubmissionResult(
        "COMPLETE",
        ref=ref,
        public=_score(answer.public_score),
        private=_score(answer.private_score),
        remaining_today=left,
    )


def _wait_for_score(api: Any, call: _Call, ref: int, poll: float) -> Any:
    """Poll GetSubmission until it leaves PENDING or MAX_WAIT_SECONDS pass.

    Ctrl-C stops the wait, not the submission: the last answer (or None) is returned, so the
    submission is still recorded as PENDING with its ref.
    """
    from kagglesdk.competitions.types.competition_api_service import ApiGetSubmissionRequest

    request = ApiGetSubmissionRequest()
    request.ref = ref
    start, result = time.monotonic(), None
    try:
        with api.build_kaggle_client() as kaggle:
            while True:
                with _calling(call.slug):
                    result = kaggle.competitions.competition_api_client.get_submission(request)
                waited = time.monotonic() - start
                if _status(result) != "PENDING" or waited >= MAX_WAIT_SECONDS:
                    return result
                call.progress(f"Waiting for Kaggle to score submission {ref} ({waited:.0f} s)...")
                time.sleep(poll)
    except KeyboardInterrupt:
        call.progress(f"Stopped waiting; submission {ref} stays PENDING on Kaggle.")
        return result


def _status(result: Any) -> str:
    status = getattr(result, "status", None)
    return getattr(status, "name", None) or "PENDING"


def _score(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None

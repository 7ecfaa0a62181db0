"""Kaggle through the official ``kaggle`` client: download a competition, submit and wait.

This is the only module that touches the client and its exceptions. Every call to it runs
inside :func:`_calling`, the one place that turns what the client raises (``requests`` errors,
``SystemExit`` from ``authenticate()``, unreadable answers) into a
:class:`~kstarter.errors.KaggleError` sentence, and that keeps the client's own chatter (auth
help, progress bars, chmod warnings) off kstarter's stdout and stderr.

The API key is never printed, logged or written: messages are built from status codes and
Kaggle's own error text, with any secret and any URL query or user-info removed.

The client is imported lazily and without running ``kaggle/__init__.py``, which authenticates
at import time (printing help or calling the network): see :func:`_import_client`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.competition import Meta
from kstarter.errors import KaggleError

if TYPE_CHECKING:
    from kstarter.config import Project
    from kstarter.runs import RunRecord
    from kstarter.submit import SubmitOptions

__all__ = [
    "KaggleSource",
    "KaggleSubmissionError",
    "submit_to_kaggle",
    "competition_slug",
    "competition_url",
    "rules_url",
    "MAX_WAIT_SECONDS",
]

WEB = "https://www.kaggle.com"
_SECRETS: set[str] = set()  # the key and token in use, removed from any text kstarter shows
MAX_WAIT_SECONDS = 1800.0  # stop waiting for a score after this long; it stays PENDING
_SETTINGS = f"{WEB}/settings/api"
_NO_CREDENTIALS = (
    f"No Kaggle credentials found: create an API token at {_SETTINGS} and save it as "
    "~/.kaggle/access_token (or set KAGGLE_API_TOKEN), or use a kaggle.json key in ~/.kaggle "
    "(chmod 600) or KAGGLE_USERNAME and KAGGLE_KEY, then run again."
)


class KaggleSubmissionError(KaggleError):
    """A submission was attempted and failed; ``entry`` records the attempt on the run."""

    def __init__(self, message: str, entry: dict[str, Any]) -> None:
        super().__init__(message)
        self.entry = entry


def competition_url(slug: str) -> str:
    return f"{WEB}/competitions/{slug}"


def rules_url(slug: str) -> str:
    return f"{competition_url(slug)}/rules"


def competition_slug(source: str, name: str) -> str:
    """The Kaggle name of a project's competition: ``kaggle/<slug>`` sources, else its name."""
    return source.split("/", 1)[1] if source.startswith("kaggle/") else name


# --- init ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KaggleSource:
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        """Read the competition's metadata, then download and safely unpack its files."""
        api = _client(self.name)
        comp = _get_competition(api, self.name)
        _download(api, self.name, data_dir)
        return _meta(self.name, comp)


def _get_competition(api: Any, slug: str) -> Any:
    from kagglesdk.competitions.types.competition_api_service import ApiGetCompetitionRequest

    request = ApiGetCompetitionRequest()
    request.competition_name = slug
    with _calling(slug), api.build_kaggle_client() as kaggle:
        return kaggle.competitions.competition_api_client.get_competition(request)


def _download(api: Any, slug: str, data_dir: Path) -> None:
    """Download into a hidden folder beside ``data_dir``; it goes away whatever happens."""
    from kstarter.sources import is_archive, safe_extract, unwrap_nested

    tmp = Path(tempfile.mkdtemp(prefix=".kaggle-download-", dir=data_dir.parent))
    try:
        with _calling(slug):
            api.competition_download_files(slug, path=str(tmp), force=True, quiet=True)
        got = sorted(p for p in tmp.iterdir() if not p.name.endswith(".kaggle-partial"))
        if len(got) != 1 or not is_archive(got[0]):
            names = ", ".join(p.name for p in got) or "nothing"
            raise KaggleError(
                f"Kaggle's download of {slug} gave {names}, not one zip archive: download it "
                f"by hand from {competition_url(slug)}/data and run `kstarter init` on the zip."
            )
        safe_extract(got[0], data_dir)
        unwrap_nested(data_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _meta(slug: str, comp: Any) -> Meta:
    return Meta(
        name=slug,
        source=f"kaggle/{slug}",
        title=comp.title or None,
        url=_web_url(slug, comp.url),
        metric=comp.evaluation_metric or None,
        deadline=_iso(comp.deadline),
        daily_limit=comp.max_daily_submissions or None,
        code_competition=bool(comp.is_kernels_submissions_only),
    )


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
class _Submission:
    """Where one submit call stands: what the entry needs besides the final status."""

    slug: str
    base: dict[str, Any]
    progress: Callable[[str], None]


def submit_to_kaggle(
    project: Project, run: RunRecord, path: Path, options: SubmitOptions
) -> dict[str, Any]:
    """Upload ``path`` (already validated), wait for its score unless ``options.wait`` is off.

    Returns the entry to record. A failed upload or an ERROR score raises
    :class:`KaggleSubmissionError` carrying the entry, for the caller to record first.
    """
    spec = project.spec
    slug = competition_slug(spec.source, spec.name)
    if spec.code_competition:
        raise KaggleError(
            f"{spec.title or slug} is a code competition: Kaggle only takes submissions made "
            f"by a notebook running on Kaggle, so submit through a notebook at "
            f"{competition_url(slug)}/code instead of uploading {path.name}."
        )
    poll = _poll_seconds(options)
    api = _client(slug)
    remaining = _remaining_today(api, slug)
    sub = _Submission(slug, _base_entry(options, run), options.progress or (lambda _: None))
    if remaining is not None:
        sub.progress(f"{remaining} submission(s) left today on {slug}; uploading {path.name}...")
    ref = _upload(api, sub, path, remaining)
    left = None if remaining is None else max(remaining - 1, 0)
    if not options.wait:
        sub.progress(f"Submitted as ref {ref}; not waiting for the score (--no-wait).")
        return _entry(sub, "PENDING", ref=ref, remaining_today=left)
    return _scored(api, sub, ref, left, poll)


def _base_entry(options: SubmitOptions, run: RunRecord) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "message": options.message,
        "description": _description(options.message, run),
        "where": "kaggle",
        "cv": run.metrics.cv_mean,
    }


def _entry(sub: _Submission, status: str, **fields: Any) -> dict[str, Any]:
    entry = {**sub.base, "competition": sub.slug, "status": status, "ref": None}
    entry.update({"public": None, "private": None, "error": None, "remaining_today": None})
    entry.update(fields)
    return entry


def _description(message: str, run: RunRecord) -> str:
    """What Kaggle shows beside the score: the message, the run id and its CV score."""
    parts = [message.strip()] if message.strip() else []
    parts.append(f"run {run.id}")
    cv, metric = run.metrics.cv_mean, run.metrics.metric
    if isinstance(cv, int | float):
        parts.append(" ".join(str(p) for p in ("CV", metric, f"{cv:.5f}") if p))
    return " | ".join(parts)


def _poll_seconds(options: SubmitOptions) -> float:
    text = os.environ.get("KSTARTER_POLL_SECONDS")
    try:
        return max(float(text), 0.0) if text else float(options.poll_seconds)
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


def _upload(api: Any, sub: _Submission, path: Path, remaining: int | None) -> int:
    with _calling(sub.slug):
        response = api.competition_submit(str(path), sub.base["description"], sub.slug, quiet=True)
    ref = int(response.ref or 0)
    if ref:
        return ref
    said = _clean(response.message or "no reason given")
    entry = _entry(sub, "ERROR", error=f"upload failed: {said}", remaining_today=remaining)
    raise KaggleSubmissionError(
        f"The upload of {path.name} to Kaggle failed ({said}), so nothing was submitted: "
        "check your connection and run `kstarter submit` again.",
        entry,
    )


def _scored(api: Any, sub: _Submission, ref: int, left: int | None, poll: float) -> dict[str, Any]:
    try:
        result = _wait_for_score(api, sub, ref, poll)
    except KaggleError as err:
        entry = _entry(sub, "PENDING", ref=ref, remaining_today=left)
        raise KaggleSubmissionError(
            f"Submitted as ref {ref}, but its score could not be fetched: {err}", entry
        ) from None
    status = _status(result)
    if status == "ERROR":
        said = _clean(result.error_description or "no reason given")
        entry = _entry(sub, "ERROR", ref=ref, error=said, remaining_today=left)
        raise KaggleSubmissionError(
            f"Kaggle could not score submission {ref}: {said.rstrip('.')}. Fix the run's "
            "submission.csv and submit again.",
            entry,
        )
    if status != "COMPLETE":
        sub.progress(f"Still not scored; recorded as PENDING with ref {ref}.")
        return _entry(sub, "PENDING", ref=ref, remaining_today=left)
    public, private = _score(result.public_score), _score(result.private_score)
    return _entry(sub, "COMPLETE", ref=ref, public=public, private=private, remaining_today=left)


def _wait_for_score(api: Any, sub: _Submission, ref: int, poll: float) -> Any:
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
                with _calling(sub.slug):
                    result = kaggle.competitions.competition_api_client.get_submission(request)
                waited = time.monotonic() - start
                if _status(result) != "PENDING" or waited >= MAX_WAIT_SECONDS:
                    return result
                sub.progress(f"Waiting for Kaggle to score submission {ref} ({waited:.0f} s)...")
                time.sleep(poll)
    except KeyboardInterrupt:
        sub.progress(f"Stopped waiting; submission {ref} stays PENDING on Kaggle.")
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


# --- the client and the one place its errors are translated -------------------------------


def _client(slug: str) -> Any:
    """An authenticated ``KaggleApi``, from the client's own credential sources."""
    with _calling(slug):
        api = _import_client()()
        api.authenticate()
    values = getattr(api, "config_values", {}) or {}
    _SECRETS.update(str(values[k]) for k in ("key", "token") if values.get(k))
    return api


def _import_client() -> type:
    """``KaggleApi`` without running ``kaggle/__init__.py`` (which authenticates at import)."""
    import sys

    if "kaggle" not in sys.modules:
        import importlib.metadata
        import importlib.util
        import types

        found = importlib.util.find_spec("kaggle")
        if found is None or not found.submodule_search_locations:
            raise KaggleError("The kaggle client is not installed: run `pip install kaggle`.")
        package = types.ModuleType("kaggle")
        package.__path__ = list(found.submodule_search_locations)
        package.__version__ = importlib.metadata.version("kaggle")  # type: ignore[attr-defined]
        sys.modules["kaggle"] = package
    from kaggle.api.kaggle_api_extended import KaggleApi

    return KaggleApi


@contextlib.contextmanager
def _calling(slug: str) -> Iterator[None]:
    """Run client code silently; turn whatever it raises into one KaggleError sentence."""
    import requests

    quiet_out, quiet_err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet_out), contextlib.redirect_stderr(quiet_err):
            yield
    except KaggleError:
        raise
    except SystemExit as exit_:
        if exit_.code != 1:  # not authenticate()'s exit(1): e.g. SIGTERM turned into an exit
            raise
        raise KaggleError(_NO_CREDENTIALS) from None
    except ImportError as err:
        raise KaggleError(
            f"The kaggle client cannot be imported ({_clean(str(err))}): reinstall it with "
            "`pip install --force-reinstall kaggle six`."
        ) from None
    except requests.HTTPError as err:
        raise KaggleError(_http_message(err, slug)) from None
    except (requests.ConnectionError, requests.Timeout) as err:
        raise KaggleError(_network_message(err)) from None
    except (requests.RequestException, ValueError, KeyError, TypeError) as err:
        raise KaggleError(
            f"Kaggle sent an answer kstarter cannot read ({type(err).__name__}): try again "
            "later; if it keeps happening, upgrade the client with `pip install -U kaggle`."
        ) from None


def _http_message(err: Any, slug: str) -> str:
    response = err.response
    status = response.status_code if response is not None else 0
    said = _server_text(err)
    low = said.lower()
    if status == 401:
        return (
            "Kaggle did not accept your credentials (HTTP 401): check the username and key in "
            "~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY (a stale KAGGLE_API_TOKEN also "
            f"causes this; make a new token at {_SETTINGS}), then run again."
        )
    if status == 403 and ("rules" in low or "participate" in low):
        return (
            f"You have not accepted the rules of {slug}: accept them at {rules_url(slug)} "
            "(signed in to Kaggle), then run again."
        )
    if status == 404 or (status == 403 and "competitions.get" in low):
        return (
            f"Kaggle has no competition named {slug!r} (HTTP {status}): check the name in the "
            f"competition's address, {WEB}/competitions/<name>."
        )
    if status == 403:
        return (
            f"Kaggle refused access to {slug} (HTTP 403{': ' + said if said else ''}): join the "
            f"competition and accept its rules at {rules_url(slug)}, then run again."
        )
    if status == 429:
        return (
            f"Kaggle is limiting your requests (HTTP 429): wait {_retry_after(response)} "
            "and run again."
        )
    if status >= 500:
        return f"Kaggle had a server error (HTTP {status}): try again in a few minutes."
    detail = f": {said}" if said else ""
    return f"Kaggle refused the request (HTTP {status}{detail}): check {competition_url(slug)}."


def _server_text(err: Any) -> str:
    """Kaggle's own error message; not requests' "<status> Client Error ... for url" text."""
    text = str(err.args[0]) if err.args else ""
    if re.match(r"^\d{3} (Client|Server) Error", text):
        return ""
    return _clean(text).rstrip(".")


def _retry_after(response: Any) -> str:
    value = (response.headers.get("Retry-After") or "").strip() if response is not None else ""
    if value.isdigit():
        return f"{value} seconds"
    return "a minute"


def _network_message(err: Exception) -> str:
    import requests

    text = str(err).lower()
    if isinstance(err, requests.Timeout) or "timed out" in text:
        reason = "the connection timed out"
    elif any(s in text for s in ("name resolution", "not known", "getaddrinfo", "servname")):
        reason = "its address could not be resolved"
    elif "refused" in text:
        reason = "the connection was refused"
    else:
        reason = "the connection failed"
    via = " through your proxy (HTTP_PROXY/HTTPS_PROXY)" if "proxy" in text else ""
    return (
        f"Cannot reach Kaggle{via}: {reason}. Check your internet connection and proxy "
        "settings, then run again."
    )


def _clean(text: str, limit: int = 200) -> str:
    """One line of server or client text with secrets, URL queries and user-info removed."""
    env = (os.environ.get(n) for n in ("KAGGLE_KEY", "KAGGLE_API_TOKEN"))
    for secret in sorted(_SECRETS.union(e for e in env if e), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    text = re.sub(r"(https?://)[^/\s@]*@", r"\1", text)  # user:key@host
    text = re.sub(r"(https?://[^\s?#]+)[?#]\S*", r"\1", text)  # signed query strings
    text = re.sub(r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*)['\"]?[^,'\"}\n]+", r"\1***", text)
    text = re.sub(r"\b(Bearer|Basic)\s+[A-Za-z0-9+/=._-]{8,}", r"\1 ***", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."

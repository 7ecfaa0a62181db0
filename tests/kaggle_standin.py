"""A stand-in for the Kaggle API on 127.0.0.1, to drive the real ``kaggle`` client in tests.

It answers the routes, payloads and redirects of /work/shared/KAGGLE-API.md (sections 3-6) as
the official client 2.2.5 + kagglesdk 0.1.38 sends them, for a few competitions made from
kstarter's practice data, and scores uploads against the practice answer key's Public rows like
a public leaderboard.

How the client is pointed at it from a subprocess (checked against the installed client):
``KAGGLE_API_ENVIRONMENT=LOCALHOST`` makes ``KaggleApi`` (its class attribute ``args`` gets
``--local`` at import) call ``http://localhost/api/v1/<service>/<Method>`` on port 80, and
``HTTP_PROXY``/``http_proxy=http://127.0.0.1:PORT`` (with no ``NO_PROXY``/``no_proxy`` naming
localhost) makes requests send those calls to this server in absolute form
(``POST http://localhost/api/v1/... HTTP/1.1``, ``Host: localhost``). So the server parses the
target with ``urlsplit(self.path).path`` and builds redirect and upload URLs from ``Host``,
which go through the proxy again. :meth:`StandIn.env` gives those variables. Nothing here
listens anywhere but 127.0.0.1, and the server stops when the ``with`` block ends.

Code competitions (``kstarter kernel push`` and ``kstarter submit --kernel``), as the client
calls them (``kaggle/api/kaggle_api_extended.py`` and kagglesdk 0.1.38's service and type
modules), each ``POST /v1/<service>/<Method>`` with a camelCase JSON body:

- ``datasets.DatasetApiService/GetDatasetStatus`` ``{ownerSlug, datasetSlug}`` ->
  ``{"status": "READY"}`` (DatabundleVersionStatus names; ``BLOBS_RECEIVED`` on the first poll
  after a push, then READY) or 404 for a dataset never created. ``dataset_create_new`` calls
  it first and refuses a slug in use, so kstarter versions an existing one.
- ``blobs.BlobApiService/StartBlobUpload`` ``{type: "DATASET", name, contentLength,
  lastModifiedEpochSeconds}`` -> ``{token, createUrl}``; the file is then PUT to createUrl
  (the same upload route as submissions: raw bytes, 200).
- ``datasets.DatasetApiService/CreateDataset`` ``{ownerSlug, slug, title, licenseName,
  isPrivate, files: [{token}]}`` and ``CreateDatasetVersion`` ``{ownerSlug, datasetSlug, body:
  {versionNotes, files: [{token}]}}`` -> ``{"ref", "url", "status": "ok"}`` (the client
  checks ``status == "ok"``; a refusal is ``{"status": "error", "error": ...}``).
- ``kernels.KernelsApiService/SaveKernel`` ``{slug: OWNER/SLUG, newTitle, text, language,
  kernelType, isPrivate, enableInternet, datasetDataSources, competitionDataSources,
  dockerImage, ...}`` -> ``{"ref", "url", "versionNumber", "kernelId"}``, or ``{"error": ...}``
  for a dataset source that does not exist; a competition whose rules are not accepted is
  left out and named in ``invalidCompetitionSources`` (the version is saved all the same).
- ``kernels.KernelsApiService/GetKernelSessionStatus`` ``{userName, kernelSlug, versionLabel:
  "v<N>"}`` -> ``{"status": "RUNNING"}`` on the first poll, then ``COMPLETE`` (or ``ERROR``
  with ``failureMessage``; KernelWorkerStatus names).
- ``kernels.KernelsApiService/ListKernelSessionOutput`` (``kernels output`` and ``kernels
  logs``) ``{userName, kernelSlug, versionLabel, pageSize}`` -> ``{"files": [{"fileName",
  "url"}], "log": "<JSON list of {stream_name, time, data}>"}``; the client GETs each url
  without auth (``GET /outputs/<owner>/<slug>/<version>/<file>``).
- ``competitions.CompetitionApiService/CreateCodeSubmission`` ``{competitionName,
  kernelOwner, kernelSlug, kernelVersion, fileName, submissionDescription}`` ->
  ``{"message", "ref"}``, then scored like an upload (the output file against the Public rows).
  A notebook's output is ``standin.kernel_output`` (bytes; default the sample submission).

Failures are chosen with ``standin.fail = <one of FAILURES>``; a network failure is a client
pointed at :func:`closed_port` instead.

The contract suites call the client inside the test process: :func:`client_in_process` sets the
same variables there and imports the client afresh (it reads them at import).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import os
import socket
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

USERNAME = "standin-user"
KEY = "k3y-SECRET-0123456789abcdef"
TOKEN = "tok-SECRET-fedcba9876543210"  # an access token the stand-in accepts (Bearer)

FAILURES = (
    "401",  # every call: 401 with a non-JSON body, as for bad credentials
    "rules",  # download and submit: 403, rules not accepted
    "unknown",  # the competition: 404
    "denied",  # the competition: 403 "Permission 'competitions.get' was denied"
    "429",  # every call: 429 with Retry-After
    "upload",  # the upload PUT: 403
    "score-error",  # scoring ends in ERROR with an errorDescription
    "no-submissions-left",  # GetSubmissionLimits: none allowed now
    "dataset-processing",  # GetDatasetStatus: BLOBS_RECEIVED forever after a push
    "kernel-error",  # GetKernelSessionStatus: ERROR, and a log ending in a traceback
)
RULES_DOWNLOAD = "You must accept this competition's rules before you'll be able to download files."
RULES_SUBMIT = "You cannot submit until you accept the competition rules"
DENIED = "Permission 'competitions.get' was denied"
SCORE_ERROR = "Evaluation Exception: Submission must have the column 'HeartDisease' as bool"
RETRY_AFTER = 30
_SERVICE = "competitions.CompetitionApiService"
_SERVICES = (
    _SERVICE,
    "datasets.DatasetApiService",
    "blobs.BlobApiService",
    "kernels.KernelsApiService",
)
KERNEL_FAILURE = "Your notebook hit an unhandled error while executing"
KERNEL_LOG_ERROR = "ModuleNotFoundError: No module named 'missing_package'"


@dataclass(frozen=True)
class Competition:
    slug: str
    practice: str  # the practice competition that provides its files and answer key
    title: str
    metric: str  # Kaggle's evaluationMetric text
    code: bool = False
    daily: int = 5
    deadline: str = "2030-01-07T23:59:00Z"

    def api(self, index: int) -> dict[str, Any]:
        """ApiCompetition as the service sends it (camelCase, defaults left out)."""
        url = f"https://www.kaggle.com/competitions/{self.slug}"  # a string, never fetched
        out = {
            "id": 90000 + index,
            "ref": url,
            "title": self.title,
            "url": url,
            "category": "Playground",
            "reward": "Knowledge",
            "deadline": self.deadline,
            "enabledDate": "2026-01-01T00:00:00Z",
            "maxDailySubmissions": self.daily,
            "maxTeamSize": 3,
            "evaluationMetric": self.metric,
            "isKernelsSubmissionsOnly": self.code,
            "organizationName": "kstarter tests",
        }
        return {k: v for k, v in out.items() if v not in (False, 0, "", None)}


COMPETITIONS = {
    c.slug: c
    for c in (
        Competition(
            "adult-income",
            "adult-income",
            "Adult Census Income",
            "Area Under Receiver Operating Characteristic Curve",
        ),
        Competition(
            "heart-disease", "heart-disease", "Heart Disease (Cleveland)", "Categorization Accuracy"
        ),
        Competition(
            "custom-metric", "breast-cancer", "Breast Cancer, Custom", "Weighted Custom Score"
        ),
        Competition(
            "code-only",
            "breast-cancer",
            "Breast Cancer, Code Only",
            "Matthews Correlation Coefficient",
            code=True,
        ),
    )
}


@functools.cache
def competition_zip(practice: str) -> bytes:
    """The competition's files as Kaggle serves them: one zip, files at its root."""
    from kstarter.sources import build

    with tempfile.TemporaryDirectory() as tmp:
        build(practice, Path(tmp))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).iterdir()):
                zf.write(path, path.name)
    return buf.getvalue()


@functools.cache
def _scoring(practice: str) -> tuple[Any, Any]:
    """The spec kstarter infers for the practice data, and its answer key."""
    from kstarter.competition import Meta, Overrides, inspect_competition
    from kstarter.sources import answer_key, build, get_practice

    with tempfile.TemporaryDirectory() as tmp:
        build(practice, Path(tmp))
        meta = Meta(
            name=practice, source=f"practice/{practice}", metric=get_practice(practice).metric
        )
        spec = inspect_competition(Path(tmp), meta, Overrides()).spec
    return spec, answer_key(practice)


def public_score(practice: str, data: bytes) -> float:
    """The public leaderboard score of an uploaded CSV (raises if it cannot be scored)."""
    import pandas as pd

    from kstarter.leaderboards import score_against_key

    spec, key = _scoring(practice)
    public, _private = score_against_key(spec, pd.read_csv(io.BytesIO(data)), key)
    return public


@dataclass
class Submission:
    ref: int
    slug: str
    description: str
    data: bytes
    final: dict[str, Any]  # what polls see once scoring is done
    polls: int = 0

    def api(self) -> dict[str, Any]:
        self.polls += 1
        base = {
            "ref": self.ref,
            "totalBytes": len(self.data),
            "date": "2026-11-25T12:00:00Z",
            "description": self.description,
            "fileName": "submission.csv",
            "submittedBy": USERNAME,
            "teamName": USERNAME,
            "status": "PENDING",
            "publicScore": "",
            "privateScore": "",
        }
        return base if self.polls == 1 else {**base, **self.final}  # first poll: still PENDING


@dataclass
class Dataset:
    """A dataset pushed to the stand-in: each version's file names and contents."""

    ref: str
    versions: list[dict[str, bytes]] = field(default_factory=list)
    polls: int = 0  # status checks since the last version


@dataclass
class StandIn:
    """``with StandIn() as kaggle:`` serves on 127.0.0.1:<free port> until the block ends."""

    fail: str | None = None
    calls: list[str] = field(default_factory=list)  # "GetCompetition", "PUT upload", ...
    uploads: dict[str, bytes] = field(default_factory=dict)
    submissions: dict[int, Submission] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)  # "owner/slug" -> versions
    kernels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # SaveKernel bodies
    kernel_output: bytes | None = None  # what every notebook writes; None: the sample
    blob_names: dict[str, str] = field(default_factory=dict)  # upload token -> file name
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> StandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """What points the real client at this server (remove NO_PROXY/no_proxy too)."""
        return {
            "KAGGLE_API_ENVIRONMENT": "LOCALHOST",
            "HTTP_PROXY": self.url,
            "http_proxy": self.url,
        }

    def last(self) -> Submission:
        return self.submissions[max(self.submissions)]

    # --- the API ---------------------------------------------------------------------------

    def answer(self, method: str, body: dict[str, Any], host: str) -> _Reply:
        with self._lock:
            self.calls.append(method)
            if self.fail == "429":
                return _Reply.error(429, "Too many requests.", {"Retry-After": str(RETRY_AFTER)})
            handler = getattr(self, f"_{method}", None)
            if handler is None:
                return _Reply.error(404, f"No such method {method}.")
            return handler(body, host)

    def _competition(self, body: dict[str, Any]) -> Competition | _Reply:
        comp = COMPETITIONS.get(body.get("competitionName", ""))
        if self.fail == "denied":
            return _Reply.error(403, DENIED)
        if comp is None or self.fail == "unknown":
            return _Reply.error(404, "Competition not found.")
        return comp

    def _GetCompetition(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        return _Reply.json(comp.api(list(COMPETITIONS).index(comp.slug)))

    def _DownloadDataFiles(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        if self.fail == "rules":
            return _Reply.error(403, RULES_DOWNLOAD)
        location = f"http://{host}/blobs/{comp.slug}/{comp.slug}.zip?X-Goog-Signature=standin"
        return _Reply(302, b"", {"Location": location})

    def _GetSubmissionLimits(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        if self.fail == "rules":
            return _Reply.json({})  # not on a team yet: all zero, left out
        used = sum(1 for s in self.submissions.values() if s.slug == comp.slug)
        if self.fail == "no-submissions-left":
            used = comp.daily
        limits = {"numToday": used, "numTotal": used, "numAllowedNow": comp.daily - used}
        return _Reply.json({k: v for k, v in limits.items() if v})

    def _StartSubmissionUpload(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        if self.fail == "rules":
            return _Reply.error(403, RULES_SUBMIT)
        token = f"blob-{len(self.uploads) + 1}"
        self.uploads[token] = b""
        return _Reply.json({"token": token, "createUrl": f"http://{host}/upload/{token}"})

    def _CreateSubmission(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        data = self.uploads.get(body.get("blobFileTokens", ""))
        if not data:
            return _Reply.error(400, "The submission file was not uploaded.")
        ref = 50000001 + len(self.submissions)
        text = body.get("submissionDescription", "")
        self.submissions[ref] = Submission(ref, comp.slug, text, data, self._score(comp, data))
        return _Reply.json({"message": f"Successfully submitted to {comp.title}", "ref": ref})

    def _score(self, comp: Competition, data: bytes) -> dict[str, Any]:
        if self.fail == "score-error":
            return {"status": "ERROR", "errorDescription": SCORE_ERROR}
        try:
            score = public_score(comp.practice, data)
        except Exception as err:  # a real leaderboard reports it as an ERROR submission
            return {"status": "ERROR", "errorDescription": f"Evaluation Exception: {err}"}
        return {"status": "COMPLETE", "publicScore": f"{score:.5f}", "privateScore": ""}

    def _GetSubmission(self, body: dict[str, Any], host: str) -> _Reply:
        sub = self.submissions.get(int(body.get("ref", 0)))
        if sub is None:
            return _Reply.error(404, "Submission not found.")
        return _Reply.json(sub.api())

    def _ListSubmissions(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        subs = sorted(self.submissions.items(), reverse=True)
        listed = [s.api() for _, s in subs if s.slug == comp.slug]
        return _Reply.json({"submissions": listed, "nextPageToken": ""})

    # --- datasets, blobs, kernels, code submissions ----------------------------------------

    def _GetDatasetStatus(self, body: dict[str, Any], host: str) -> _Reply:
        ref = f"{body.get('ownerSlug', '')}/{body.get('datasetSlug', '')}"
        dataset = self.datasets.get(ref)
        if dataset is None:
            return _Reply.error(404, f"Dataset {ref} not found.")
        dataset.polls += 1
        ready = self.fail != "dataset-processing" and dataset.polls > 1
        return _Reply.json({"status": "READY" if ready else "BLOBS_RECEIVED"})

    def _StartBlobUpload(self, body: dict[str, Any], host: str) -> _Reply:
        token = f"blob-{len(self.uploads) + 1}"
        self.uploads[token] = b""
        self.blob_names[token] = str(body.get("name", ""))
        return _Reply.json({"token": token, "createUrl": f"http://{host}/upload/{token}"})

    def _files(self, files: list[dict[str, Any]]) -> dict[str, bytes] | _Reply:
        out = {}
        for item in files:
            token = item.get("token", "")
            if token not in self.uploads or token not in self.blob_names:
                return _Reply.error(400, f"Unknown blob token {token}.")
            out[self.blob_names[token]] = self.uploads[token]
        return out

    def _CreateDataset(self, body: dict[str, Any], host: str) -> _Reply:
        ref = f"{body.get('ownerSlug', '')}/{body.get('slug', '')}"
        if ref in self.datasets:
            return _Reply.json({"status": "error", "error": f"The slug {ref} is in use."})
        files = self._files(body.get("files", []))
        if isinstance(files, _Reply):
            return files
        self.datasets[ref] = Dataset(ref, [files])
        return _Reply.json(
            {"ref": ref, "url": f"https://www.kaggle.com/datasets/{ref}", "status": "ok"}
        )

    def _CreateDatasetVersion(self, body: dict[str, Any], host: str) -> _Reply:
        ref = f"{body.get('ownerSlug', '')}/{body.get('datasetSlug', '')}"
        dataset = self.datasets.get(ref)
        if dataset is None:
            return _Reply.error(404, f"Dataset {ref} not found.")
        files = self._files(body.get("body", {}).get("files", []))
        if isinstance(files, _Reply):
            return files
        dataset.versions.append(files)
        dataset.polls = 0
        return _Reply.json(
            {"ref": ref, "url": f"https://www.kaggle.com/datasets/{ref}", "status": "ok"}
        )

    def _SaveKernel(self, body: dict[str, Any], host: str) -> _Reply:
        ref = str(body.get("slug", ""))
        missing = [d for d in body.get("datasetDataSources", []) if d not in self.datasets]
        if missing:
            return _Reply.json({"error": f"Dataset source {missing[0]} was not found."})
        versions = self.kernels.setdefault(ref, [])
        versions.append({**body, "polls": 0})
        url = f"https://www.kaggle.com/code/{ref}"
        saved: dict[str, Any] = {
            "ref": f"/code/{ref}", "url": url, "versionNumber": len(versions), "kernelId": 7001,
        }  # fmt: skip
        if self.fail == "rules":  # saved, but without the competition's data
            saved["invalidCompetitionSources"] = body.get("competitionDataSources", [])
        return _Reply.json(saved)

    def _kernel_version(self, body: dict[str, Any]) -> tuple[str, int, dict[str, Any]] | _Reply:
        ref = f"{body.get('userName', '')}/{body.get('kernelSlug', '')}"
        versions = self.kernels.get(ref, [])
        label = str(body.get("versionLabel") or f"v{len(versions)}")
        number = int(label.removeprefix("v")) if label.removeprefix("v").isdigit() else 0
        if not 1 <= number <= len(versions):
            return _Reply.error(404, f"Kernel {ref} version {label} not found.")
        return ref, number, versions[number - 1]

    def _GetKernelSessionStatus(self, body: dict[str, Any], host: str) -> _Reply:
        found = self._kernel_version(body)
        if isinstance(found, _Reply):
            return found
        version = found[2]
        version["polls"] += 1
        if version["polls"] == 1:
            return _Reply.json({"status": "RUNNING"})
        if self.fail == "kernel-error":
            return _Reply.json({"status": "ERROR", "failureMessage": KERNEL_FAILURE})
        return _Reply.json({"status": "COMPLETE"})

    def _ListKernelSessionOutput(self, body: dict[str, Any], host: str) -> _Reply:
        found = self._kernel_version(body)
        if isinstance(found, _Reply):
            return found
        ref, number, _ = found
        log = [{"stream_name": "stdout", "time": 1.5, "data": "Installing kstarter from wheels\n"}]
        files = []
        if self.fail == "kernel-error":
            log.append({"stream_name": "stderr", "time": 9.2, "data": KERNEL_LOG_ERROR + "\n"})
        else:
            url = f"http://{host}/outputs/{ref}/{number}/submission.csv"
            files.append({"fileName": "submission.csv", "url": url})
        return _Reply.json({"files": files, "log": json.dumps(log)})

    def output(self, slug: str) -> _Reply:
        self.calls.append("GET output")
        return _Reply(200, self._output_bytes(slug), {"Content-Type": "text/csv"})

    def _output_bytes(self, kernel_ref: str) -> bytes:
        if self.kernel_output is not None:
            return self.kernel_output
        sources = self.kernels[kernel_ref][-1].get("competitionDataSources", [])
        comp = COMPETITIONS[sources[0]]
        with zipfile.ZipFile(io.BytesIO(competition_zip(comp.practice))) as zf:
            (sample,) = [n for n in zf.namelist() if "sample" in n.lower()]
            return zf.read(sample)

    def _CreateCodeSubmission(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        if self.fail == "rules":
            return _Reply.error(403, RULES_SUBMIT)
        ref_body = {
            "userName": body.get("kernelOwner"),
            "kernelSlug": body.get("kernelSlug"),
            "versionLabel": f"v{body.get('kernelVersion', 0)}",
        }
        found = self._kernel_version(ref_body)
        if isinstance(found, _Reply):
            return found
        data = self._output_bytes(found[0])
        ref = 50000001 + len(self.submissions)
        text = body.get("submissionDescription", "")
        self.submissions[ref] = Submission(ref, comp.slug, text, data, self._score(comp, data))
        return _Reply.json({"message": f"Successfully submitted to {comp.title}", "ref": ref})

    def _ListDataFiles(self, body: dict[str, Any], host: str) -> _Reply:
        comp = self._competition(body)
        if isinstance(comp, _Reply):
            return comp
        with zipfile.ZipFile(io.BytesIO(competition_zip(comp.practice))) as zf:
            files = [
                {"ref": i.filename, "name": i.filename, "totalBytes": i.file_size}
                for i in zf.infolist()
            ]
        return _Reply.json({"files": files, "nextPageToken": ""})

    def introspect(self, body: dict[str, Any]) -> _Reply:
        self.calls.append("IntrospectToken")
        return _Reply.json({"active": body.get("token") == TOKEN, "username": USERNAME})

    def upload(self, token: str, data: bytes) -> _Reply:
        with self._lock:
            self.calls.append("PUT upload")
            if self.fail == "upload" or token not in self.uploads:
                return _Reply(403, b"<Error>AccessDenied</Error>", {"Content-Type": "text/xml"})
            self.uploads[token] = data
            return _Reply(200, b"", {})

    def blob(self, slug: str) -> _Reply:
        self.calls.append("GET blob")
        comp = COMPETITIONS.get(slug)
        if comp is None:
            return _Reply(404, b"no such blob", {"Content-Type": "text/plain"})
        data = competition_zip(comp.practice)
        headers = {
            "Content-Type": "application/zip",
            "Last-Modified": formatdate(time.time() - 3600, usegmt=True),
            "ETag": f'"{slug}-{len(data)}"',
            "Accept-Ranges": "bytes",
        }
        return _Reply(200, data, headers)

    def authorized(self, header: str | None) -> bool:
        basic = base64.b64encode(f"{USERNAME}:{KEY}".encode()).decode()
        return self.fail != "401" and header in (f"Basic {basic}", f"Bearer {TOKEN}")


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    @classmethod
    def json(cls, payload: dict[str, Any]) -> _Reply:
        return cls(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    @classmethod
    def error(cls, status: int, message: str, headers: dict[str, str] | None = None) -> _Reply:
        body = json.dumps({"code": status, "message": message}).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def standin(self) -> StandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        body = self._body()
        path = urlsplit(self.path).path.removeprefix("/api")
        service, _, method = path.removeprefix("/v1/").partition("/")
        payload = json.loads(body or b"{}")
        if service == "security.OAuthService" and method == "IntrospectToken":
            self._send(self.standin.introspect(payload))
        elif not path.startswith("/v1/") or service not in _SERVICES:
            self._send(_Reply.error(404, f"No route {path}."))
        elif not self.standin.authorized(self.headers.get("Authorization")):
            self.standin.calls.append(f"{method} (401)")
            self._send(_Reply(401, b"Unauthorized", {"Content-Type": "text/plain"}))
        else:
            self._send(self.standin.answer(method, payload, self.headers.get("Host", "localhost")))

    def do_PUT(self) -> None:
        path = urlsplit(self.path).path
        self._send(self.standin.upload(path.removeprefix("/upload/"), self._body()))

    @property
    def kernels(self) -> dict[str, list[dict[str, Any]]]:
        return self.standin.kernels

    def do_GET(self) -> None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "blobs" and parts[2] == f"{parts[1]}.zip":
            self._send(self.standin.blob(parts[1]))
        elif len(parts) == 5 and parts[0] == "outputs" and "/".join(parts[1:3]) in self.kernels:
            self._send(self.standin.output(f"{parts[1]}/{parts[2]}"))
        else:
            self._send(_Reply(404, b"not found", {"Content-Type": "text/plain"}))

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_client_module(name: str) -> bool:
    return name == "kaggle" or name.startswith("kaggle.")


@contextlib.contextmanager
def client_in_process(standin: StandIn, home: Path) -> Iterator[None]:
    """Point the kaggle client of this process at ``standin`` for the ``with`` block: the
    stand-in's credentials, ``home`` as HOME and config folder, no other KAGGLE_* variable.

    ``KaggleApi`` reads KAGGLE_API_ENVIRONMENT and its config folder when its module is
    imported, so the client's modules are dropped on entry (kstarter imports them afresh) and
    again on exit, and the ones loaded before are put back.
    """
    import pytest

    saved = {name: mod for name, mod in sys.modules.items() if _is_client_module(name)}
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("KAGGLE_")]:
            env.delenv(name)
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "KSTARTER_POLL_SECONDS"):
            env.delenv(name, raising=False)
        for name in ("HTTPS_PROXY", "https_proxy"):  # https too: nothing leaves 127.0.0.1
            env.setenv(name, standin.url)
        for name, value in standin.env().items():
            env.setenv(name, value)
        env.setenv("HOME", str(home))
        env.setenv("KAGGLE_CONFIG_DIR", str(home / ".kaggle"))
        env.setenv("KAGGLE_USERNAME", USERNAME)
        env.setenv("KAGGLE_KEY", KEY)
        for name in saved:
            del sys.modules[name]
        try:
            yield
        finally:
            for name in [n for n in sys.modules if _is_client_module(n)]:
                del sys.modules[name]
            sys.modules.update(saved)

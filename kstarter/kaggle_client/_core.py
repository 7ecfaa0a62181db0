"""The kaggle client, imported without side effects, and the one place its errors become
kstarter's: :func:`_calling` turns what the client raises (``requests`` errors, ``SystemExit``
from ``authenticate()``, unreadable answers) into a :class:`~kstarter.errors.KaggleError`
sentence and keeps the client's chatter off kstarter's stdout and stderr. Messages are built
from status codes and Kaggle's own text with any secret, URL query or user-info removed
(:func:`_clean`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from typing import Any

from kstarter.errors import KaggleError

WEB = "https://www.kaggle.com"
_SECRETS: set[str] = set()  # the key and token in use, removed from any text kstarter shows
MAX_WAIT_SECONDS = 1800.0  # stop waiting for a score after this long; it stays PENDING
_SETTINGS = f"{WEB}/settings/api"
_NO_CREDENTIALS = (
    f"No Kaggle credentials found: create an API token at {_SETTINGS} and save it as "
    "~/.kaggle/access_token (or set KAGGLE_API_TOKEN), or use a kaggle.json key in ~/.kaggle "
    "(chmod 600) or KAGGLE_USERNAME and KAGGLE_KEY, then run again."
)


def competition_url(slug: str) -> str:
    return f"{WEB}/competitions/{slug}"


def rules_url(slug: str) -> str:
    return f"{competition_url(slug)}/rules"


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
def _calling(slug: str, subject: str | None = None) -> Iterator[None]:
    """Run client code silently; turn whatever it raises into one KaggleError sentence.

    ``slug`` is the competition; ``subject`` names what else a 404 is about ("the dataset
    me/x"), when the call is not about the competition itself."""
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
        raise KaggleError(_http_message(err, slug, subject)) from None
    except (requests.ConnectionError, requests.Timeout) as err:
        raise KaggleError(_network_message(err)) from None
    except (requests.RequestException, ValueError, KeyError, TypeError) as err:
        raise KaggleError(
            f"Kaggle sent an answer kstarter cannot read ({type(err).__name__}): try again "
            "later; if it keeps happening, upgrade the client with `pip install -U kaggle`."
        ) from None


def _http_message(err: Any, slug: str, subject: str | None = None) -> str:
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
    if status == 404 and subject:
        return (
            f"Kaggle has no {subject} (HTTP 404{': ' + said if said else ''}): check the id in "
            "its metadata file, then run again."
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

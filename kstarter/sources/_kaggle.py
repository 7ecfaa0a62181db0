"""A Kaggle competition, ``kstarter init <slug>``: its metadata and files, through the client.

The client calls (and the translation of their errors) are :mod:`kstarter.kaggle_client`; this
module decides what a project keeps: the files, safely unpacked, and the metadata as a Meta.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kstarter.competition import Meta
from kstarter.errors import KaggleError
from kstarter.kaggle_client import competition_url, download_competition
from kstarter.sources._archive import is_archive, safe_extract, unwrap_nested
from kstarter.sources._base import Source

__all__ = ["KaggleSource"]


@dataclass(frozen=True)
class KaggleSource(Source):
    """A competition on Kaggle, named by its slug (``titanic``); ``kaggle/<slug>`` in a spec."""

    name: str

    def fetch(self, data_dir: Path) -> Meta:
        """Read the competition's metadata, then download and safely unpack its files.

        The download goes to a hidden folder beside ``data_dir``, removed whatever happens.
        """
        slug = self.name
        tmp = Path(tempfile.mkdtemp(prefix=".kaggle-download-", dir=data_dir.parent))
        try:
            info = download_competition(slug, tmp)
            got = sorted(p for p in tmp.iterdir() if not p.name.endswith(".kaggle-partial"))
            if len(got) != 1 or not is_archive(got[0]):
                names = ", ".join(p.name for p in got) or "nothing"
                raise KaggleError(
                    f"Kaggle's download of {slug} gave {names}, not one zip archive: download "
                    f"it by hand from {competition_url(slug)}/data and run `kstarter init` on "
                    "the zip."
                )
            safe_extract(got[0], data_dir)
            unwrap_nested(data_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return Meta(
            name=slug,
            source=f"kaggle/{slug}",
            title=info.title,
            url=info.url,
            metric=info.metric,
            deadline=info.deadline,
            daily_limit=info.daily_limit,
            code_competition=info.code_competition,
        )

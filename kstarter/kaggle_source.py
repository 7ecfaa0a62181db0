"""Kaggle through the official client: not wired up yet (see the Kaggle issue).

Until it is, a Kaggle competition name is refused with the manual route, which works today.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstarter.errors import KaggleError
from kstarter.inspect import Meta

__all__ = ["KaggleSource", "submit_to_kaggle"]


@dataclass(frozen=True)
class KaggleSource:
    name: str

    def fetch(self, data_dir: Path) -> Meta:
        raise KaggleError(
            f"Downloading from Kaggle is not built yet: run `kaggle competitions download -c "
            f"{self.name}`, then `kstarter init ./{self.name}.zip`."
        )


def submit_to_kaggle(project: Any, run: Any, path: Path, options: Any) -> dict[str, Any]:
    raise KaggleError(
        f"Uploading to Kaggle is not built yet: upload {path} on the competition's page "
        f"or with `kaggle competitions submit -c {project.spec.name} -f {path} -m MSG`."
    )

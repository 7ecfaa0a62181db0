"""Find the data that ships with kstarter: ``configs/`` and ``templates/``.

In a wheel they live in ``kstarter/_data/``; in a source checkout (editable install or tests run
from the repository) they are the top-level folders beside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["configs_dir", "templates_dir", "load_config_yaml"]

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kstarter's {name}/ folder is missing; reinstall kstarter")


def configs_dir() -> Path:
    return _find("configs")


def templates_dir() -> Path:
    return _find("templates")


@cache
def load_config_yaml(name: str) -> Any:
    """Parse ``configs/<name>`` once per process."""
    import yaml

    with open(configs_dir() / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)

"""kstarter: from a Kaggle competition to a correct, reproducible CV baseline."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

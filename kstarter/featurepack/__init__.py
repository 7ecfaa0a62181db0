"""The feature pack: built-in transforms named in kstarter.yaml's ``features:`` section.

Two kinds, by what they may look at:

- fold-independent (:func:`add_fixed`): count encoding, missing-value count and indicators,
  numeric columns with few values copied as categoricals, count-encoded crosses of categorical
  pairs. They never read the target (counts are over train and test together), so they are
  computed once, with the model matrices, and cached with them.
- fold-dependent (:class:`FoldEncoder`): target encoding, of categoricals and of crosses. It
  reads the target, so it is fitted per saved fold on that fold's training rows only
  (:mod:`kstarter.featurepack._target`), for every model family, by ``crossval``.

All run after the user's ``features.py`` and after kstarter's date and text expansion: they see
the final columns (the user's own categoricals included), and ``features.py`` keeps seeing the
raw tables as before.
"""

from __future__ import annotations

from kstarter.featurepack._config import FeaturePack, parse_features
from kstarter.featurepack._fixed import add_fixed, categorical_columns, cross_pairs
from kstarter.featurepack._target import FoldEncoder, fold_encoder, target_matrix

__all__ = [
    "FeaturePack",
    "parse_features",
    "add_fixed",
    "categorical_columns",
    "cross_pairs",
    "FoldEncoder",
    "fold_encoder",
    "target_matrix",
]

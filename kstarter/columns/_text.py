"""Free-text columns (tweets, reviews, titles): recognised at init, turned into dense features.

A text column is a string column of long, mostly unique, several-word values; as a categorical
it would be one huge category per row. Before training each text column becomes:

- ``<col>_chars`` and ``<col>_words``: its length in characters and in words;
- ``<col>_svd0 .. <col>_svd{k-1}``: TF-IDF of its word 1- and 2-grams, reduced to ``k`` dense
  components by a truncated SVD (latent semantic analysis).

TF-IDF and the SVD are fitted on the train and test text together, without the target: they are
unsupervised, like counting values over train+test, so no label crosses from a validation fold
into training and fitting them once (not per fold) leaks nothing. It also keeps one dense matrix
for every fold, which LightGBM bins once. Fixed ``random_state``: the same text gives the same
features. Train and test rows alike are projected by the fitted SVD (``transform``), as new rows
are by the notebook ``kstarter kernel build`` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "looks_like_text",
    "text_features",
    "fit_text",
    "TextFit",
    "MIN_MEAN_CHARS",
    "MIN_MEAN_WORDS",
]

SAMPLE = 5000  # values looked at to recognise a text column
MIN_MEAN_CHARS = 30  # mean length of a text value, in characters
MIN_MEAN_WORDS = 4  # mean number of words
MIN_UNIQUE_SHARE = 0.5  # distinct values among the sampled ones: free text rarely repeats
MAX_TERMS = 100_000  # vocabulary cap of the TF-IDF (most frequent word 1-2 grams)


def looks_like_text(s: pd.Series) -> bool:
    """True for a string column of long, multi-word, mostly unique values."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    if pd.api.types.is_datetime64_any_dtype(s):
        return False
    values = s.dropna()
    if len(values) < 2:
        return False
    if len(values) > SAMPLE:
        values = values.iloc[:: len(values) // SAMPLE][:SAMPLE]
    values = values.astype(str)
    if values.str.len().mean() < MIN_MEAN_CHARS:
        return False
    # pandas-stubs types .str.len() for strings only; pandas counts the items of a list too
    if values.str.split().str.len().mean() < MIN_MEAN_WORDS:  # type: ignore[misc]
        return False
    return values.nunique() >= MIN_UNIQUE_SHARE * len(values)


@dataclass(frozen=True)
class TextFit:
    """One text column's features, fitted once: the TF-IDF vocabulary and the SVD (None when
    the text gives too few terms). :meth:`transform` turns any rows of that column into the
    same features, so the train rows, the test rows and a hidden test set on Kaggle (read by
    ``kstarter kernel build``'s notebook) are all projected one way."""

    name: str
    vectorizer: TfidfVectorizer | None
    svd: TruncatedSVD | None

    def transform(self, s: pd.Series) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        missing = s.isna().to_numpy()
        docs = s.astype(str).where(~missing, "")
        chars = docs.str.len().astype("float64").where(~missing)
        words = docs.str.split().str.len().astype("float64").where(~missing)  # type: ignore[misc]
        frame = pd.DataFrame({f"{self.name}_chars": chars, f"{self.name}_words": words})
        if self.vectorizer is not None and self.svd is not None:
            z = self.svd.transform(self.vectorizer.transform(docs)).astype(np.float64)
            cols = {f"{self.name}_svd{i}": z[:, i] for i in range(z.shape[1])}
            frame = pd.concat([frame, pd.DataFrame(cols, index=frame.index)], axis=1)
        return frame.set_axis(s.index)


def fit_text(train: pd.Series, test: pd.Series, n_components: int, seed: int = 0) -> TextFit:
    """TF-IDF + SVD of one text column, fitted on train and test text together (unsupervised:
    no target is used)."""
    import pandas as pd

    docs = pd.concat([train, test], ignore_index=True)
    docs = docs.astype(str).where(docs.notna(), "")
    vectorizer, svd = _svd(docs, n_components, seed)
    return TextFit(str(train.name), vectorizer, svd)


def text_features(
    train: pd.Series, test: pd.Series, n_components: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Length, word count and ``n_components`` TF-IDF+SVD features of one text column,
    fitted on train and test together, each side projected by the same fit."""
    fit = fit_text(train, test, n_components, seed)
    return fit.transform(train), fit.transform(test)


def _svd(
    docs: pd.Series, n_components: int, seed: int
) -> tuple[TfidfVectorizer | None, TruncatedSVD | None]:
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    if n_components < 1:
        return None, None
    matrix = None
    for min_df in (2, 1):  # a tiny or very diverse column may have no word seen twice
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2),
            min_df=min_df,
            max_features=MAX_TERMS,
            sublinear_tf=True,
            strip_accents="unicode",
            dtype=np.float32,
        )
        try:
            matrix = vectorizer.fit_transform(docs)
        except ValueError:  # empty vocabulary: only stop words, digits or empty strings
            continue
        if matrix.shape[1] >= 2:
            break
    if matrix is None or matrix.shape[1] < 2:
        return None, None
    k = min(n_components, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if k < 1:
        return None, None
    svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=seed)
    svd.fit(matrix)
    return vectorizer, svd

"""Columns beyond numbers and categories: dates expanded into parts, free text into features."""

from __future__ import annotations

from kstarter.columns._dates import (
    PARTS,
    date_format,
    date_parts,
    has_time_of_day,
    looks_like_dates,
    parse_dates,
)
from kstarter.columns._text import (
    MIN_MEAN_CHARS,
    MIN_MEAN_WORDS,
    TextFit,
    fit_text,
    looks_like_text,
    text_features,
)

__all__ = [
    "looks_like_dates",
    "date_format",
    "parse_dates",
    "date_parts",
    "has_time_of_day",
    "PARTS",
    "looks_like_text",
    "text_features",
    "fit_text",
    "TextFit",
    "MIN_MEAN_CHARS",
    "MIN_MEAN_WORDS",
]

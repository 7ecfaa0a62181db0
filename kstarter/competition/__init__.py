"""What a competition is: its files read safely, inspection into a spec, the labels codec,
and a submission built and validated exactly like the sample."""

from __future__ import annotations

from kstarter.competition._inspect import (
    Inspection,
    Meta,
    Overrides,
    find_files,
    inspect_competition,
)
from kstarter.competition._labels import class_codes, decode_labels, encode_target
from kstarter.competition._read import TABLE_SUFFIXES, is_table, read_header, read_table, table_name
from kstarter.competition._shapes import Shapes, find_extra_tables, find_shapes
from kstarter.competition._submission import (
    build_submission,
    read_submission,
    test_positions,
    validate_submission,
)

__all__ = [
    "TABLE_SUFFIXES",
    "is_table",
    "read_table",
    "read_header",
    "table_name",
    "encode_target",
    "decode_labels",
    "class_codes",
    "Shapes",
    "find_shapes",
    "find_extra_tables",
    "Overrides",
    "Meta",
    "Inspection",
    "find_files",
    "inspect_competition",
    "build_submission",
    "validate_submission",
    "read_submission",
    "test_positions",
]

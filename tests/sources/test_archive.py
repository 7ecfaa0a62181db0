"""Safe extraction: real zips built in tmp_path, hostile ones crafted through ZipInfo and bytes."""

from __future__ import annotations

import io
import shutil
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple

import pytest

from kstarter.errors import SourceError
from kstarter.sources import is_archive, safe_extract, unwrap_nested

TRAIN = b"id,feature,target\n" + b"".join(b"%d,%d.5,%d\n" % (i, i * 7, i % 2) for i in range(3000))
TEST = b"id,feature\n" + b"".join(b"%d,%d.5\n" % (i, i * 3) for i in range(3000, 4000))
SAMPLE = b"id,target\n" + b"".join(b"%d,0\n" % i for i in range(3000, 4000))
KAGGLE = {"train.csv": TRAIN, "test.csv": TEST, "sample_submission.csv": SAMPLE}
MiB = 2**20

Member = tuple[str | zipfile.ZipInfo, bytes]


def write_zip(path: Path, members: list[Member] | dict[str, bytes]) -> Path:
    items = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in items:
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def with_mode(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


# Header fields patched in place: (offset in the local header, in the central header, format).
FIELDS = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"), "size": (22, 24, "<I")}


def patch_header(path: Path, name: str, field: str, value: int) -> None:
    """Overwrite one field of ``name``'s local and central headers, as a hostile tool would."""
    data = bytearray(path.read_bytes())
    local_at, central_at, fmt = FIELDS[field]
    for signature, name_len_at, name_at, field_at in (
        (b"PK\x03\x04", 26, 30, local_at),
        (b"PK\x01\x02", 28, 46, central_at),
    ):
        start = data.find(signature)
        while start != -1:
            (length,) = struct.unpack_from("<H", data, start + name_len_at)
            if data[start + name_at : start + name_at + length] == name.encode():
                struct.pack_into(fmt, data, start + field_at, value)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders): to prove nothing changed."""
    return {
        str(p.relative_to(root)): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
    }


# --- what a real competition looks like -----------------------------------------------------


@pytest.mark.parametrize("existing", ["missing", "empty", "missing parents"])
def test_kaggle_zip_extracts_byte_identical(tmp_path: Path, existing: str) -> None:
    archive = write_zip(tmp_path / "comp.zip", KAGGLE)
    dest = tmp_path / ("deep/er/comp" if existing == "missing parents" else "comp")
    if existing == "empty":
        dest.mkdir()

    written = safe_extract(archive, dest)

    assert written == [dest / name for name in KAGGLE]
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == KAGGLE
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted(
        ["comp"] + (["comp.zip"] if dest.parent == tmp_path else [])
    )


def test_folders_backslashes_and_junk(tmp_path: Path) -> None:
    archive = write_zip(
        tmp_path / "comp.zip",
        [
            ("data/", b""),
            ("data/train.csv", TRAIN),
            ("images\\0001.png", b"\x89PNG"),
            ("empty/", b""),
            ("__MACOSX/._train.csv", b"junk"),
            ("__MACOSX/data/", b""),
            (".DS_Store", b"junk"),
            ("data/.DS_Store", b"junk"),
        ],
    )
    dest = tmp_path / "comp"

    assert safe_extract(archive, dest) == [dest / "data/train.csv", dest / "images/0001.png"]
    assert snapshot(dest) == {
        "data": None,
        "data/train.csv": TRAIN,
        "empty": None,
        "images": None,
        "images/0001.png": b"\x89PNG",
    }


def test_small_highly_compressible_csv_passes(tmp_path: Path) -> None:
    zeros = b"0,0,0,0\n" * 100_000  # 800 kB that deflate shrinks ~1000 times
    archive = write_zip(tmp_path / "comp.zip", {"train.csv": zeros})
    safe_extract(archive, tmp_path / "comp")
    assert (tmp_path / "comp/train.csv").read_bytes() == zeros


def test_merges_next_to_existing_files(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "comp.zip", {**KAGGLE, "extra/notes.txt": b"hi"})
    dest = tmp_path / "comp"
    (dest / "extra").mkdir(parents=True)
    (dest / "README.md").write_text("mine")

    safe_extract(archive, dest)

    assert snapshot(dest) == {
        "README.md": b"mine",
        "extra": None,
        "extra/notes.txt": b"hi",
        **KAGGLE,
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comp", "comp.zip"]


def test_nested_zip_unwraps_in_place(tmp_path: Path) -> None:
    inner = zip_bytes({"train.csv": TRAIN})
    archive = write_zip(
        tmp_path / "comp.zip",
        {"train.csv.zip": inner, "test.csv": TEST, "sample_submission.csv": SAMPLE},
    )
    dest = tmp_path / "comp"
    safe_extract(archive, dest)

    assert unwrap_nested(dest) == [dest / "train.csv"]
    assert snapshot(dest) == KAGGLE


def test_is_archive_looks_at_content(tmp_path: Path) -> None:
    zipped = write_zip(tmp_path / "download", KAGGLE)  # no extension, still a zip
    csv = tmp_path / "train.zip"
    csv.write_bytes(TRAIN)  # a zip extension, not a zip
    npz = write_zip(tmp_path / "arrays.npz", {"x.npy": b"\x93NUMPY"})  # data that is a zip inside

    assert is_archive(zipped)
    assert not is_archive(csv)
    assert not is_archive(npz)
    assert not is_archive(tmp_path / "missing.zip")


# --- hostile archives: refused, named, and nothing written ----------------------------------


def with_entry(name: str | zipfile.ZipInfo, data: bytes = b"x") -> Callable[[Path], object]:
    """A build: a good train.csv, then the hostile entry (so there is something to roll back)."""
    return lambda path: write_zip(path, [("train.csv", TRAIN), (name, data)])


def _duplicate(path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_zip(path, [("train.csv", TRAIN), ("test.csv", TEST), ("test.csv", b"evil")])


def _patched(field: str, value: int) -> Callable[[Path], None]:
    """A build: the Kaggle zip with one header field of test.csv overwritten."""

    def build(path: Path) -> None:
        write_zip(path, KAGGLE)
        patch_header(path, "test.csv", field, value)

    return build


class Hostile(NamedTuple):
    build: Callable[[Path], object]
    entry: str  # the entry the message must name
    says: str  # what the message must say about it
    limits: dict[str, Any] = {}


HOSTILE = {
    "absolute": Hostile(with_entry("/etc/evil.csv"), "/etc/evil.csv", "absolute path"),
    "drive": Hostile(with_entry("C:\\evil.csv"), "C:\\evil.csv", "absolute path"),
    "unc": Hostile(
        with_entry("\\\\server\\share\\evil.csv"), "\\\\server\\share\\evil.csv", "absolute path"
    ),
    "dotdot": Hostile(with_entry("../evil.csv"), "../evil.csv", "outside the competition"),
    "inner dotdot": Hostile(
        with_entry("data/../../evil.csv"), "data/../../evil.csv", "outside the competition"
    ),
    "backslash dotdot": Hostile(
        with_entry("data\\..\\..\\evil.csv"), "data\\..\\..\\evil.csv", "outside the competition"
    ),
    "symlink": Hostile(
        with_entry(with_mode("link.csv", stat.S_IFLNK | 0o777), b"/etc/passwd"),
        "link.csv",
        "symbolic link",
    ),
    "device": Hostile(
        with_entry(with_mode("dev.csv", stat.S_IFCHR | 0o644), b""), "dev.csv", "device"
    ),
    "duplicate": Hostile(_duplicate, "test.csv", "appears twice"),
    "file used as folder": Hostile(
        lambda p: write_zip(p, [("data", b"x"), ("data/train.csv", TRAIN)]),
        "data/train.csv",
        "needs 'data' to be a folder",
    ),
    "too many members": Hostile(
        lambda p: write_zip(p, [(f"part{i}.csv", b"x") for i in range(7)]),
        "part5.csv",
        "above the limit of 5 entries",
        {"max_members": 5},
    ),
    "ratio bomb": Hostile(with_entry("bomb.csv", bytes(8 * MiB)), "bomb.csv", "zip bomb"),
    "archive ratio bomb": Hostile(
        # each entry is under the 1 MiB floor, together they expand ~1000 times
        lambda p: write_zip(p, {"a.csv": bytes(MiB), "b.csv": bytes(MiB), "c.csv": bytes(MiB)}),
        "a.csv",
        "together expand",
    ),
    "too many bytes": Hostile(
        lambda p: write_zip(p, KAGGLE),
        "test.csv",
        "past the limit",
        {"max_total_bytes": len(TRAIN) + 10},
    ),
    # The header says 100 bytes and the data holds more: the stdlib reader stops at 100 and
    # the CRC check fails (see test_member_overrunning_its_header_is_stopped for the count).
    "lying header": Hostile(_patched("size", 100), "test.csv", "header lies"),
    "encrypted": Hostile(_patched("flags", 0x1), "test.csv", "password-protected"),
    "deflate64": Hostile(_patched("method", 9), "test.csv", "compression method 9"),
}


@pytest.fixture(params=["missing", "missing parents", "empty", "non-empty"])
def dest(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The destination, in each state a user may hand over; archives go in ``tmp_path``."""
    dest = tmp_path / ("deep/er/comp" if request.param == "missing parents" else "comp")
    if request.param in ("empty", "non-empty"):
        dest.mkdir()
    if request.param == "non-empty":
        (dest / "README.md").write_text("mine")
    return dest


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_archive_is_refused_and_writes_nothing(
    tmp_path: Path, dest: Path, case: str
) -> None:
    hostile = HOSTILE[case]
    archive = tmp_path / "comp.zip"
    hostile.build(archive)
    before = snapshot(tmp_path)

    with pytest.raises(SourceError) as caught:
        safe_extract(archive, dest, **hostile.limits)

    message = str(caught.value)
    assert message.startswith(f"Refusing to extract comp.zip: entry '{hostile.entry}' ")
    assert hostile.says in message
    assert "\n" not in message and message.endswith(".")
    assert snapshot(tmp_path) == before  # dest as it was, no temp folder left


def _fake_reader(
    monkeypatch: pytest.MonkeyPatch, name: str, error: BaseException | None = None
) -> None:
    """Make reading member ``name`` raise ``error``, or yield one byte more than its header says."""
    real_open = zipfile.ZipFile.open

    def open_member(self: zipfile.ZipFile, member: str | zipfile.ZipInfo, *args, **kw) -> IO[bytes]:
        info = member if isinstance(member, zipfile.ZipInfo) else self.getinfo(member)
        if info.filename != name:
            return real_open(self, member, *args, **kw)
        if error is not None:
            raise error
        return io.BytesIO(b"x" * (info.file_size + 1))

    monkeypatch.setattr(zipfile.ZipFile, "open", open_member)


def test_member_overrunning_its_header_is_stopped(
    tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The byte count, not the header, decides.

    The stdlib reader itself stops at the header's size and then fails the CRC check (the
    "lying header" case above), so no real zip can overrun it; this stands in a reader that
    would, to prove the count is enforced and the members already written are removed.
    """
    archive = write_zip(tmp_path / "comp.zip", KAGGLE)
    before = snapshot(tmp_path)
    _fake_reader(monkeypatch, "test.csv")

    with pytest.raises(SourceError, match="entry 'test.csv' holds more than the"):
        safe_extract(archive, dest)
    assert snapshot(tmp_path) == before


def test_interrupted_extraction_leaves_nothing(
    tmp_path: Path, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = write_zip(tmp_path / "comp.zip", KAGGLE)
    before = snapshot(tmp_path)
    _fake_reader(monkeypatch, "test.csv", KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        safe_extract(archive, dest)
    assert snapshot(tmp_path) == before


def test_failure_while_merging_takes_back_what_was_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills up halfway through moving files into a non-empty folder."""
    archive = write_zip(tmp_path / "comp.zip", {"train.csv": TRAIN, "new/test.csv": TEST})
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "README.md").write_text("mine")
    before = snapshot(tmp_path)
    real_move = shutil.move

    def move(src: Path, dst: Path) -> object:
        if Path(dst).name == "test.csv":
            raise OSError(28, "No space left on device")
        return real_move(src, dst)

    monkeypatch.setattr(shutil, "move", move)

    with pytest.raises(SourceError, match="No space left on device. Check the free disk space"):
        safe_extract(archive, dest)
    assert snapshot(tmp_path) == before


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "comp.zip", KAGGLE)
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "test.csv").write_text("mine")
    before = snapshot(tmp_path)

    with pytest.raises(SourceError, match="entry 'test.csv' would overwrite .*test.csv"):
        safe_extract(archive, dest)
    assert snapshot(tmp_path) == before


def test_existing_file_where_a_folder_is_needed_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "comp.zip", {"data/train.csv": TRAIN})
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "data").write_text("mine")
    before = snapshot(tmp_path)

    with pytest.raises(SourceError, match="entry 'data/train.csv' needs .*data to be a folder"):
        safe_extract(archive, dest)
    assert snapshot(tmp_path) == before


def test_link_already_in_dest_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "data").symlink_to(outside)
    archive = write_zip(tmp_path / "comp.zip", {"data/evil.csv": b"x"})

    with pytest.raises(SourceError, match="entry 'data/evil.csv' would land outside"):
        safe_extract(archive, dest)
    assert list(outside.iterdir()) == []


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "train.csv"
    csv.write_bytes(TRAIN)
    with pytest.raises(SourceError, match="train.csv: it is not a zip archive"):
        safe_extract(csv, tmp_path / "comp")
    with pytest.raises(SourceError, match="there is no such file"):
        safe_extract(tmp_path / "missing.zip", tmp_path / "comp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.csv"]


def test_dest_that_is_a_file_is_refused(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "comp.zip", KAGGLE)
    (tmp_path / "comp").write_text("a file")
    with pytest.raises(SourceError, match="it is a file, not a folder"):
        safe_extract(archive, tmp_path / "comp")


def test_hostile_nested_zip_is_refused_and_kept(tmp_path: Path) -> None:
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "test.csv").write_bytes(TEST)
    (dest / "train.csv.zip").write_bytes(zip_bytes({"../evil.csv": b"x"}))
    before = snapshot(tmp_path)

    with pytest.raises(SourceError, match=r"train.csv.zip: entry '../evil.csv' would land outside"):
        unwrap_nested(dest)
    assert snapshot(tmp_path) == before


def test_nested_zip_never_overwrites_its_neighbour(tmp_path: Path) -> None:
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "train.csv").write_bytes(b"already here")
    (dest / "train.csv.zip").write_bytes(zip_bytes({"train.csv": TRAIN}))
    before = snapshot(tmp_path)

    with pytest.raises(SourceError, match="entry 'train.csv' would overwrite"):
        unwrap_nested(dest)
    assert snapshot(tmp_path) == before


def test_nested_zips_share_one_size_budget(tmp_path: Path) -> None:
    dest = tmp_path / "comp"
    dest.mkdir()
    (dest / "a.csv.zip").write_bytes(zip_bytes({"a.csv": TEST}))
    (dest / "b.csv.zip").write_bytes(zip_bytes({"b.csv": TEST}))

    with pytest.raises(SourceError, match="b.csv.zip: entry 'b.csv' takes the archive past"):
        unwrap_nested(dest, max_total_bytes=len(TEST) + len(TEST) // 2)
    assert sorted(p.name for p in dest.iterdir()) == ["a.csv", "b.csv.zip"]

"""The embedded store's in-memory index, saved to one file that a start reads back sequentially.

Rebuilding the index from SQLite sorts every band key (42 per article) and replays the
learned-boilerplate log: at a million articles 15-25 s on a slow 2-core host when the disk is quick,
and 60-170 s when it is slow, because the pages of the narrow start-up tables lie scattered through a
10 GB file and a rebuild waits for ~170,000 random reads (docs/perf.md). What the index holds (the
sorted band arrays, the slot ids, the two bit planes) is saved instead, with the last row of each of
the store's three logs it holds (`Marks`): at a clean close, and beside the writes once enough were
written since the last save. A start loads it and replays only the rows after those marks: the
articles indexed since, the ids removed since, the learned-boilerplate samples counted since: the
newest rows of their tables, whose pages alone are read (service/sqlite_pages.py).

The file is only ever a copy of the index of one exact state of the store. It is named by its token,
which is recorded in the store's meta table once the file is durable: a start loads only the file that
token names (a file saved but not yet recorded when the process died is not it, and the file before
still is), and a file that is not sound (damaged, of another store) is never loaded: the next start
rebuilds from SQLite, the source of truth, as it always could.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from service.gil import let_others_run
from service.group_counts import CountState, I64Array, U8Array, touched_plane
from service.lsh import BandState

FORMAT = 2  # bump when what is saved, or how band keys are made, changes: older files are then rebuilt
_PREFIX = "index-snapshot"
_LEGACY_NAME = f"{_PREFIX}.npz"  # the one file name of the versions before files were named by token
_NO_ID = -1  # the length recorded for a slot whose article was removed
# Ids encoded per step of a save: ≈0.1 ms of pure Python, then the GIL is let go (`_encode_ids`).
_ID_STEP = 512
_WRITE_STEP = 4 << 20  # bytes of an array handed to the file at a time (`_write_npz`)


class StaleSnapshot(Exception):
    """The file is sound but not of this store's current state (or of this code's format)."""


@dataclass(frozen=True)
class Marks:
    """The last row of each of the store's logs that an index holds: what a start replays is after these."""

    articles_seq: int  # articles (and their signatures) indexed
    samples_seq: int  # learned-boilerplate samples counted
    removals_seq: int  # ids removed from the index (deleted, or replaced by a new version)

    def within(self, other: Marks) -> bool:
        """Does `other` hold every row these marks hold (a store at or after this state)?"""
        mine, theirs = asdict(self), asdict(other)
        return all(mine[k] <= theirs[k] for k in mine)


def save(path: Path, stamp: dict[str, Any], marks: Marks, bands: BandState, counts: CountState) -> None:
    """Write the snapshot durably: a temporary file, fsynced, renamed over `path`, directory fsynced."""
    lengths, blob = _encode_ids(bands.ids)
    header = json.dumps({"format": FORMAT, **stamp, "marks": asdict(marks), "twice_total": counts.twice_total,
                         "plane_bytes": counts.once.size}, sort_keys=True)  # fmt: skip
    arrays: dict[str, Any] = {
        "header": np.frombuffer(header.encode(), dtype=np.uint8), "band_keys": bands.keys, "band_slots": bands.slots,
        "id_lengths": lengths, "id_bytes": blob, **_plane("once", counts.once), **_plane("twice", counts.twice),
        "more_hashes": counts.more_hashes, "more_counts": counts.more_counts,
    }  # fmt: skip
    tmp = _temporary(path)
    try:
        with tmp.open("wb") as out:
            _write_npz(out, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_directory(path.parent)


def file_for(directory: Path, token: str) -> Path:
    """Where the snapshot of this token is saved."""
    return directory / f"{_PREFIX}-{token}.npz"


def file_of(directory: Path, token: str) -> Path:
    """Where the snapshot of this token is: its own file, or the one file name of earlier versions (a store
    they saved is loaded too, as the token inside the file is checked either way)."""
    named, legacy = file_for(directory, token), directory / _LEGACY_NAME
    return legacy if legacy.exists() and not named.exists() else named


def _write_npz(out: IO[bytes], arrays: dict[str, npt.NDArray[Any]]) -> None:
    """What `np.savez` writes (a zip of .npy members, stored, read back by `np.load`), from the arrays' own
    memory. np.savez copies each array through a buffer, 16 MiB at a time, holding the GIL, and a copy
    into fresh pages that the kernel must first reclaim from the page cache can take long: a save at 1.9M
    articles held the GIL ≈0.9 s that way, beside the checks. Here the GIL is let go for the CRC and the
    write of every step."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            data = np.ascontiguousarray(array)
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(member, np.lib.format.header_data_from_array_1_0(data))
                raw = data.data.cast("B")
                for at in range(0, raw.nbytes, _WRITE_STEP):
                    member.write(raw[at : at + _WRITE_STEP])


def drop_all_but(directory: Path, keep: Path | None) -> None:
    """Remove every snapshot file in `directory` but `keep`: those of earlier saves, one saved but whose token
    was never recorded (the process died in between), and what a save killed halfway left (its temporary
    file: up to the snapshot's size, ~0.6 GB at 1M). No other process saves one: one server per directory."""
    for file in directory.glob(f"{_PREFIX}*.npz*"):
        if file != keep:
            file.unlink(missing_ok=True)


def files_in(directory: Path) -> list[Path]:
    """The snapshot files in `directory`, by name (not what a save cut short left: `drop_all_but`)."""
    return sorted(directory.glob(f"{_PREFIX}*.npz"))


def articles_in(path: Path) -> int:
    """How many articles the snapshot at `path` holds (its slots less those of removed articles), whatever its
    token; raises whatever reading it raised if it cannot be read."""
    with np.load(path, allow_pickle=False) as saved:
        return int(np.count_nonzero(saved["id_lengths"] != _NO_ID))


def marks_of(path: Path) -> Marks:
    """The marks of the rows the snapshot at `path` holds, whatever its token (its header alone is read); raises
    whatever reading it raised if it cannot be read, or is of a format without marks."""
    with np.load(path, allow_pickle=False) as saved:
        return Marks(**json.loads(saved["header"].tobytes())["marks"])


def _temporary(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def load(path: Path, stamp: dict[str, Any]) -> tuple[BandState, CountState, Marks]:
    """The snapshot at `path` if `stamp` (its token, the detection parameters) is the one it was saved
    with, and the marks of what it holds; StaleSnapshot if not.

    A damaged file raises whatever reading it raised (zip members carry a CRC, checked on read)."""
    with np.load(path, allow_pickle=False) as saved:
        header = json.loads(saved["header"].tobytes())
        wanted = {"format": FORMAT, **stamp}
        if {k: header.get(k) for k in wanted} != wanted:
            raise StaleSnapshot(f"{path} is of another state of the store or another format")
        bands = BandState(saved["band_keys"], saved["band_slots"], _decode_ids(saved["id_lengths"], saved["id_bytes"]))
        size = int(header["plane_bytes"])
        counts = CountState(_unplane(saved, "once", size), _unplane(saved, "twice", size), saved["more_hashes"],
                            saved["more_counts"], int(header["twice_total"]))  # fmt: skip
    return bands, counts, Marks(**header["marks"])


def _plane(name: str, plane: U8Array) -> dict[str, npt.NDArray[Any]]:
    """A bit plane as saved: whole, or (most of it zero, as in a store of fewer than ~100k articles)
    as the offsets and values of its nonzero bytes. The planes are 64 MiB each whatever the store holds."""
    at = np.flatnonzero(plane)
    if at.size * 5 >= plane.size:  # (4 bytes of offset and 1 of value per nonzero byte)
        return {name: plane}
    return {f"{name}_at": at.astype(np.uint32), f"{name}_bits": plane[at]}


def _unplane(saved: Any, name: str, size: int) -> U8Array:
    if name in saved.files:
        plane: U8Array = saved[name]
    else:
        plane = touched_plane(size)
        plane[saved[f"{name}_at"]] = saved[f"{name}_bits"]
    if plane.shape != (size,):
        raise ValueError(f"a bit plane of {plane.shape} bytes, not ({size},)")
    return plane


def _encode_ids(ids: list[str | None]) -> tuple[I64Array, U8Array]:
    """The ids as their lengths and their UTF-8 bytes end to end, encoded a step at a time, letting go of the
    GIL between steps. A save beside the writes does this in the store's own thread while checks are
    answered: ≈0.6 s of pure Python at 1.9M articles, which in one stretch made every check meanwhile wait
    ≈5 ms (the switch interval) each time it took the GIL back: p99 of checks during an ingest 218-302 ms
    while a save ran, against 10.5 ms without (service/gil.py, docs/perf.md)."""
    lengths, blobs = [], []
    for at in range(0, len(ids), _ID_STEP):
        let_others_run()
        step = ids[at : at + _ID_STEP]
        encoded = [b"" if key is None else key.encode("utf-8", "surrogatepass") for key in step]
        sizes = [_NO_ID if key is None else len(e) for key, e in zip(step, encoded, strict=True)]
        lengths.append(np.array(sizes, np.int64))
        blobs.append(b"".join(encoded))
    if not lengths:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    return np.concatenate(lengths), np.frombuffer(b"".join(blobs), dtype=np.uint8)


def _decode_ids(lengths: I64Array, blob: U8Array) -> list[str | None]:
    data = blob.tobytes()
    ends = np.cumsum(np.maximum(lengths, 0)).tolist()
    starts = [0, *ends][: len(ends)]
    return [
        None if n == _NO_ID else data[a:b].decode("utf-8", "surrogatepass")
        for a, b, n in zip(starts, ends, lengths.tolist(), strict=True)
    ]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

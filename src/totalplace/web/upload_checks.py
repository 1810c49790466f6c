"""Checks on an uploaded file before the loader parses it: its size once uncompressed, and that it is text.

The loader reads a whole file into memory, so a small .csv.gz that inflates to
gigabytes (a "zip bomb") would exhaust the server, and a binary file would
fail deep inside the parser. Both are found here first, cheaply: a .csv.gz is
inflated as a stream and counted (never held), an .xlsx's parts are summed from
its directory, and the first part of a CSV is looked at for binary bytes.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

from fastapi import HTTPException

CHUNK = 1024 * 1024
SNIFF = 64 * 1024
# Bytes no spend file holds in its first part: NUL and the C0 controls other than tab, LF, FF, CR (and 0x1A,
# the end-of-file mark some old exporters write).
_BINARY = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26))


def check_upload(path: Path, name: str, max_inflated: int) -> None:
    """Refuse (413) a file larger than `max_inflated` bytes once uncompressed, or (400) one that is not text."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        _check_workbook(path, name, max_inflated)
    elif lower.endswith(".gz"):
        _check_gzip(path, name, max_inflated)
    else:
        with path.open("rb") as handle:
            _check_text(handle.read(SNIFF), name)


def _too_large(name: str, max_inflated: int) -> HTTPException:
    return HTTPException(413, f"{name} is larger than the limit of {max_inflated // CHUNK} MB once uncompressed: "
                              f"split it into smaller files")


def _check_gzip(path: Path, name: str, max_inflated: int) -> None:
    inflated, head = 0, b""
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                head = head or chunk[:SNIFF]
                inflated += len(chunk)
                if inflated > max_inflated:
                    raise _too_large(name, max_inflated)
    except (OSError, EOFError, zlib.error):
        raise HTTPException(400, f"{name} is not a readable gzip file: save the CSV again and compress it "
                                 f"with gzip, or upload the CSV itself") from None
    _check_text(head, name)


def _check_workbook(path: Path, name: str, max_inflated: int) -> None:
    if not zipfile.is_zipfile(path):
        raise HTTPException(400, f"{name} is not an Excel workbook (.xlsx): save it from Excel as "
                                 f"'Excel Workbook', or as CSV")
    with zipfile.ZipFile(path) as book:
        if sum(part.file_size for part in book.infolist()) > max_inflated:
            raise _too_large(name, max_inflated)


def _check_text(head: bytes, name: str) -> None:
    if not head.strip():
        raise HTTPException(400, f"{name} is empty")
    if head.translate(None, _BINARY) != head:
        raise HTTPException(400, f"{name} is not a text file: it holds binary data, so it cannot be a CSV. "
                                 f"Save the spreadsheet as CSV (or upload the .xlsx itself)")

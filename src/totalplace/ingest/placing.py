"""Putting a user's file into the workspace: whole, or not at all.

A file is copied to a hidden temporary name beside its place, flushed to disk,
and only then renamed into place (a rename within a folder is atomic). A copy
cut short (by a kill, a full disk, a power cut) leaves only a temporary file,
which no loader reads and the next command that places files clears away.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from totalplace.errors import InputError

PARTIAL = ".partial"  # the ending of a copy not yet complete
_NO_SPACE = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def place_file(source: Path, target: Path) -> None:
    """Copy `source` to `target` so that `target` is never seen half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}{PARTIAL}")
    try:
        shutil.copyfile(source, partial)
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise file_error(target, error) from None


def place_text(text: str, target: Path) -> None:
    """Write a small text file so that it is never seen half-written."""
    partial = target.with_name(f".{target.name}.{os.getpid()}{PARTIAL}")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise file_error(target, error) from None


def clear_unfinished(folder: Path) -> None:
    """Remove what copies cut short left in a folder (call it only while holding the store, so that no
    other command of this workspace is copying)."""
    if folder.is_dir():
        for leftover in folder.glob(f".*{PARTIAL}"):
            leftover.unlink(missing_ok=True)


def file_error(path: Path, error: OSError) -> InputError:
    """An operating-system failure to write a file, said in one line."""
    if error.errno in _NO_SPACE:
        return InputError(f"{path}: not enough space to write it ({error.strerror}): free some disk space "
                          "and run the command again; nothing was changed")
    return InputError(f"{path}: cannot be written ({error.strerror or error}); nothing was changed")

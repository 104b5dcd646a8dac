"""Files soc2lint reads because a configuration names them (the configuration file itself, a
baseline, custom rules, evidence records, the ledger): regular files, size-capped, and, when
the name came from the repository, inside it.

A FIFO, a device or a link to one (/dev/zero) is refused before a byte is read, and so is a
link that leads out of the repository (/etc/passwd): one line saying which file and why."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_INPUT_BYTES = 32 * 1024 * 1024


class InputFileError(ValueError):
    """A configured file that is not read; the message is the one line the user sees."""


def inside(path: str | Path, root: str | Path) -> bool:
    """Whether path, links followed, is root or below it."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def check_inside(path: str | Path, root: str | Path | None, what: str) -> None:
    if root is not None and not inside(path, root):
        raise InputFileError(
            f"{path}: {what} is outside the repository ({root}), links followed; not read"
        )


def read_regular(
    path: str | Path,
    what: str,
    root: str | Path | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> bytes:
    """The bytes of a regular file of at most max_bytes (inside root when root is given)."""
    check_inside(path, root, what)
    try:
        # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer, and is refused below
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{path}: {what} is not a regular file; not read")
        if info.st_size > max_bytes:
            raise InputFileError(f"{path}: {what} is larger than the cap ({max_bytes} bytes)")
        # os.read, not a file object: hundreds of rule files are read at every start
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, max(info.st_size + 1, 65536)))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise InputFileError(f"{path}: {what} is larger than the cap ({max_bytes} bytes)")
    return data


def check_regular_or_absent(path: str | Path, what: str) -> None:
    """For a file about to be appended to: absent, or a regular file (no link, FIFO, device)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: {what} is not a regular file (a link, FIFO or device?)")

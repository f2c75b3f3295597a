"""Open a file inside the workspace for writing without following any link.

Checking a resolved path and then writing to it leaves a window in which a process the
model started can swap a folder or the file for a symlink; and a hard link to a file
outside the workspace looks like any other file. So each path component is opened with
O_NOFOLLOW relative to the directory descriptor of the one before, starting at the
workspace, and a file with more than one hard link is refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePath
from typing import TextIO


def _parts(workspace: Path, path: str) -> list[str]:
    """The path's components below the workspace, '..' applied lexically; PermissionError if it leaves."""
    candidate = PurePath(os.path.expanduser(path))
    if candidate.is_absolute():
        if not candidate.is_relative_to(workspace):
            raise PermissionError(f"{path} is outside the workspace {workspace}; files can only be written inside it")
        candidate = candidate.relative_to(workspace)
    parts: list[str] = []
    for part in candidate.parts:
        if part == "..":
            if not parts:
                raise PermissionError(f"{path} is outside the workspace {workspace}; files can only be written inside it")
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    if not parts:
        raise IsADirectoryError(f"{path} is the workspace itself, not a file")
    return parts


def open_for_writing(workspace: Path, path: str, *, create: bool) -> TextIO:
    """`path` opened read-write at its start; missing folders and the file are made when `create`.

    Raises PermissionError for a path outside the workspace, a symlink anywhere below the
    workspace, or a file with other hard links; FileNotFoundError for a missing file without `create`.
    """
    parts = _parts(workspace, path)
    dir_fd = os.open(workspace, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in parts[:-1]:
            if create:
                try:
                    os.mkdir(name, dir_fd=dir_fd)
                except FileExistsError:
                    pass
            next_fd = _open_component(name, os.O_RDONLY | os.O_DIRECTORY, path, dir_fd)
            os.close(dir_fd)
            dir_fd = next_fd
        fd = _open_component(parts[-1], os.O_RDWR | (os.O_CREAT if create else 0), path, dir_fd)
    finally:
        os.close(dir_fd)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        why = "is not a regular file" if not stat.S_ISREG(info.st_mode) else f"has {info.st_nlink} hard links (it may be a file outside the workspace)"
        raise PermissionError(f"{path} {why}; it is not written")
    return os.fdopen(fd, "r+", encoding="utf-8", newline="")


def _open_component(name: str, flags: int, path: str, dir_fd: int) -> int:
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o666, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(os.path.join(f"/proc/self/fd/{dir_fd}", name)):
            raise PermissionError(f"{path}: {name} is a symbolic link; file tools do not follow links in the workspace") from None
        if exc.errno == errno.ENOENT:
            raise FileNotFoundError(f"no such file: {path}") from None
        raise

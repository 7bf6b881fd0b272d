"""A small tmpfs of a test's own, which the test fills to the last byte and frees again: a
SQLite store on it gets "database or disk is full" as on a real full disk.

Plain Python (no pytest). Mounting needs root (CAP_SYS_ADMIN); :func:`mount_problem` says why
a machine cannot, so that a fixture can skip with that reason::

    with SmallDisk() as disk:
        url = f"sqlite:///{disk.path / 'prima.db'}"
        ...
        disk.fill()   # nothing more can be written
        disk.free()   # room again
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

SIZE = "4m"  # room for a migrated store and its write-ahead log


def _mount(target: Path, size: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                           str(target)], capture_output=True, text=True, timeout=30)  # fmt: skip


def _umount(target: Path) -> None:
    proc = subprocess.run(["umount", str(target)], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:  # still open somewhere (a leaked handle): detach it anyway
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)


def mount_problem() -> str | None:
    """None when this machine lets a test mount a tmpfs, else why not."""
    if shutil.which("mount") is None:
        return "there is no `mount` command"
    probe = Path(tempfile.mkdtemp(prefix="prima-tmpfs-probe-"))
    try:
        proc = _mount(probe, "64k")
        if proc.returncode != 0:
            reason = proc.stderr.strip() or f"mount exited {proc.returncode}"
            return f"cannot mount a tmpfs here ({reason})"
        _umount(probe)
        return None
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


class SmallDisk:
    """A mounted tmpfs of ``size`` at a fresh temporary directory (``path``)."""

    def __init__(self, size: str = SIZE) -> None:
        self.size = size
        self.path = Path(tempfile.mkdtemp(prefix="prima-tmpfs-"))
        self._filler = self.path / "filler"
        self._mounted = False

    def mount(self) -> SmallDisk:
        proc = _mount(self.path, self.size)
        if proc.returncode != 0:
            raise RuntimeError(f"mount -t tmpfs failed: {proc.stderr.strip()}")
        self._mounted = True
        return self

    def fill(self) -> None:
        """Write a file until the file system refuses another byte."""
        chunk = b"\0" * 65536
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = len(chunk)
            while size:
                try:
                    os.write(fd, chunk[:size])
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    size //= 2  # the last blocks: smaller writes until not one byte fits
        finally:
            os.close(fd)

    def free(self) -> None:
        """Remove what :meth:`fill` wrote."""
        self._filler.unlink(missing_ok=True)

    def close(self) -> None:
        try:
            if self._mounted:
                _umount(self.path)
        finally:
            self._mounted = False
            shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> SmallDisk:
        return self.mount()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

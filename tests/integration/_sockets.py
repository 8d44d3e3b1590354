"""Counting this process's sockets to a server, from /proc (Linux)."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable


def _socket_inodes() -> set[str]:
    """The inodes of this process's open socket fds."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def _tcp_inodes(port: int, *, column: int) -> set[str]:
    """Inodes of TCP sockets whose local (``column=1``) or remote (2) port is ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[column].rsplit(":", 1)[1], 16) == port:
                    found.add(fields[9])
    return found


def client_sockets(server_port: int) -> int:
    """Open socket fds of this process, less the emulator's own server-side ones."""
    return len(_socket_inodes() - _tcp_inodes(server_port, column=1))


def connections_to(server_port: int) -> int:
    """This process's open TCP sockets whose peer is ``server_port`` (client ends only).

    Unlike :func:`client_sockets`, a server-side socket closing meanwhile is never counted.
    """
    return len(_socket_inodes() & _tcp_inodes(server_port, column=2))


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` (collecting garbage between tries) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        gc.collect()
        if condition():
            return True
        time.sleep(0.02)
    return condition()

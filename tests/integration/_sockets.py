"""Counting this process's client-side sockets, from /proc (Linux)."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable


def client_sockets(server_port: int) -> int:
    """Open socket fds of this process, less the emulator's own server-side ones."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    server_side = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == server_port:
                    server_side.add(fields[9])
    return len(inodes - server_side)


def connections_to(server_port: int) -> int:
    """This process's open TCP sockets whose peer is ``server_port`` (client ends only).

    Unlike :func:`client_sockets`, a server-side socket closing meanwhile is never counted.
    """
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    peers = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == server_port:
                    peers.add(fields[9])
    return len(inodes & peers)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` (collecting garbage between tries) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        gc.collect()
        if condition():
            return True
        time.sleep(0.02)
    return condition()

"""Reads a TCP option of a socket held by another process, from outside it: the socket is found
by its ports in /proc/PID/net/tcp{,6} and /proc/PID/fd, duplicated into this process with
pidfd_getfd(2) (Linux 5.6+, needs ptrace rights over the process, e.g. root or the same user
with ptrace_scope 0) and asked with getsockopt(2). Nothing in the observed program cooperates,
so a test sees the option the program really set.
"""

import ctypes
import os
import socket
import time

_SYS_PIDFD_GETFD = 438  # x86-64 and aarch64
_libc = ctypes.CDLL(None, use_errno=True)


def _socket_inodes(pid: int, local_port: int | None, remote_port: int | None) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                lines = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "0A":  # LISTEN
                continue
            if local_port is not None and int(local.rsplit(":", 1)[1], 16) != local_port:
                continue
            if remote_port is not None and int(remote.rsplit(":", 1)[1], 16) != remote_port:
                continue
            inodes.add(inode)
    return inodes


def tcp_option_of(pid: int, option: int, *, local_port: int | None = None, remote_port: int | None = None,
                  level: int = socket.IPPROTO_TCP, timeout: float = 5.0, expect: int | None = None) -> list[int]:
    """The value of `option` on every connected TCP socket of process `pid` with these ports;
    waits up to `timeout` for one to appear (and, with `expect`, for all of them to hold that
    value: a program sets an option a moment after its connect or accept returns). Raises
    AssertionError when no such socket appears."""
    deadline = time.monotonic() + timeout
    while True:
        inodes = _socket_inodes(pid, local_port, remote_port)
        values = []
        if inodes:
            pidfd = os.pidfd_open(pid)
            try:
                for name in os.listdir(f"/proc/{pid}/fd"):
                    try:
                        target = os.readlink(f"/proc/{pid}/fd/{name}")
                    except OSError:
                        continue
                    if not (target.startswith("socket:[") and target[8:-1] in inodes):
                        continue
                    fd = _libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(name), 0)
                    if fd < 0:
                        raise OSError(ctypes.get_errno(), f"pidfd_getfd on fd {name} of process {pid}")
                    copy = socket.socket(fileno=fd)
                    try:
                        values.append(copy.getsockopt(level, option))
                    finally:
                        copy.detach()
                        os.close(fd)
            finally:
                os.close(pidfd)
        if values and (expect is None or all(v == expect for v in values) or time.monotonic() > deadline):
            return values
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} holds no TCP socket with local port {local_port} and remote port "
                                 f"{remote_port} within {timeout}s")
        time.sleep(0.05)

"""Record every network attempt of a command and its whole process tree (strace -f).

Every `connect`, `sendto` and `sendmsg` that names an address is read from strace's log,
whether or not it succeeded (on a machine without a network the attempt fails quietly, which is
why a test that only blocks Python's sockets cannot see it). Local addresses are the loopback
range, Unix and netlink sockets, and AF_UNSPEC (a datagram socket's disconnect).
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

STRACE = shutil.which("strace")
NO_STRACE = "needs strace (apt-get install strace) to record the process tree's network calls"

_CALL = re.compile(r"^(?P<pid>\d+)\s+(?P<call>connect|sendto|sendmsg)\((?P<args>.*)$")
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_INET = re.compile(r'inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'inet_pton\(AF_INET6, "([^"]+)"')
_LOCAL_FAMILIES = {"AF_UNIX", "AF_LOCAL", "AF_NETLINK", "AF_UNSPEC"}


@dataclass(frozen=True)
class Attempt:
    pid: int
    call: str
    family: str
    address: str  # the IP address, or "" for families without one
    port: int | None
    line: str

    @property
    def local(self) -> bool:
        if self.family in _LOCAL_FAMILIES:
            return True
        if not self.address:
            return False  # an Internet family whose address strace could not show
        ip = ipaddress.ip_address(self.address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback


def parse(log: str) -> list[Attempt]:
    """The attempts in an `strace -f -e trace=network` log that name an address."""
    attempts = []
    for line in log.splitlines():
        match = _CALL.match(line.strip())
        if not match:
            continue
        args = match.group("args")
        family = _FAMILY.search(args)
        if family is None:
            continue  # sendto/sendmsg on a connected socket: its connect was recorded
        address = _INET.search(args) or _INET6.search(args)
        port = _PORT.search(args)
        attempts.append(
            Attempt(
                pid=int(match.group("pid")),
                call=match.group("call"),
                family=family.group(1),
                address=address.group(1) if address else "",
                port=int(port.group(1)) if port else None,
                line=line.strip(),
            )
        )
    return attempts


def processes(log: str) -> set[int]:
    """The processes that started a program (execve) in the log: the command itself and each
    child (ffmpeg, worker interpreters, Ray's processes), a check that the tree was traced."""
    return {int(line.split(maxsplit=1)[0]) for line in log.splitlines() if " execve(" in line}


@dataclass
class Trace:
    result: subprocess.CompletedProcess
    attempts: list[Attempt]
    processes: set[int]


def traced(command: list[str], log: Path, timeout: float, **kwargs) -> Trace:
    """Run `command` under strace (every thread and child process)."""
    assert STRACE is not None, NO_STRACE
    # -s 0: no buffer contents (the log stays small and never holds data); -qq: no attach/exit
    # chatter; execve shows which processes were traced.
    traced_command = [
        *(STRACE, "-f", "-qq", "-s", "0", "-e", "trace=%network,execve", "-o", str(log))
    ]
    result = subprocess.run(
        [*traced_command, *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )
    text = log.read_text(errors="replace")
    return Trace(result, parse(text), processes(text))


def outside(attempts: list[Attempt]) -> list[Attempt]:
    return [attempt for attempt in attempts if not attempt.local]

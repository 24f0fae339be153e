"""Privacy: a real run tries no network address but the machine's own, in every mode, and writes
nothing outside its output and the documented cache folder.

Each run is traced with `strace -f -e trace=network` (tests/network_audit.py): every connect,
sendto and sendmsg of the whole process tree (worker processes, Ray's runtime) is recorded,
including attempts that fail quietly on a machine without a network. HOME is a fresh folder, so
whatever a library writes to the home folder is seen.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from helpers import REPO, meeting_turn
from network_audit import NO_STRACE, STRACE, Trace, outside, parse, traced

pytestmark = pytest.mark.skipif(STRACE is None, reason=NO_STRACE)

RUN_TIMEOUT = 300  # seconds; a run takes 20-40 s here


def annotate(args: list, home: Path, log: Path) -> Trace:
    """`annotate ARGS` traced, with HOME at `home` (and no cache override)."""
    import os

    env = {
        k: v for k, v in os.environ.items() if k not in ("ANNOTATOR_CACHE_DIR", "XDG_CACHE_HOME")
    }
    env["HOME"] = str(home)
    command = [sys.executable, "-c", "from annotator.cli import main; main()", *map(str, args)]
    return traced(command, log, RUN_TIMEOUT, cwd=REPO, env=env)


def written_in(home: Path) -> list[str]:
    """Files under `home` outside the documented cache folder (~/.cache/annotator)."""
    cache = home / ".cache" / "annotator"
    return sorted(
        str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() and cache not in p.parents
    )


def assert_private(trace: Trace, home: Path) -> None:
    assert trace.result.returncode == 0, trace.result.stderr[-2000:]
    assert trace.processes, "strace saw no program start: the trace did not work"
    found = outside(trace.attempts)
    assert not found, "network attempts:\n" + "\n".join(a.line for a in found[:20])
    assert written_in(home) == []


def test_the_audit_flags_outside_addresses_and_passes_local_ones() -> None:
    """Lines as strace writes them (the first two from a run with onnxruntime's telemetry on)."""
    log = "\n".join(
        [
            '25000 connect(12, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16 <unfinished ...>',  # noqa: E501
            '31710 connect(23, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("169.254.169.254")}, 16) = -1 EINPROGRESS',  # noqa: E501
            '7 connect(7, {sa_family=AF_INET6, sin6_port=htons(45089), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:192.0.2.2", &sin6_addr), sin6_scope_id=0}, 28) = -1',  # noqa: E501
            '8 sendto(3, ""..., 20, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, 16) = 20',  # noqa: E501
            '9 connect(5, {sa_family=AF_INET, sin_port=htons(41835), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',  # noqa: E501
            '9 connect(5, {sa_family=AF_INET6, sin6_port=htons(1), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',  # noqa: E501
            '9 connect(6, {sa_family=AF_UNIX, sun_path="/tmp/ray/sockets/raylet"}, 110) = 0',
            '9 connect(6, {sa_family=AF_UNSPEC, sa_data="\\0\\0"}, 16) = 0',
            '9 sendto(12, ""..., 50, MSG_NOSIGNAL, NULL, 0) = 50',  # connected: no address
            "9 socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 6",
        ]
    )
    attempts = parse(log)
    assert [a.address for a in outside(attempts)] == [
        "10.255.255.53",
        "169.254.169.254",
        "::ffff:192.0.2.2",
        "8.8.8.8",
    ]
    assert [a.port for a in outside(attempts)] == [53, 80, 45089, 53]
    assert len(attempts) == 8 and sum(a.local for a in attempts) == 4


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    meeting_turn("jacket_angry", folder)
    meeting_turn("bin_blue", folder)
    return folder


def test_a_plain_run_and_its_report_try_no_network_and_write_only_their_output(
    clips, tmp_path
) -> None:
    home, out = tmp_path / "home", tmp_path / "out.json"
    home.mkdir()
    trace = annotate([clips / "jacket_angry.mp4", "-o", out, "-q"], home, tmp_path / "run.log")
    assert_private(trace, home)
    assert json.loads(out.read_text())["utterances"]
    # The report command: its own process, its own libraries.
    trace = annotate(["report", out, "-o", tmp_path / "r.html"], home, tmp_path / "report.log")
    assert_private(trace, home)
    assert (tmp_path / "r.html").stat().st_size > 0


@pytest.mark.slow  # a minute here; onnxruntime's telemetry upload comes this long into a run
def test_the_sample_meeting_tries_no_network(samples, tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "meeting.json"
    trace = annotate([samples / "meeting.mp4", "-o", out, "-q"], home, tmp_path / "run.log")
    assert_private(trace, home)


@pytest.mark.slow  # worker processes inherit the environment the plain run is audited with
def test_worker_processes_try_no_network(clips, tmp_path) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    trace = annotate([clips, "-o", out, "--jobs", "2", "-q"], home, tmp_path / "jobs.log")
    assert_private(trace, home)
    assert sorted(p.name for p in out.glob("*.json")) == ["bin_blue.json", "jacket_angry.json"]


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed")
def test_a_local_ray_runtime_tries_no_network(clips, tmp_path) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    trace = annotate([clips, "-o", out, "--ray", "local", "-q"], home, tmp_path / "ray.log")
    assert_private(trace, home)
    assert len(trace.processes) > 3  # Ray's processes were traced too
    assert sorted(p.name for p in out.glob("*.json")) == ["bin_blue.json", "jacket_angry.json"]

"""The real server in a child process, for the integration test and the load benchmark:
``inventory-optimization serve`` on a free loopback port, waited for until ready, stopped
(SIGTERM, then killed) on exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(
    project: Path,
    env: str | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 180.0,
    log: Path | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[str]:
    """The base URL of a server over ``project`` (its output in ``log``, default
    ``<project>/service.log``; more ``serve`` options in ``options``) once ``/ready`` answers
    200."""
    port = free_port()
    command = [sys.executable, "-m", "inventory_optimization", "serve", "--port", str(port)]
    command += [*(["--env", env] if env else []), *options]
    log = log or Path(project) / "service.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            command,
            cwd=project,
            env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", **(environ or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(server, url, timeout, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_ready(server: subprocess.Popen, url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server was not ready in {timeout:.0f} s (log: {log})")
        time.sleep(0.5)

"""Start real hubnet processes on 127.0.0.1 for end-to-end tests.

Each process is set up and run with the same `hubnet` commands a council or
the national team would use, on a free loopback port, with its own database
(SQLite, or a fresh PostgreSQL database when HUBNET_TEST_DATABASE_URL is set).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

AUDIENCE = "hubnet-e2e-national"


def hubnet(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a `hubnet` command to completion and return its result."""
    result = subprocess.run(
        [sys.executable, "-m", "hubnet", *args], capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"hubnet {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """A `hubnet … serve` process in its own process group."""

    group: str
    instance: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: str) -> None:
        log = (self.instance / "serve.log").open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "hubnet", self.group, "serve", "--instance", str(self.instance),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.group} exited while starting:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + probe, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.group} did not answer within 60 s:\n{self.log()}")

    def log(self) -> str:
        return (self.instance / "serve.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def raise_as_new_person(hub_url: str, theme: str, kind: str = "concern") -> int:
    """A new resident (a fresh cookie jar) raises one contribution through the hub's API."""
    person = requests.Session()
    response = person.post(
        f"{hub_url}/api/v1/contributions",
        json={
            "kind": kind,
            "title": "Cannot get a GP appointment",
            "body": "I ring at 8am every day and the appointments are gone by 8.15.",
            "theme": theme,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    contribution_id: int = response.json()["id"]
    return contribution_id


def support_as_new_person(hub_url: str, contribution_id: int) -> None:
    response = requests.Session().post(
        f"{hub_url}/api/v1/contributions/{contribution_id}/support", timeout=10
    )
    assert response.status_code in (200, 201), response.text

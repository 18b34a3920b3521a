"""Start real hubnet processes on 127.0.0.1 for end-to-end tests.

Each process is set up and run with the same `hubnet` commands a council or
the national team would use, on a free loopback port, with its own database
(SQLite, or a fresh PostgreSQL database when HUBNET_TEST_DATABASE_URL is set).
Tests read those databases through `read_only_engine`, never writing to them
unless a test says so (tampering, or `backdate` moving residents' acts into
an ended period).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

import requests
from sqlalchemy import Engine, create_engine, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from federation.periods import Period
from hub.gather.models import Contribution, Support

AUDIENCE = "hubnet-e2e-national"
# Settings the end-to-end hubs are served with: plain http:// on 127.0.0.1 (so cookies must
# not be Secure-only); post-moderation, so what residents raise through the API is on show
# at once and others can say "me too"; and no rate limits, since every "resident" here comes
# from 127.0.0.1 (moderation and the limits are tested in tests/hub and tests/browser).
E2E_HUB_ENV = {
    "HUB_SESSION_COOKIE_SECURE": "false",
    "HUB_MODERATION": "post",
    "HUB_RATE_LIMITS_ENABLED": "false",
}
# The hub's own retry settings, shortened so a test of an outage takes
# milliseconds, not the ~30 s that 5 tries with a 2 s base can take.
SHORT_WAITS = {"HUB_RETRY_BASE_SECONDS": "0.01", "HUB_RETRY_CAP_SECONDS": "0.05"}


def hubnet_command(*args: str) -> list[str]:
    """The argv that runs `hubnet …`."""
    return [sys.executable, "-m", "hubnet", *args]


def command_env(*, short_waits: bool, env: Mapping[str, str] | None) -> dict[str, str] | None:
    """The environment for one `hubnet` run: extra settings, and short retry waits if asked."""
    extra = {**(SHORT_WAITS if short_waits else {}), **(env or {})}
    return {**os.environ, **extra} if extra else None


def hubnet(
    *args: str,
    check: bool = True,
    short_waits: bool = False,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a `hubnet` command to completion and return its result.

    `env` adds to the environment, e.g. a HUB_ setting for this one run;
    `input_text` is its standard input (a password for `--password-stdin`).
    """
    result = subprocess.run(
        hubnet_command(*args),
        input=input_text,
        capture_output=True,
        text=True,
        timeout=120,
        env=command_env(short_waits=short_waits, env=env),
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
    database_url: str | None = None  # as given to `init`; None: the instance's own SQLite
    probe: str = "/"  # the path that answers 200 once the server is ready
    env: dict[str, str] = field(default_factory=dict)  # settings for `serve`, e.g. E2E_HUB_ENV

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: str | None = None) -> None:
        """Serve on `port` and wait until `probe` answers 200 (a minute at most)."""
        self.probe = probe or self.probe
        probe = self.probe
        log = (self.instance / "serve.log").open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "hubnet", self.group, "serve", "--instance", str(self.instance),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **self.env},
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
        """Stop the way an operator would (SIGTERM to the group), killing it after 15 s."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers) at once, as a crash would."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=15)
        # The group leader is reaped; wait for any worker still being torn down.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise AssertionError(f"{self.group}: processes of group {self.popen.pid} outlived SIGKILL")

    def restart(self) -> None:
        """Start again on the same instance and port (after stop() or kill())."""
        self.stop()
        self.start()


def read_only_engine(database_url: str) -> Engine:
    """An engine that can only read the database a server was given (SQLite or PostgreSQL)."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        return create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, execution_options={"postgresql_readonly": True})


def writable_engine(database_url: str) -> Engine:
    """An engine that may write: only for tests that tamper with a server's data on purpose."""
    url = make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url)


@contextmanager
def reading(server: Server) -> Iterator[Session]:
    """A read-only session on the database the server was set up with."""
    assert server.database_url is not None, f"{server.group} was set up without a database URL"
    engine = read_only_engine(server.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


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


def last_full_month() -> Period:
    """The month before today's (UTC): `hubnet hub push` refuses a period that has not ended."""
    return Period.last_full_month(datetime.now(UTC).date())


def backdate(hub: Server, period: Period) -> None:
    """Date every contribution and "me too" on the hub in the middle of `period`.

    Residents act through the hub's API now, but only an ended period can be
    pushed, so a test that checks the counts it pushed moves those acts into
    the period it pushes, as if they had been made then.
    """
    assert hub.database_url is not None, f"{hub.group} was set up without a database URL"
    middle = period.start + (period.end - period.start) / 2
    when = datetime.combine(middle, clock_time(12), tzinfo=UTC)
    engine = writable_engine(hub.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(update(Contribution).values(created_at=when))
            connection.execute(update(Support).values(created_at=when))
    finally:
        engine.dispose()

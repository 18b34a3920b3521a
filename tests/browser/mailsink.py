"""A local SMTP server for the browser tests: every message the hub sends lands in a folder.

Uses `hubnet mail-sink` (hub/mail/sink.py) when the hub has it, so the tests run
what the demo runs; otherwise aiosmtpd's `Controller` in this process. Either way
each message is one `.eml` file in `folder`, read back with `messages()`.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.e2e.network import free_port, hubnet_command


def _has_mail_sink_command() -> bool:
    from hubnet.cli import main

    return "mail-sink" in main.commands  # type: ignore[attr-defined]


class _SaveToFolder:
    """aiosmtpd handler: write each message as it arrived to `<folder>/<n>.eml`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.eml"
        (self.folder / name).write_bytes(data)
        return "250 Message accepted for delivery"


@dataclass
class MailSink:
    folder: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    _process: subprocess.Popen[bytes] | None = None
    _controller: Any = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if _has_mail_sink_command():
            log = (self.folder.parent / "mail-sink.log").open("ab")
            self._process = subprocess.Popen(
                hubnet_command("mail-sink", "--port", str(self.port), "--dir", str(self.folder)),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._wait_for_port()
            return
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _SaveToFolder(self.folder), hostname=self.host, port=self.port
        )
        self._controller.start()

    def _wait_for_port(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise AssertionError("hubnet mail-sink exited while starting")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 1):
                return
            time.sleep(0.1)
        raise AssertionError("hubnet mail-sink did not listen within 20 s")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def wait_for(self, to: str, *, timeout: float = 10) -> EmailMessage:
        """The newest message to `to`, waiting up to `timeout` seconds for one."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [m for m in self.messages() if to.lower() in str(m["To"]).lower()]
            if matching:
                return matching[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no email to {to} within {timeout} s")
            time.sleep(0.1)

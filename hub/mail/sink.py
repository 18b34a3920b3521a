"""A tiny local SMTP server that keeps every message as a file: for the demo and the tests.

`hubnet mail-sink --port 8025 --dir var/mail` listens on 127.0.0.1, writes each
message it receives to DIR as `<time>-<n>.eml` (exactly the bytes received)
and prints one line per message. It accepts anything and relays nothing: it
is where a demo or test hub's `SMTP_HOST` points, never a real mail server.
Tests use `MailSink` directly (a context manager running the same server in a
thread).
"""

from __future__ import annotations

import email
import email.policy
import itertools
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class SaveToFolder:
    """aiosmtpd handler: each message becomes one .eml file in `directory`."""

    def __init__(self, directory: Path, announce: Callable[[str], None] | None = None) -> None:
        self.directory = directory
        self.announce = announce
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        with self.lock:
            number = next(self.counter)
        path = self.directory / f"{time.strftime('%Y%m%dT%H%M%S')}-{number:05d}.eml"
        path.write_bytes(raw)
        if self.announce is not None:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            to = ", ".join(str(address) for address in envelope.rcpt_tos)
            self.announce(f"mail-sink: {path.name} to {to}: {parsed.get('Subject', '')}")
        return "250 Message accepted for delivery"


class MailSink:
    """The sink in a background thread: `with MailSink(tmp_path) as sink: … sink.messages()`."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.controller = Controller(
            SaveToFolder(directory, announce),
            hostname=HOST,
            port=self.port,
            decode_data=False,
            server_hostname="mail-sink.localhost",
        )

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return read_folder(self.directory)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages once at least `count` have arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages()
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"expected {count} emails, the sink has {len(found)}"
                return found
            time.sleep(0.05)


def read_folder(directory: Path) -> list[EmailMessage]:
    """The .eml files in `directory`, parsed, in the order they arrived."""
    messages: list[EmailMessage] = []
    for path in sorted(directory.glob("*.eml"), key=lambda p: p.name.split("-", 1)[1]):
        parsed: Any = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages.append(parsed)
    return messages


def body_text(message: EmailMessage) -> str:
    """The plain-text part of a message, with plain newlines (SMTP carries CRLF)."""
    part = message.get_body(preferencelist=("plain",))
    return "" if part is None else str(part.get_content()).replace("\r\n", "\n")

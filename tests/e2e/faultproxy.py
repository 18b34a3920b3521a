"""A small HTTP-aware TCP proxy on 127.0.0.1 that injects network faults on demand.

It sits between a hub and the aggregator (the hub is set up with the proxy's
URL as its aggregator) and forwards bytes unchanged. It reads just enough
HTTP/1.1 to know where each request and each answer ends, so a test can act
at the moments that matter for exactly-once delivery:

- `pass_through()`: forward everything.
- `hold()`: forward the request, read the aggregator's whole answer, and keep
  it until `release()` (send it) or `drop_held()` (close the connection
  without it). The test can act while the request has been processed.
- `drop_responses(count)`: forward the request, read the answer, then close
  the client's connection without sending anything (a cut after the request
  was sent but before the answer arrived); after `count` answers (if given)
  it passes through again.
- `refuse()`: stop listening, so connections are refused (nothing forwarded).

Faults apply to requests matching `method` and `path` (by default the
submission POST); anything else, such as a hub fetching a checkpoint, passes
through. `forwarded` and `answered` count matching requests fully sent to the
aggregator and matching answers fully read back from it; a test waits on them
rather than sleeping. `statuses` lists the aggregator's status codes for
matching requests, in order.

Bounded: the proxy stops by itself after `lifetime` seconds, every socket has
a timeout, and at most `max_connections` client connections are served at once.
"""

from __future__ import annotations

import contextlib
import enum
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

SUBMISSIONS = ("POST", "/api/v1/submissions")
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024


class Mode(enum.Enum):
    PASS_THROUGH = "pass through"
    HOLD = "hold the response"
    DROP = "drop the response"
    REFUSE = "refuse connections"


class Tally:
    """A count that only grows, which a test can wait on."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        with self._changed:
            return self._count

    def add(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> None:
        """Block until the count reaches `count`; AssertionError after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._count >= count, timeout=timeout):
                raise AssertionError(
                    f"waited {timeout} s for a count of {count}; it is {self._count}"
                )


class _Closed(Exception):
    """The peer closed the connection before a whole message arrived."""


@dataclass
class _Message:
    raw: bytes
    start_line: str
    headers: dict[str, str]

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").lower() == "close"


@dataclass
class _Held:
    """A response kept back from the client until the test decides."""

    decided: threading.Event = field(default_factory=threading.Event)
    send: bool = False


class _Reader:
    """Reads whole HTTP/1.1 messages from one socket, keeping any bytes read ahead."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _more(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed
        self.buffer += chunk
        return chunk

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self._more()
        taken, self.buffer = self.buffer[:count], self.buffer[count:]
        return taken

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise _Closed
            self._more()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"

    def message(self, *, is_response: bool) -> _Message | None:
        """The next whole message, or None if the peer closed cleanly before sending one."""
        if not self.buffer:
            try:
                self._more()
            except _Closed:
                return None
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise _Closed
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = head + b"\r\n\r\n"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raw += self._chunked()
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if length > MAX_BODY_BYTES:
                raise _Closed
            raw += self._take(length)
        elif is_response and not _bodiless(lines[0]):
            raw += self._until_close()
            headers["connection"] = "close"
        return _Message(raw, lines[0], headers)

    def _chunked(self) -> bytes:
        raw = b""
        while True:
            size_line = self._line()
            raw += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while (trailer := self._line()) != b"\r\n":
                    raw += trailer
                return raw + b"\r\n"
            raw += self._take(size + 2)

    def _until_close(self) -> bytes:
        with contextlib.suppress(_Closed):
            while len(self.buffer) <= MAX_BODY_BYTES:
                self._more()
        taken, self.buffer = self.buffer, b""
        return taken


def _bodiless(status_line: str) -> bool:
    parts = status_line.split()
    return len(parts) > 1 and (parts[1].startswith("1") or parts[1] in ("204", "304"))


class FaultProxy:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`upstream_port`, injecting faults on demand."""

    def __init__(
        self,
        upstream_port: int,
        *,
        match: tuple[str, str] = SUBMISSIONS,
        lifetime: float = 300.0,
        socket_timeout: float = 30.0,
        max_connections: int = 32,
    ) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.match = match
        self.socket_timeout = socket_timeout
        self.max_connections = max_connections
        self.forwarded = Tally()  # matching requests fully sent to the aggregator
        self.answered = Tally()  # matching answers fully read back from the aggregator
        self.statuses: list[int] = []  # the aggregator's status for each matching request
        self._deadline = time.monotonic() + lifetime
        self._mode = Mode.PASS_THROUGH
        self._drops_left: int | None = None  # answers still to drop, when counted
        self._lock = threading.Lock()
        self._held: list[_Held] = []
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._mode_applied = threading.Condition()
        self._listening_now = True
        probe = self._bind(0)
        self.port: int = probe.getsockname()[1]
        self._listener: socket.socket | None = probe
        self._acceptor = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mode(self) -> Mode:
        with self._lock:
            return self._mode

    # -- switching modes (from the test's thread) --------------------------------------------

    def pass_through(self) -> None:
        self._set_mode(Mode.PASS_THROUGH)

    def hold(self) -> None:
        self._set_mode(Mode.HOLD)

    def drop_responses(self, count: int | None = None) -> None:
        """Drop answers to matching requests: every one, or the next `count` of them."""
        self._set_mode(Mode.DROP, drops=count)

    def refuse(self) -> None:
        self._set_mode(Mode.REFUSE)

    def release(self) -> None:
        """Send every held response to its client (clients that died just miss it)."""
        self._decide_held(send=True)

    def drop_held(self) -> None:
        """Close every held response's client connection without sending it."""
        self._decide_held(send=False)

    def _decide_held(self, *, send: bool) -> None:
        with self._lock:
            held, self._held = self._held, []
        for item in held:
            item.send = send
            item.decided.set()

    def _set_mode(self, mode: Mode, *, drops: int | None = None) -> None:
        """Switch, and return once the listener is open or closed to match the new mode."""
        if drops is not None and drops < 1:
            raise ValueError(f"drop at least one answer, not {drops}")
        listening = mode is not Mode.REFUSE
        with self._lock:
            self._mode, self._drops_left = mode, drops
        with self._mode_applied:
            if not self._mode_applied.wait_for(
                lambda: self._listening_now is listening or self._stopping.is_set(), timeout=10
            ):
                raise AssertionError(f"the proxy did not switch to {mode.value} within 10 s")

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop accepting, drop held responses, close every connection, join the acceptor."""
        self._stopping.set()
        self.drop_held()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(timeout=5)

    def wait_stopped(self, timeout: float) -> bool:
        """Wait until the proxy has stopped listening (closed, or past its lifetime)."""
        self._acceptor.join(timeout=timeout)
        return not self._acceptor.is_alive()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _expired(self) -> bool:
        return self._stopping.is_set() or time.monotonic() > self._deadline

    # -- the acceptor thread: owns the listening socket --------------------------------------

    def _bind(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        return listener

    def _accept_loop(self) -> None:
        try:
            while not self._expired():
                mode = self.mode
                if mode is Mode.REFUSE and self._listener is not None:
                    self._listener.close()
                    self._listener = None
                elif mode is not Mode.REFUSE and self._listener is None:
                    self._listener = self._bind(self.port)
                with self._mode_applied:
                    self._listening_now = self._listener is not None
                    self._mode_applied.notify_all()
                if self._listener is None:
                    time.sleep(0.02)
                    continue
                with selectors.DefaultSelector() as selector:
                    selector.register(self._listener, selectors.EVENT_READ)
                    if not selector.select(timeout=0.05):
                        continue
                try:
                    client, _address = self._listener.accept()
                except OSError:  # the client gave up between select and accept
                    continue
                with self._lock:
                    busy = len(self._sockets) >= 2 * self.max_connections
                if busy:
                    client.close()
                    continue
                threading.Thread(
                    target=self._serve_connection, args=(client,), name="faultproxy-conn",
                    daemon=True,
                ).start()  # fmt: skip
        finally:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            self._stopping.set()
            with self._mode_applied:
                self._mode_applied.notify_all()
            self.drop_held()

    # -- one client connection ---------------------------------------------------------------

    def _track(self, sock: socket.socket) -> socket.socket:
        sock.settimeout(self.socket_timeout)
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _untrack(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.close()

    def _serve_connection(self, client: socket.socket) -> None:
        self._track(client)
        upstream: socket.socket | None = None
        upstream_reader: _Reader | None = None
        client_reader = _Reader(client)
        try:
            while not self._expired():
                request = client_reader.message(is_response=False)
                if request is None:
                    return
                if self.mode is Mode.REFUSE:
                    return  # a kept-alive connection: serve nothing while refusing
                method, path = [*request.start_line.split(), "", ""][:2]
                matched = (method, path.split("?")[0]) == self.match
                mode = self._mode_for_request() if matched else Mode.PASS_THROUGH
                if upstream is None:
                    try:
                        upstream = self._track(socket.create_connection(self.upstream, timeout=5))
                    except OSError:
                        _reset(client)  # the aggregator is down: as close to "refused" as it gets
                        return
                    upstream_reader = _Reader(upstream)
                assert upstream_reader is not None
                upstream.sendall(request.raw)
                if matched:
                    self.forwarded.add()
                try:
                    response = upstream_reader.message(is_response=True)
                except _Closed:
                    response = None
                if response is None:
                    return  # the aggregator went away before answering: so does the answer
                held = self._hold() if mode is Mode.HOLD else None
                if matched:
                    with self._lock:
                        self.statuses.append(int(response.start_line.split()[1]))
                    self.answered.add()
                if held is not None and not self._wait_for_release(held):
                    return
                if mode is Mode.DROP:
                    return
                client.sendall(response.raw)
                if response.closes or request.closes:
                    return
        except (OSError, _Closed, ValueError, IndexError):
            return
        finally:
            self._untrack(upstream)
            self._untrack(client)

    def _mode_for_request(self) -> Mode:
        """The mode for a matching request, counting it against a limited run of drops."""
        with self._lock:
            mode = self._mode
            if mode is Mode.DROP and self._drops_left is not None:
                self._drops_left -= 1
                if self._drops_left == 0:
                    self._mode, self._drops_left = Mode.PASS_THROUGH, None
            return mode

    def _hold(self) -> _Held:
        """Register a held response (before the test can see it answered, so release finds it)."""
        held = _Held()
        with self._lock:
            self._held.append(held)
        return held

    def _wait_for_release(self, held: _Held) -> bool:
        """Keep the response until the test releases (True) or drops it, or the proxy stops."""
        while not held.decided.wait(timeout=0.1):
            if self._expired():
                return False
        return held.send


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN, so the client sees its connection reset."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

"""The fault proxy itself, against a tiny HTTP server: each mode does what test_faults needs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.e2e.faultproxy import FaultProxy

pytestmark = pytest.mark.e2e


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn and requests use it

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(body)  # type: ignore[attr-defined]
        self._answer(201, b"stored " + body)

    def do_GET(self) -> None:
        self._answer(200, b"checkpoint")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: ThreadingHTTPServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.server_address[1], lifetime=30) as proxy:
        yield proxy


def submit(proxy: FaultProxy, session: requests.Session, body: bytes) -> requests.Response:
    return session.post(f"{proxy.url}/api/v1/submissions", data=body, timeout=5)


def test_pass_through_forwards_requests_and_answers_on_one_connection(
    proxy: FaultProxy, upstream: ThreadingHTTPServer
) -> None:
    with requests.Session() as session:
        assert submit(proxy, session, b"one").content == b"stored one"
        assert submit(proxy, session, b"two").content == b"stored two"
        assert session.get(f"{proxy.url}/api/v1/log/checkpoint", timeout=5).status_code == 200
    assert upstream.received == [b"one", b"two"]  # type: ignore[attr-defined]
    assert (proxy.forwarded.count, proxy.answered.count, proxy.statuses) == (2, 2, [201, 201])


def test_hold_keeps_the_answer_until_released(
    proxy: FaultProxy, upstream: ThreadingHTTPServer
) -> None:
    proxy.hold()
    answers: list[requests.Response] = []
    with requests.Session() as session:
        sender = threading.Thread(target=lambda: answers.append(submit(proxy, session, b"x")))
        sender.start()
        proxy.answered.wait_for(1, timeout=5)
        assert upstream.received == [b"x"]  # type: ignore[attr-defined]
        assert not answers  # processed upstream, not yet answered downstream
        # other requests are not held
        assert requests.get(f"{proxy.url}/api/v1/log/checkpoint", timeout=5).ok
        proxy.release()
        sender.join(timeout=5)
    assert answers[0].status_code == 201


def test_held_answers_can_be_dropped(proxy: FaultProxy) -> None:
    proxy.hold()
    failures: list[Exception] = []

    def send() -> None:
        try:
            submit(proxy, requests.Session(), b"x")
        except requests.ConnectionError as exc:
            failures.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    proxy.forwarded.wait_for(1, timeout=5)
    proxy.answered.wait_for(1, timeout=5)
    proxy.drop_held()
    sender.join(timeout=5)
    assert len(failures) == 1


def test_drop_forwards_the_request_but_not_the_answer(
    proxy: FaultProxy, upstream: ThreadingHTTPServer
) -> None:
    proxy.drop_responses()
    with pytest.raises(requests.ConnectionError):
        submit(proxy, requests.Session(), b"lost answer")
    assert upstream.received == [b"lost answer"]  # type: ignore[attr-defined]
    assert proxy.statuses == [201]


def test_a_counted_drop_passes_through_afterwards(proxy: FaultProxy) -> None:
    proxy.drop_responses(count=1)
    with pytest.raises(requests.ConnectionError):
        submit(proxy, requests.Session(), b"first")
    assert submit(proxy, requests.Session(), b"second").content == b"stored second"
    assert proxy.statuses == [201, 201]


def test_refuse_closes_the_port_until_switched_back(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        assert submit(proxy, session, b"before").ok  # leaves a kept-alive connection
        proxy.refuse()
        with pytest.raises(requests.ConnectionError):
            submit(proxy, session, b"kept-alive connection")
        with pytest.raises(requests.ConnectionError, match="refused"):
            submit(proxy, requests.Session(), b"new connection")
        proxy.pass_through()
        assert submit(proxy, session, b"after").ok
    assert proxy.forwarded.count == 2


def test_a_down_upstream_resets_the_connection(
    proxy: FaultProxy, upstream: ThreadingHTTPServer
) -> None:
    upstream.shutdown()
    upstream.server_close()
    with pytest.raises(requests.ConnectionError):
        submit(proxy, requests.Session(), b"x")
    assert proxy.forwarded.count == 0


def test_the_proxy_stops_by_itself(upstream: ThreadingHTTPServer) -> None:
    proxy = FaultProxy(upstream.server_address[1], lifetime=0.2)
    assert proxy.wait_stopped(timeout=5)
    with pytest.raises(requests.ConnectionError):
        submit(proxy, requests.Session(), b"x")

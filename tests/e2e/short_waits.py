"""Run `hubnet …` with every wait cut to at most 50 ms, for fault tests that must stay fast.

The hub's outbox retries a failed delivery with full-jitter backoff (base 2 s),
so a push against an aggregator that is down waits about 15 s before it gives
up. Here the relay still makes every try, in the same order, and records the
same backoff it computed; only the sleeping between tries is shortened. Usage:
`python tests/e2e/short_waits.py hub push --instance DIR` (see `network.hubnet`).
"""

import time

_sleep = time.sleep


def _short_sleep(seconds: float) -> None:
    _sleep(min(seconds, 0.05))


time.sleep = _short_sleep

from hubnet.cli import main  # noqa: E402  (after the patch, so nothing holds the old sleep)

main()

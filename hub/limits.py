"""Rate limits on raising, supporting, commenting, reporting, signing in and account forms.

A view opts in with `@limit(name)`; only its POST (PUT, PATCH, DELETE) requests
count, never a GET of the same page. The names and what each counts, per client
address (Flask-Limiter's `get_remote_address`; behind a proxy set `PROXY_COUNT`,
see hub/security.py):

- `raise`, `support`, `comment`, `report` (`RATE_LIMIT_RAISE`, …): what was
  accepted (a response below 400), so a resident correcting a mistake on a form is
  not held back, while one address cannot fill the hub with items or "me too"s.
  One count per name across every view holding it (the form and the API share it).
- `login` (`RATE_LIMIT_LOGIN`): failed sign-ins, that is any answer that is not a
  redirect (a successful sign-in, or a correct password leading on to the TOTP
  code, redirects). Also `RATE_LIMIT_LOGIN_PER_EMAIL`: failed sign-ins to one email
  address from any number of addresses, against slow password guessing spread
  across many machines.
- `account` (`RATE_LIMIT_ACCOUNT`): every attempt (registering, asking for a
  password reset: each may send an email, and their answers must not reveal
  whether an account exists).

Past a limit: 429 with `Retry-After`, as problem JSON under /api/ and as an NHS.UK
page (hub/templates/errors/429.html) otherwise. Nothing is stored.

The counters live in `RATE_LIMIT_STORAGE_URI`: the default `memory://` keeps them
in each gunicorn worker (so the real limit is the setting times the number of
workers, and a restart forgets them); `redis://…` or `memcached://…` gives one
shared count. `RATE_LIMITS_ENABLED = false` turns every limit off. Each app has its
own limiter, so two apps in one process (tests) never share counters.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from hubnet.problems import problem

F = TypeVar("F", bound=Callable[..., Any])

NAMES = ("raise", "support", "comment", "report", "login", "account")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ATTRIBUTE = "rate_limit"  # set on a limited view: the name of its limit
EXTENSION = "hub.limits"

# What each name is about, for the 429 page and problem ("… from this address").
DOING = {
    "raise": "raised",
    "support": "said “me too”",
    "comment": "commented",
    "report": "reported",
    "login": "tried to sign in",
    "account": "used the account forms",
}


def limit(name: str) -> Callable[[F], F]:
    """Rate-limit the view's POSTs under `name` (one of NAMES; settings RATE_LIMIT_<NAME>)."""
    if name not in NAMES:
        raise ValueError(f"unknown rate limit {name!r}; one of {', '.join(NAMES)}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            state: _Limits | None = current_app.extensions.get(EXTENSION)
            if request.method in SAFE_METHODS or state is None or not state.enabled:
                return view(*args, **kwargs)
            return state.checked(name, view)(*args, **kwargs)

        setattr(limited, ATTRIBUTE, name)
        return limited  # type: ignore[return-value]

    return decorate


def limit_of(view: Callable[..., Any]) -> str | None:
    """The rate limit name a view was decorated with, or None (for tests and checks)."""
    return getattr(view, ATTRIBUTE, None)


@dataclass
class _Limits:
    limiter: Limiter
    enabled: bool
    views: dict[tuple[str, int], Callable[..., Any]] = field(default_factory=dict)

    def checked(self, name: str, view: Callable[..., Any]) -> Callable[..., Any]:
        """`view` wrapped by this app's limiter with the limits of `name` (made once)."""
        key = (name, id(view))
        wrapped = self.views.get(key)
        if wrapped is None:

            def target(*args: Any, **kwargs: Any) -> Any:
                return view(*args, **kwargs)

            # Flask-Limiter files a view's limits under its qualified name: make it unique,
            # so two views of one name (made by a factory, say) never share limits.
            target.__qualname__ = target.__name__ = (
                f"{name}#{len(self.views)}:{view.__module__}.{view.__qualname__}"
            )
            wrapped = target
            for route_limit in _route_limits(self.limiter, name):
                wrapped = route_limit(wrapped)
            self.views[key] = wrapped
        return wrapped


def _setting(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


def _accepted(response: Response) -> bool:
    return response.status_code < 400


def _not_redirected(response: Response) -> bool:
    return not 300 <= response.status_code < 400


def _email_tried() -> str:
    return "email:" + request.form.get("email", "").strip().lower()


def _no_email() -> bool:
    return not request.form.get("email", "").strip()


def _route_limits(limiter: Limiter, name: str) -> list[Any]:
    """Flask-Limiter shared limits (one count per name across views) for `name`."""
    setting = _setting(f"RATE_LIMIT_{name.upper()}")
    if name == "login":
        return [
            limiter.shared_limit(setting, scope="login", deduct_when=_not_redirected),
            limiter.shared_limit(
                _setting("RATE_LIMIT_LOGIN_PER_EMAIL"),
                scope="login-email",
                key_func=_email_tried,
                exempt_when=_no_email,
                deduct_when=_not_redirected,
            ),
        ]
    if name == "account":
        return [limiter.shared_limit(setting, scope="account")]
    return [limiter.shared_limit(setting, scope=name, deduct_when=_accepted)]


def init_app(app: Flask) -> None:
    enabled = bool(app.config["RATE_LIMITS_ENABLED"])
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATE_LIMIT_STORAGE_URI"],
        headers_enabled=False,
        enabled=enabled,
    )
    app.extensions[EXTENSION] = _Limits(limiter, enabled)
    app.register_error_handler(RateLimitExceeded, too_many_requests)


def _scope(error: RateLimitExceeded) -> str:
    scope = error.limit.scope
    return scope if isinstance(scope, str) else ""


def too_many_requests(error: RateLimitExceeded) -> Response:
    """429: problem JSON under /api/, the NHS.UK page otherwise; both say when to try again."""
    limiter = current_app.extensions[EXTENSION].limiter
    current = limiter.current_limit
    window = error.limit.limit.get_expiry()
    wait = math.ceil(current.reset_at - time.time()) if current is not None else window
    wait = min(max(1, wait), window)
    name = _scope(error).removesuffix("-email")
    doing = DOING.get(name, "sent this form")
    if request.path.startswith("/api/"):
        response = problem(
            429,
            "too-many-requests",
            "Too many requests from this address",
            f"this address has {doing} too often (at most {error.limit.limit}); "
            f"nothing was stored; try again in {wait} seconds",
            retry_after=wait,
        )
    else:
        page = render_template("errors/429.html", doing=doing, minutes=max(1, math.ceil(wait / 60)))
        response = Response(page, status=429)
    response.headers["Retry-After"] = str(wait)
    return response

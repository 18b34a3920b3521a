"""One contact with the aggregator: what every command that talks to it does first.

`push`, `outbox send`, `audit`, `witness` and `rotate-key` all begin here:

1. fetch the latest checkpoint and check its signature with the pinned log key;
2. prove it consistent with the last checkpoint the hub verified, and keep it
   (`services.accept_checkpoint`; an inconsistency raises an alarm);
3. compare the outbox with the aggregator's statements for this hub and
   resynchronise if they differ (`hub.outbox.resync`), so that a restored
   hub never signs a seq the aggregator already holds;
4. check the hub's own delivered statements are still in the log, byte for
   byte, and proven included under the trusted root (`check_own_entries`);
5. raise or clear the delivery alarm (`DELIVERY_ALERT_DAYS`).

A step that cannot reach the aggregator ends the contact with `failure` set
(the relay still tries to deliver, with its own retries). The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from federation.checkpoint import SignedCheckpoint, verify_checkpoint
from federation.errors import ProtocolError, TransportError
from hub.aggregator import AggregatorLink, BadAnswer
from hub.audit.models import Alarm
from hub.audit.services import (
    CheckpointVerdict,
    ContactFailed,
    EntriesCheck,
    Untrusted,
    accept_checkpoint,
    check_delivery,
    check_own_entries,
    last_verified,
)
from hub.keys.services import HubKeys
from hub.outbox.resync import ResyncReport, resynchronise


@dataclass
class ContactReport:
    """What one contact found."""

    signed: SignedCheckpoint | None = None  # the aggregator's latest, signature checked
    verdict: CheckpointVerdict | None = None
    untrusted: Alarm | None = None  # the open alarm that stopped trust, if any
    resync: ResyncReport | None = None
    entries: EntriesCheck | None = None
    failure: str | None = None  # the aggregator could not be (fully) checked
    delivery_alarm: Alarm | None = None

    @property
    def resynchronised(self) -> bool:
        return self.resync is not None and (self.resync.changed or not self.resync.may_continue)

    def lines(self) -> list[str]:
        """What a command prints about this contact."""
        out: list[str] = []
        if self.verdict is not None:
            verdict, size = self.verdict, self.verdict.checkpoint.size
            if verdict.consistent_from is None:
                out.append(f"Log checkpoint: size {size} taken as {verdict.note}.")
            elif verdict.stored is not None:
                out.append(
                    f"Log checkpoint: size {size} verified, consistent with size "
                    f"{verdict.consistent_from}."
                )
            else:
                out.append(f"Log checkpoint: size {size} verified ({verdict.note}).")
        if self.untrusted is not None:
            out.append(
                f"The aggregator's log is NOT trusted: alarm {self.untrusted.id} "
                f"({self.untrusted.kind.value}) is unresolved."
            )
        if self.resync is not None and self.resynchronised:
            out.append(f"Outbox: {self.resync.detail}.")
        if self.entries is not None:
            if self.entries.alarms:
                out.append(
                    f"Own statements in the log: {self.entries.checked} checked, "
                    f"{len(self.entries.alarms)} missing or changed."
                )
            else:
                out.append(
                    f"Own statements in the log: {self.entries.checked} checked, "
                    "all present and unchanged."
                )
        if self.failure is not None:
            out.append(f"Could not check the aggregator's log: {self.failure}")
        return out


def contact(
    session: Session, link: AggregatorLink, keys: HubKeys | None, *, now: datetime
) -> ContactReport:
    """Check the aggregator's log and this hub's place in it (see the module docstring)."""
    report = ContactReport()
    try:
        _check_log(session, link, keys, report, now)
    except Untrusted as exc:
        report.untrusted = exc.alarm
    except ContactFailed as exc:
        report.failure = exc.detail
    report.delivery_alarm = check_delivery(session, alert_days=link.delivery_alert_days, now=now)
    return report


def fetch_signed_checkpoint(link: AggregatorLink) -> SignedCheckpoint:
    """The aggregator's latest checkpoint, signed by the pinned log key; ContactFailed if not."""
    try:
        signed = link.api.checkpoint()
    except (TransportError, BadAnswer) as exc:
        raise ContactFailed(f"no usable checkpoint: {exc}") from exc
    try:
        verify_checkpoint(signed, link.log_key)
    except ProtocolError as exc:
        raise ContactFailed(
            f"the aggregator's checkpoint does not verify with the pinned log key "
            f"{link.log_keyid}: {exc.detail}. Check AGGREGATOR_URL and AGGREGATOR_PUBLIC_KEY "
            "with the national team"
        ) from exc
    return signed


def _check_log(
    session: Session,
    link: AggregatorLink,
    keys: HubKeys | None,
    report: ContactReport,
    now: datetime,
) -> None:
    signed = fetch_signed_checkpoint(link)
    report.signed = signed
    report.verdict = accept_checkpoint(session, link, signed, now=now)
    if keys is not None:
        report.resync = resynchronise(session, link, keys, now=now)
        if report.resync.conflict is not None:
            raise Untrusted(report.resync.conflict)
    trusted = last_verified(session)
    assert trusted is not None  # accept_checkpoint stored one or proved against one
    report.entries = check_own_entries(session, link, trusted, now=now)

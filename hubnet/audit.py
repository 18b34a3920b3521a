"""`hubnet audit AGGREGATOR_URL`: download an aggregator's transparency log and verify all of it.

Anyone can run it, from a fresh clone, against any aggregator: it fetches
`GET /api/v1/about` (the log key, unless one is given), the latest signed
checkpoint, and every entry (`GET /api/v1/log/entries`, in batches), and
hands them to `federation.audit.audit_log`, which checks every signature,
every hub's chain and key history, the Merkle tree against the checkpoint,
and the checkpoint's witness cosignatures. Nothing is trusted but the log
key; pin it with `--log-key` or `--expect-keyid`, or the key the aggregator
serves is trusted on first use.

With `--pack pack.json` (a board pack's JSON), it also checks the pack's
citation as the log streams past (`federation.pack.PackCheck`): the cited
checkpoint is signed by the log key, the log's first `size` entries hash to
its root, and every submission and board statement the pack lists is the
entry at its log index.

Exit status: 0 when everything verifies, 1 when the log (or the pack) does not
verify, 2 when the audit could not be done (unreachable, not an aggregator, bad key).
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import requests

from federation.audit import AuditFailure, AuditReport, audit_log
from federation.checkpoint import SignedCheckpoint, parse_signed_checkpoint
from federation.client import SubmissionClient
from federation.errors import ProtocolError, TransportError
from federation.keys import key_id, load_public_key, load_public_key_pem
from federation.pack import PackCheck

ABOUT_PATH = "/api/v1/about"
CHECKPOINT_PATH = "/api/v1/log/checkpoint"
ENTRIES_PATH = "/api/v1/log/entries"
MAX_BATCH = 1000
SHOWN_FAILURES = 50


class AuditAborted(click.ClickException):
    """The audit could not be carried out (exit status 2): nothing was judged."""

    exit_code = 2


def _fetch(client: SubmissionClient, path: str, **params: int) -> dict[str, Any]:
    try:
        return client.fetch_json(path, params=params or None)
    except TransportError as exc:
        hint = ""
        if exc.status == 404:
            hint = " Is this the base URL of a hubnet aggregator (e.g. https://aggregator.example)?"
        elif exc.status is None:
            hint = " Check the URL and that the aggregator is running."
        raise AuditAborted(f"{exc.detail}.{hint}") from exc


def fetch_entries(
    client: SubmissionClient, size: int, *, batch: int = MAX_BATCH
) -> Iterator[tuple[int, bytes]]:
    """Yield (index, exact envelope bytes) for entries 0 … size−1, `batch` per request.

    The aggregator may answer fewer than asked for; the next request starts
    where its answer ended. Raises AuditAborted if it answers nothing, or
    something that is not an entries document.
    """
    start = 0
    while start < size:
        end = min(size, start + batch)
        document = _fetch(client, ENTRIES_PATH, start=start, end=end)
        entries = document.get("entries")
        if not isinstance(entries, list) or not entries:
            raise AuditAborted(
                f"GET {ENTRIES_PATH}?start={start}&end={end} returned no entries, although "
                f"the checkpoint says the log has {size}"
            )
        for position, entry in enumerate(entries[: end - start]):
            index = entry.get("index") if isinstance(entry, dict) else None
            encoded = entry.get("envelope") if isinstance(entry, dict) else None
            try:
                if not isinstance(encoded, str):
                    raise ValueError("envelope is not a string")
                raw = base64.b64decode(encoded.encode("ascii"), validate=True)
            except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
                raise AuditAborted(
                    f"entry {start + position} from {ENTRIES_PATH} is not base64 envelope "
                    f"bytes: {exc}"
                ) from exc
            yield (index if isinstance(index, int) else -1), raw
        start += min(len(entries), end - start)


def _log_key(
    about: dict[str, Any], log_key_file: Path | None, expect_keyid: str | None
) -> tuple[Any, str]:
    """The log public key to trust, and a sentence saying why it is trusted."""
    served_keyid = about.get("log_keyid")
    if log_key_file is not None:
        try:
            public_key = load_public_key(log_key_file)
        except (OSError, ValueError) as exc:
            raise AuditAborted(f"cannot read the log key {log_key_file}: {exc}") from exc
        how = f"pinned from {log_key_file}"
    else:
        pem = about.get("log_public_key")
        if not isinstance(pem, str):
            raise AuditAborted(f"{ABOUT_PATH} does not give the log's public key (log_public_key)")
        try:
            public_key = load_public_key_pem(pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise AuditAborted(f"{ABOUT_PATH} serves a log key that cannot be read: {exc}") from exc
        how = f"as served at {ABOUT_PATH}"
    keyid = key_id(public_key)
    if expect_keyid is not None:
        if keyid != expect_keyid:
            raise AuditAborted(
                f"the log key is {keyid} ({how}), not the expected {expect_keyid}: "
                "do not trust this log until the national team confirms its key id"
            )
        how += ", matching --expect-keyid"
    if log_key_file is not None and isinstance(served_keyid, str) and served_keyid != keyid:
        click.echo(
            f"Warning: the aggregator says its log key is {served_keyid}, not the pinned {keyid}.",
            err=True,
        )
    return public_key, how


def _summary(report: AuditReport, checkpoint: SignedCheckpoint) -> list[str]:
    failed = len({failure.index for failure in report.failures if failure.index is not None})
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.counts.items()))
    root = base64.b64encode(report.root).decode("ascii")
    lines = [
        f"Checkpoint  {checkpoint.checkpoint.origin}: size {checkpoint.checkpoint.size}",
        f"Witnesses   {len(report.witnesses)} of {len(checkpoint.cosignatures)} cosignature(s) "
        f"verify{': ' + ', '.join(report.witnesses) if report.witnesses else ''}",
        f"Leaves      {report.leaves} checked ({kinds or 'none'}"
        f"{f'; {failed} failed' if failed else ''})",
        f"Hubs        {len(report.hubs)}: {', '.join(sorted(report.hubs)) or 'none'}",
        f"Tree root   {root}",
    ]
    if report.ok:
        lines.append(
            f"OK: all {report.leaves} leaves verify, and the tree matches the signed checkpoint."
        )
        return lines
    lines.append(f"FAILED: {len(report.failures)} problem(s):")
    lines += [f"  {failure}" for failure in report.failures[:SHOWN_FAILURES]]
    if len(report.failures) > SHOWN_FAILURES:
        lines.append(f"  … and {len(report.failures) - SHOWN_FAILURES} more")
    return lines


def run_audit(
    url: str,
    *,
    log_key_file: Path | None = None,
    expect_keyid: str | None = None,
    batch: int = MAX_BATCH,
    timeout: float = 30.0,
    http: requests.Session | None = None,
    pack: dict[str, Any] | None = None,
) -> AuditReport:
    """Download and verify the log at `url`, printing progress and a summary; return the report.

    With `pack` (a board pack's JSON), its citation is checked too; its failures are
    the report's, with no leaf index.
    """
    client = SubmissionClient(url, http or requests.Session(), timeout=timeout)
    about = _fetch(client, ABOUT_PATH)
    log_public_key, how = _log_key(about, log_key_file, expect_keyid)
    click.echo(f"Aggregator  {client.base_url} (id {about.get('id', '?')})")
    click.echo(f"Log key     {key_id(log_public_key)} ({how})")
    if log_key_file is None and expect_keyid is None:
        click.echo(
            "Warning: this log key is trusted on first use. Compare its key id with the one the "
            "national team publishes, then pass --expect-keyid (or --log-key) next time.",
            err=True,
        )
    checkpoint_json = _fetch(client, CHECKPOINT_PATH)
    try:
        checkpoint = parse_signed_checkpoint(checkpoint_json)
    except ProtocolError as exc:
        raise AuditAborted(f"{CHECKPOINT_PATH} is not a signed checkpoint: {exc.detail}") from exc
    size = checkpoint.checkpoint.size
    pack_check = None if pack is None else PackCheck.start(pack, log_public_key)
    entries = fetch_entries(client, size, batch=batch)
    if pack_check is not None:
        entries = pack_check.tap(entries)
    with click.progressbar(
        length=size, label=f"Verifying {size} leaves", file=sys.stderr, show_pos=True
    ) as bar:

        def progress(done: int) -> None:
            bar.update(done - bar.pos)

        report = audit_log(
            entries,
            checkpoint,
            log_public_key,
            progress=progress,
        )
    if pack_check is not None:
        pack_failures = pack_check.finish(report.checkpoint)
        report.failures += [AuditFailure(None, failure.error) for failure in pack_failures]
        cited = pack_check.checkpoint
        click.echo(
            f"Pack        cites checkpoint size {cited.size if cited else '?'}, "
            f"{sum(len(listed) for listed in pack_check.entries.values())} entries listed: "
            f"{'OK' if not pack_failures else f'{len(pack_failures)} problem(s)'}"
        )
    for line in _summary(report, checkpoint):
        click.echo(line)
    return report


def read_pack(path: Path) -> dict[str, Any]:
    """A board pack's JSON from `path`; AuditAborted (exit 2) when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AuditAborted(f"cannot read the board pack {path}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), dict):
        raise AuditAborted(f"{path} is not a board pack's JSON (it has no checkpoint)")
    return document


@click.command("audit")
@click.argument("aggregator_url")
@click.option(
    "--log-key",
    "log_key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The aggregator's log public key (PEM), as the national team published it.",
)
@click.option(
    "--expect-keyid",
    metavar="KEYID",
    help="Refuse to audit unless the log key has this RFC 7638 key id.",
)
@click.option(
    "--batch",
    type=click.IntRange(1, MAX_BATCH),
    default=MAX_BATCH,
    show_default=True,
    help="Entries per request.",
)
@click.option(
    "--pack",
    "pack_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check a board pack's JSON: its checkpoint and every entry it lists.",
)
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, hidden=True
)
def audit_command(
    aggregator_url: str,
    log_key_file: Path | None,
    expect_keyid: str | None,
    batch: int,
    timeout: float,
    pack_file: Path | None = None,
) -> None:
    """Download an aggregator's transparency log and verify all of it.

    Checks the latest signed checkpoint, every key event and statement (each
    signed by a key valid for its hub when it was logged, each hub's chain
    unbroken), and that the entries hash to the checkpoint's Merkle root.

    \b
    With --pack, also checks a board pack's citation: its checkpoint is signed by
    the log key and extended by the log, and each submission and board statement
    it lists is the entry at its log index.

    \b
    Exit status: 0 everything verifies; 1 the log (or the pack) does not verify;
                 2 the audit could not be done (unreachable, wrong URL, bad key).
    Example: hubnet audit https://aggregator.example --expect-keyid 3q2-…
             hubnet audit https://aggregator.example --pack board-pack-42.json
    """
    pack = None if pack_file is None else read_pack(pack_file)
    report = run_audit(
        aggregator_url,
        log_key_file=log_key_file,
        expect_keyid=expect_keyid,
        batch=batch,
        timeout=timeout,
        pack=pack,
    )
    if not report.ok:
        sys.exit(1)

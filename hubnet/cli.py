"""The one command: `hubnet hub …`, `hubnet aggregator …`, `hubnet demo`, `hubnet audit`.

Each group and its commands live with their feature (`hub/cli.py`,
`national_aggregator/cli.py`, `hubnet/demo.py`); this module only gathers them.
"""

from __future__ import annotations

import logging

import click

from hub.cli import hub_group
from hub.mail.cli import mail_sink_command
from hubnet.audit import audit_command
from hubnet.demo import demo_command
from national_aggregator.cli import aggregator_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubnet")
def main() -> None:
    """hubnet: public participation in health and social care.

    Councils run a hub where local people raise ideas, concerns, questions and
    experiences. Each hub sends signed, anonymised summaries to the national
    aggregator, which ranks priorities for the NHS England board.

    \b
    Try it:   hubnet demo            (an aggregator and three hubs on this machine)
    Council:  hubnet hub --help
    National: hubnet aggregator --help
    Anyone:   hubnet audit URL       (verify an aggregator's transparency log)
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" is noise


main.add_command(hub_group)
main.add_command(aggregator_group)
main.add_command(demo_command)
main.add_command(audit_command)
main.add_command(mail_sink_command)

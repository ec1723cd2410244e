"""``kedro run`` for this project: Kedro's own run command (every option), with errors a person
can act on.

Kedro loads ``cli`` from this module and its ``run`` replaces the built-in one (``kedro run``,
and ``inventory-optimization run``). A refusal the user can fix (bad input data, a stale
output, history too short for the configured origins, another run holding the environment's
lock, a raw file that cannot be read, a SIGTERM or Ctrl-C) prints one message and exits with code 1; its traceback
goes to the log at DEBUG level. Any other error keeps Kedro's full traceback.
"""

from __future__ import annotations

import logging

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.io import DatasetError

from .features import HistoryTooShortError
from .lineage import StaleInputError
from .panel.periods import OriginOutsideDataError
from .panel.validation import DataValidationError
from .run_journal import RunInterrupted
from .run_lock import RunLocked

logger = logging.getLogger(__name__)
ACTIONABLE = (
    DataValidationError,
    StaleInputError,
    HistoryTooShortError,
    OriginOutsideDataError,
    RunLocked,
    RunInterrupted,
    DatasetError,
)


@click.group(name="inventory_optimization")
def cli() -> None:
    """Project commands (Kedro's, with ``run`` replaced)."""


def _run_with_actionable_errors(**options):
    try:
        return kedro_run.callback(**options)
    except ACTIONABLE as error:
        logger.debug("The run stopped:", exc_info=True)
        raise click.ClickException(" ".join(str(error).split())) from None


run = click.Command(
    name="run",
    params=kedro_run.params,
    callback=_run_with_actionable_errors,
    help=kedro_run.help,
    short_help=kedro_run.short_help,
)
cli.add_command(run)

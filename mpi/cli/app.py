"""The ``mpi`` command group: one-line errors, warnings on stderr, ``--debug`` and ``--version``.

Every subcommand runs inside :meth:`MpiGroup.invoke`, which turns the errors a user can fix
(any :class:`mpi.errors.ValidationError` -- bad specs, missing columns, unreadable or
unsupported files -- and operating-system errors such as a missing file or a folder that
cannot be written) into one line on stderr, ``mpi: error: <message>``, and exit code 2, as
click does for its own usage errors. ``--debug`` (before or after the subcommand) shows the
traceback instead. Any other exception is a bug: one line too, exit code 1, with a request to
rerun with ``--debug``.

Warnings of the package (units dropped for missing values, categories absent from the data)
are printed once each as ``mpi: warning: <message>``; deprecation notices of libraries only
with ``--debug``.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

import click
from tqdm import tqdm

from mpi._version import __version__
from mpi.errors import ValidationError

__all__ = [
    "COMMANDS",
    "MpiGroup",
    "main",
    "debug_option",
    "one_line",
    "say",
    "DEBUG_KEY",
    "USER_ERRORS",
]

#: Key of ``click.Context.meta`` (shared by nested contexts) set by ``--debug``.
DEBUG_KEY = "mpi.debug"
#: Exceptions that are the user's to fix: one line on stderr and exit code 2.
USER_ERRORS: tuple[type[BaseException], ...] = (ValidationError, OSError)


def one_line(err: BaseException) -> str:
    """The message of ``err`` on one line (line breaks and runs of spaces collapsed).

    Parameters
    ----------
    err
        Any exception.

    Returns
    -------
    str
        ``str(err)``, or the exception's class name when it has no message.

    Examples
    --------
    >>> one_line(ValueError("first line\\n  second line"))
    'first line second line'
    """
    message = " ".join(str(err).split())
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        message = f"{err.strerror}: {err.filename!r}"
    return message or type(err).__name__


def say(line: str) -> None:
    """Write ``line`` to stderr above any progress bar (tqdm clears and redraws the bars).

    Parameters
    ----------
    line
        One line of text.

    Returns
    -------
    None
    """
    tqdm.write(line, file=sys.stderr)


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[DEBUG_KEY] = True
    return value


def debug_option(func: Any) -> Any:
    """The ``--debug`` flag (a traceback instead of the one-line error), for any command.

    Parameters
    ----------
    func
        The click command function to decorate.

    Returns
    -------
    callable
        ``func`` with the option (not passed to ``func``).
    """
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show the full traceback of an error (and library deprecation warnings).",
    )(func)


#: Subcommand -> ``"module:attribute"``: a command's module (and what it imports: the
#: measurement, panel, audit or report layers) is imported only when that command runs or
#: ``mpi --help`` lists the commands.
COMMANDS: dict[str, str] = {
    "measure": "mpi.cli.cmd_measure:measure",
    "change": "mpi.cli.cmd_measure:change",
    "panel": "mpi.cli.cmd_panel:panel",
    "spec": "mpi.cli.cmd_spec:spec",
    "datasets": "mpi.cli.cmd_datasets:datasets",
    "audit": "mpi.cli.cmd_audit:audit",
}


class MpiGroup(click.Group):
    """A click group whose subcommands report errors in one line and warnings on stderr.

    The subcommands of :data:`COMMANDS` are imported on first use.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The names of the subcommands (:data:`COMMANDS` and any added), sorted.

        Parameters
        ----------
        ctx
            The group's context.

        Returns
        -------
        list of str
        """
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand ``cmd_name``, importing its module on first use.

        Parameters
        ----------
        ctx
            The group's context.
        cmd_name
            The subcommand's name.

        Returns
        -------
        click.Command or None
            None for an unknown name (click then reports it).
        """
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module_name, _, attribute = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; turn user errors into ``mpi: error: ...`` and exit code 2.

        Parameters
        ----------
        ctx
            The group's context.

        Returns
        -------
        Any
            What the subcommand returns.
        """
        seen: set[str] = set()

        def show(message: Any, category: type[Warning], *_args: Any, **_kw: Any) -> None:
            line = " ".join(str(message).split())
            debug = ctx.meta.get(DEBUG_KEY, False)
            if line in seen or (
                not debug and issubclass(category, DeprecationWarning | FutureWarning)
            ):
                return
            seen.add(line)
            say(f"mpi: warning: {line}")

        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except USER_ERRORS as err:
                if ctx.meta.get(DEBUG_KEY):
                    raise
                say(f"mpi: error: {one_line(err)}")
                ctx.exit(2)
            except Exception as err:  # a bug: still one line, but say how to see more
                if ctx.meta.get(DEBUG_KEY):
                    raise
                say(
                    f"mpi: internal error: {type(err).__name__}: {one_line(err)} (rerun with "
                    "--debug for the traceback and report it)"
                )
                ctx.exit(1)


@click.group(
    cls=MpiGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run 'mpi COMMAND --help' for the options and examples of a command.",
)
@click.version_option(
    __version__, "--version", prog_name="mpi", message="%(prog)s (xmpi) %(version)s"
)
@debug_option
def main() -> None:
    """xmpi: multidimensional poverty (Alkire-Foster) from your own file to a report.

    \b
    Examples:
      mpi datasets export dhs_rounds data/                 # the bundled survey as CSV
      mpi measure data/dhs_rounds.csv --spec global_mpi_2018 --weight weight \\
          --size hh_size --by region --query "round == 2020" \\
          --strata stratum --psu psu --out report/
      mpi change data/dhs_rounds.csv --spec global_mpi_2018 --rounds round \\
          --weight weight --size hh_size --strata stratum --psu psu --out change/
      mpi spec template my_spec.yml && mpi spec check my_spec.yml data/dhs_rounds.csv

    DATA files may be .csv, .tsv, .parquet, .dta (Stata), .sav (SPSS), .xlsx, or a panel
    as .zarr or .nc. Errors are one line on stderr and exit code 2.
    """


def run() -> None:
    """Entry point used by ``python -m mpi``: :data:`main` with the program name ``mpi``.

    Returns
    -------
    None
    """
    main(prog_name="mpi", args=sys.argv[1:])

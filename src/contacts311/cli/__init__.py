"""Command line: ``contacts311 <command>``, a thin layer over the library.

Each command lives in its own module with ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; heavy libraries are imported inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from contacts311 import __version__
from contacts311._startup import skip_data_synthesis, skip_final_collections
from contacts311.errors import InputError, InputWarning

__all__ = ["console", "main"]

#: Command name -> module (one line per command).
COMMANDS = {
    "totals": "contacts311.cli.totals",
    "ledger": "contacts311.cli.ledger",
    "formats": "contacts311.cli.formats",
    "summary": "contacts311.cli.summary",
    "export": "contacts311.cli.export",
    "staffing": "contacts311.cli.staffing",
    "revisions": "contacts311.cli.revisions",
    "report": "contacts311.cli.report",
    "sample-data": "contacts311.cli.sample_data",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contacts311",
        description="Turn 311 channel exports into 'Contacts handled by 311' and reports.",
    )
    parser.add_argument("--version", action="version", version=f"contacts311 {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        cmd.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    prefix = "warning" if issubclass(category, InputWarning) else category.__name__
    print(f"contacts311: {prefix}: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failure, 2 bad input)."""
    args = _parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    warnings.showwarning = _show_warning
    if not debug:
        warnings.simplefilter("ignore", FutureWarning)
    try:
        return int(args._run(args) or 0)
    except InputError as exc:
        if debug:
            raise
        print(f"contacts311: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("contacts311: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if debug:
            raise
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"contacts311: internal error: {type(exc).__name__}: {msg} (rerun with --debug)",
            file=sys.stderr,
        )
        return 1


def console() -> int:
    """Entry point of the ``contacts311`` command and ``python -m contacts311``.

    The process is the command's alone, so its start-up and its end may be trimmed (see
    :mod:`contacts311._startup`); :func:`main` leaves the caller's process as it is.
    """
    skip_data_synthesis()
    try:
        return main()
    finally:
        skip_final_collections()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())

"""Command line: ``contacts311 <command>``, a thin layer over the library.

Each command lives in its own module with ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; heavy libraries are imported inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator

from contacts311 import __version__
from contacts311.errors import (
    InputError,
    InputWarning,
    Stopped,
    display_path,
    handling_stop,
    os_error_message,
    stop_handled,
    stop_received,
)

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


#: Exit code when the operating system refused a read or a write outside the data folder
#: (permission denied, disk full, a file where a folder was expected).
EXIT_SYSTEM = 4


#: A stop not handled this long after its signal (its exception lost in a finaliser) is
#: raised again.
_REPEAT_SECONDS = 3.0
_repeating = threading.Lock()


def _stop_on_signal(signal_number: int, frame: object) -> None:
    stop_received()
    if _repeating.acquire(blocking=False):  # one timer at a time
        timer = threading.Timer(_REPEAT_SECONDS, _repeat_stop, (signal_number,))
        timer.daemon = True
        timer.start()
    if signal_number == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signal_number)


def _repeat_stop(signal_number: int) -> None:
    _repeating.release()
    if not stop_handled():
        os.kill(os.getpid(), signal_number)


@contextlib.contextmanager
def _stop_signals_as_interrupts() -> Iterator[None]:
    """SIGTERM (systemd, ``kill``) and SIGHUP (a closed terminal) stop a run as Ctrl-C does.

    All three (SIGINT too) are raised again while no code has handled them (see
    :func:`_stop_on_signal`).

    The caller's handlers come back afterwards: :func:`main` may run inside another program.
    """
    previous = {}
    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        with contextlib.suppress(AttributeError, ValueError):  # Windows; not the main thread
            number = getattr(signal, name)
            previous[number] = signal.signal(number, _stop_on_signal)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _safe_streams() -> None:
    """Output never crashes on its encoding (a true C locale) or on a closed stream."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:  # started with the descriptor closed (``>&-``): output is discarded
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
        elif hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


def _in_data_folder(path: object, args: argparse.Namespace) -> bool:
    data_dir = getattr(args, "data_dir", None)
    if not isinstance(path, str | os.PathLike) or data_dir is None:
        return False
    try:
        return os.path.commonpath([os.path.abspath(path), os.path.abspath(data_dir)]) == (
            os.path.abspath(data_dir)
        )
    except ValueError:  # different drives
        return False


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    0 done, 1 a run failed or an internal error, 2 bad input, 3 done with input warnings,
    4 the operating system refused a read or write, 128 + N stopped by signal N (130 Ctrl-C).
    """
    _safe_streams()
    args = _parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    warnings.showwarning = _show_warning
    if not debug:
        warnings.simplefilter("ignore", FutureWarning)
    try:
        with _stop_signals_as_interrupts():
            return int(args._run(args) or 0)
    except InputError as exc:
        if debug:
            raise
        print(f"contacts311: error: {exc}", file=sys.stderr)
        return 2
    except Stopped as exc:
        handling_stop()
        name = signal.Signals(exc.signal_number).name
        print(f"contacts311: stopped by {name}", file=sys.stderr)
        return 128 + exc.signal_number
    except KeyboardInterrupt:
        handling_stop()
        print("contacts311: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if debug:
            raise
        print(f"contacts311: error: {os_error_message(exc)}", file=sys.stderr)
        # An export that cannot be read is bad input (nothing ran); the rest is the system's.
        return 2 if _in_data_folder(exc.filename, args) else EXIT_SYSTEM
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if debug:
            raise
        msg = display_path(" ".join(str(exc).split())) or type(exc).__name__
        print(
            f"contacts311: internal error: {type(exc).__name__}: {msg} (rerun with --debug)",
            file=sys.stderr,
        )
        return 1


def console() -> int:
    """Entry point of the ``contacts311`` command and ``python -m contacts311``."""
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())

"""Start-up of the processes that are contacts311's alone (the command line, the loader child).

Nothing here runs on ``import contacts311``: a library user's process is theirs to configure.
"""

from __future__ import annotations

import gc
import sys


def skip_data_synthesis() -> None:
    """Keep pandera from importing hypothesis in this process.

    pandera imports hypothesis, when it is installed (it is in the development set-up), to
    offer data synthesis (``schema.example()``), which contacts311 never uses: about 0.2 s of
    every command's start-up, a fifth of a small run. A ``None`` entry in ``sys.modules``
    makes ``import hypothesis`` raise ``ImportError``, which pandera treats as "not
    installed". Left alone when hypothesis is already imported.
    """
    sys.modules.setdefault("hypothesis", None)


def skip_final_collections() -> None:
    """Spare the interpreter's last garbage collections the objects the libraries made.

    At exit Python runs full collections over every object still alive: with pandas, pandera
    and pydantic loaded that is hundreds of thousands of classes, functions and dicts, about
    0.1-0.2 s of a command whose work is done. ``gc.freeze`` moves them out of the collector's
    sight; modules are still torn down and ``atexit`` handlers still run. Call it only when the
    process is about to end and what it wrote is closed (an unclosed file caught in a reference
    cycle would no longer be flushed by a last collection).
    """
    gc.freeze()

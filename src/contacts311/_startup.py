"""Start-up of the processes that are contacts311's alone (the command line, the loader child).

Nothing here runs on ``import contacts311``: a library user's process is theirs to configure.
"""

from __future__ import annotations

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

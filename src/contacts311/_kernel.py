"""The report runner's notebook kernel: ipykernel, one step below the runner's CPU priority.

Every report notebook waits for the dataset the runner's loader process reads, so that read is
the critical path of a run; the kernels meanwhile import their libraries. Started at a higher
niceness, the kernels take the CPU the read leaves free instead of sharing it evenly with the
read (on 2 cores: the dataset arrives sooner, the imports end a little later, the run ends
sooner). When nothing else wants the CPU, niceness changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

#: Added to the kernels' niceness (CFS weight 335 against 1024 at the default 0).
NICENESS = 5


def main() -> None:
    """Lower this process's priority, then run an IPython kernel (as ``ipykernel_launcher``)."""
    if hasattr(os, "nice"):  # POSIX; elsewhere the kernel simply runs at normal priority
        with contextlib.suppress(OSError):
            os.nice(NICENESS)
    # As ipykernel_launcher does: the working folder must not shadow the notebooks' imports.
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()

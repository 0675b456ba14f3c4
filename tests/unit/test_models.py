"""The models package: importing it stays light."""

import subprocess
import sys


def test_importing_models_does_not_load_statsmodels():
    code = (
        "import sys, contacts311.models, contacts311.service; print('statsmodels' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

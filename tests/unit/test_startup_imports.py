"""A worker starts without the libraries only some requests need (issue #18, warm starts).

scipy (0.4 s: coverage, siting and the road network) and geopy (0.3 s, with its geocoders'
HTTP clients) are imported where they are used, so a restarted worker answers its first
officer lookup sooner (docs/scale.md, "Warm starts").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys
from pmhc_directory import create_app
create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": sys.argv[1], "SECRET_KEY": "x"})
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("scipy", "geopy"))))
"""


def test_creating_the_app_imports_neither_scipy_nor_geopy(tmp_path):
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT, str(tmp_path / "instance")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []

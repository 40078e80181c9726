"""The README's chart figure (docs/chart-vote-once.png), made the way a user would:

    raftcheck explore --variant reset-clears-vote --max-msgs 3 --symmetry --html vote-once.html
    chromium --headless --no-sandbox --hide-scrollbars --window-size=1560,1070 \\
        --screenshot=shot.png vote-once.html

then stored with a 256-colour palette (raftcheck/chart/png.py) to keep it small.

    python docs/make_chart_png.py [--out docs/chart-vote-once.png]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from raftcheck.chart.png import read_png, write_palette_png  # noqa: E402

EXPLORE = ["explore", "--variant", "reset-clears-vote", "--max-msgs", "3", "--symmetry"]
WINDOW = "1560,1070"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "chart-vote-once.png")
    args = ap.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("make_chart_png.py: chromium not found (apt-get install -y chromium)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        page, shot = Path(tmp) / "vote-once.html", Path(tmp) / "shot.png"
        subprocess.run([sys.executable, "-m", "raftcheck.cli", *EXPLORE, "--html", str(page)],
                       check=False, capture_output=True)  # exit 1: the violation is the point
        if not page.exists():
            print("make_chart_png.py: raftcheck wrote no page", file=sys.stderr)
            return 1
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
                        f"--window-size={WINDOW}", f"--screenshot={shot}", page.as_uri()],
                       check=True, capture_output=True)
        args.out.write_bytes(write_palette_png(read_png(shot.read_bytes())))
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The conformance benchmark against etcd's real raft library: `conform_bench.py --impl etcd`.

    .venv/bin/python bench/etcd_conform_bench.py [--examples K] [--seed S] [--no-exhaustive]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conform_bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--impl", "etcd", *sys.argv[1:]]))

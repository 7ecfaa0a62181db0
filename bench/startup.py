"""Start-up time of ``kstarter --help`` (heavy modules load only inside commands).

python bench/startup.py --repeats 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import KSTARTER, machine  # noqa: E402
from measure import measure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    runs = [measure([KSTARTER, "--help"]) for _ in range(args.repeats)]
    secs = sorted(m.seconds for m in runs)
    print(
        json.dumps(
            {
                "median_s": round(statistics.median(secs), 4),
                "min_s": round(secs[0], 4),
                "max_s": round(secs[-1], 4),
                "peak_mb": round(max(m.peak_mb for m in runs), 1),
                "machine": machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

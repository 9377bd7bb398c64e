"""`make bench`: every benchmark with its default settings (takes about an hour on 2 cores)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ["bench_grading.py", "--repeat", "5"],
    ["bench_jobshop.py", "--kind", "both", "--time-limit", "60"],
    ["bench_plants.py", "--sizes", "50", "200", "1000", "--time-limit", "60"],
    ["bench_setups.py", "--kind", "plant", "--orders", "200", "--time-limit", "60"],
]

if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for script, *args in BENCHMARKS:
        if quick:
            args = {
                "bench_grading.py": ["--scale", "0.2"],
                "bench_jobshop.py": ["--quick"],
                "bench_plants.py": ["--sizes", "50", "--seeds", "1", "--time-limit", "10"],
                "bench_setups.py": [
                    "--kind",
                    "plant",
                    "--orders",
                    "50",
                    "--seeds",
                    "1",
                    "--time-limit",
                    "10",
                ],
            }[script]
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)

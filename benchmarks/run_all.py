"""`make bench-full`: every benchmark at full size (hours on 2 cores).

`make bench` passes ``--quick``: one small run per script (about 15 minutes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = "--loads 0.85 1.0 --covers 0.9 1.0"
BENCHMARKS = [  # script and its arguments
    "bench_grading.py --repeat 5",
    "bench_jobshop.py --kind both --time-limit 60 --peer",
    "bench_jobshop.py --kind flexible --time-limit 30 --peer",
    f"bench_plants.py --sizes 200 --time-limit 60 {SCENARIOS}",
    f"bench_plants.py --sizes 2000 --time-limit 300 {SCENARIOS}",
    "bench_peer.py --sizes 80 200 2000",
    "bench_peer.py --sizes 80 200 --plain",
    "bench_setups.py --kind plant --orders 200 --time-limit 60",
    "bench_progress.py --orders 2000 --started 0.2 --time-limit 60",
    "bench_promise.py --sizes 200 2000 20000",
    "bench_balance.py --books 50000x200 2000x20 200x8",
    "bench_replan.py --sizes 150 2000 --seeds 12 13 14",
    "bench_demo.py --runs 3",
]
QUICK = {
    "bench_grading.py": "--scale 0.2",
    "bench_jobshop.py": "--quick --peer",
    "bench_plants.py": "--sizes 200 --seeds 1 --time-limit 30 --loads 0.85 1.0",
    "bench_peer.py": "--sizes 80 --seeds 1 --time-limit 20",
    "bench_setups.py": "--kind plant --orders 50 --seeds 1 --time-limit 10",
    "bench_progress.py": "--orders 200 --seeds 1 --time-limit 10",
    "bench_promise.py": "--sizes 200 2000 --runs 1",
    "bench_balance.py": "--books 50000x200 --seeds 1",
    "bench_replan.py": "--sizes 150 --seeds 12",
    "bench_demo.py": "--runs 1",
}

if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for index, line in enumerate(BENCHMARKS):
        script, *args = line.split()
        if quick:
            if script in {b.split()[0] for b in BENCHMARKS[:index]}:
                continue  # one quick run per script
            args = QUICK[script].split()
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)

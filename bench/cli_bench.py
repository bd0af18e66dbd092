"""Benchmark: how fast the CLI answers when it has nothing to compute, against its floor.

The floor is what any Typer-and-Rich program pays before its first line: `python -c "import typer,
rich.console"`. Measured side by side in one run, interleaved (floor, --help, --version, a usage error, ...),
so a noisy machine slows all of them alike; the script prints each median and its ratio to the floor's.
Target: `--help` and a usage error within 2.5x of the floor.

    .venv/bin/python bench/cli_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CASES = {
    "floor: import typer, rich.console": [sys.executable, "-c", "import typer, rich.console"],
    "docdebate --help": [str(BIN / "docdebate"), "--help"],
    "docdebate --version": [str(BIN / "docdebate"), "--version"],
    "usage error (--depth bogus)": [str(BIN / "docdebate"), "review", "plan.md", "--depth", "bogus"],
}
TARGET = 2.5


def once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    for command in CASES.values():  # warm the file cache and the bytecode
        once(command)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, command in CASES.items():
            times[name].append(once(command))
    floor = statistics.median(next(iter(times.values())))
    print(f"median of {runs} interleaved runs (target: within {TARGET}x of the floor)")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<36} {median * 1000:7.0f} ms   {median / floor:4.2f}x")


if __name__ == "__main__":
    main()

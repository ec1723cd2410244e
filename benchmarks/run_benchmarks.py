"""Speed and memory of the pipelines on the built-in data and on each real dataset.

Each run is a fresh `kedro run` process, as a scheduler would start it; the figures are its
wall seconds and peak resident memory. Usage:

    python benchmarks/run_benchmarks.py                      # every pipeline and dataset
    python benchmarks/run_benchmarks.py --pipelines data_engineering --envs rossmann
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
ENVS = {"base": None, "rossmann": "rossmann", "walmart": "walmart", "recruit": "recruit"}
PIPELINES = ["data_engineering"]
# Targets on a 2-core machine: (seconds, GB) per pipeline and dataset.
TARGETS = {("data_engineering", "rossmann"): (30, 2.0), ("data_engineering", "base"): (10, None)}

# Runs the Kedro CLI in this interpreter and reports its own peak memory on exit.
RUNNER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print(f'PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss}', file=sys.stderr))\n"
    "from kedro.framework.cli import main\n"
    "sys.argv = ['kedro', *sys.argv[1:]]\n"
    "main()\n"
)


def run_once(pipeline: str, env: str) -> tuple[float, float]:
    args = ["run", "--pipeline", pipeline]
    if ENVS[env]:
        args += ["--env", env, "--params", f"raw_dir={SHARED_DATA / ENVS[env]}"]
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"kedro {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    peak_kb = int(re.findall(r"PEAK_RSS_KB=(\d+)", result.stderr)[-1])
    return seconds, peak_kb / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", nargs="+", default=PIPELINES)
    parser.add_argument("--envs", nargs="+", default=list(ENVS), choices=list(ENVS))
    options = parser.parse_args()

    print(f"{'pipeline':<20} {'dataset':<10} {'seconds':>8} {'peak GB':>8}  target")
    for pipeline in options.pipelines:
        for env in options.envs:
            if ENVS[env] and not (SHARED_DATA / ENVS[env]).is_dir():
                print(
                    f"{pipeline:<20} {env:<10} {'skipped: no ' + str(SHARED_DATA / ENVS[env]):>20}"
                )
                continue
            seconds, peak_gb = run_once(pipeline, env)
            target = TARGETS.get((pipeline, env))
            verdict = ""
            if target:
                max_s, max_gb = target
                ok = seconds <= max_s and (max_gb is None or peak_gb <= max_gb)
                verdict = f"<= {max_s} s" + (f", <= {max_gb} GB" if max_gb else "")
                verdict += " ok" if ok else " MISSED"
            print(f"{pipeline:<20} {env:<10} {seconds:>8.1f} {peak_gb:>8.2f}  {verdict}")


if __name__ == "__main__":
    main()

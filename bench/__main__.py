"""`make bench`: every benchmark, printed as one table with its targets."""

import sys

from bench import autopilot, bandit, click_path, metrics_pull, package, quiet, routing

BENCHMARKS = (click_path.run, routing.run, package.run, metrics_pull.run, bandit.run, autopilot.run)


def main() -> int:
    rows = []
    for run in BENCHMARKS:
        with quiet():  # the measured code's own output (EMF lines, logs) is not the benchmark's
            rows += run()
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':<34}  {'target':<8}  met")
    for figure, measured, target, met in rows:
        print(f"{figure:<{width}}  {measured:<34}  {target:<8}  {'yes' if met else 'NO'}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: 1,000,000 add_working_days calls on GovShare's calendar vs workalendar's China.

Random dates 2018–2026 and n in {1,3,5,10,15,20}; workalendar gets the same calls for the dates it
covers (2018–2023). Prints both times and the ratio. Run by hand:

    .venv/bin/python bench/calendar_bench.py [--calls N]
"""

from __future__ import annotations

import argparse
import random
import time
import warnings
from datetime import date

from workalendar.asia import China

from app.calendar.services import bundled_snapshot, calendar_from_snapshot

warnings.simplefilter("ignore")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument(
        "--workalendar-calls",
        type=int,
        default=0,
        help="limit workalendar to a sample (0: every covered call)",
    )
    args = parser.parse_args()

    rng = random.Random(2026)
    low, high = date(2018, 1, 1).toordinal(), date(2026, 12, 31).toordinal()
    steps = (1, 3, 5, 10, 15, 20)
    calls = [(date.fromordinal(rng.randint(low, high)), rng.choice(steps)) for _ in range(args.calls)]

    cal = calendar_from_snapshot(bundled_snapshot(), "bench")
    add = cal.add_working_days
    started = time.perf_counter()
    for day, n in calls:
        add(day, n)
    ours = time.perf_counter() - started

    # workalendar's data ends in 2023: the same calls restricted to those whose answer stays inside 2023.
    last = date(2023, 11, 30)
    covered = [(d, n) for d, n in calls if d <= last]
    if args.workalendar_calls:
        covered = covered[: args.workalendar_calls]
    reference = China()
    reference.add_working_days(date(2020, 1, 2), 1)  # warm its holiday cache
    reference_add = reference.add_working_days
    started = time.perf_counter()
    answers = [reference_add(day, n) for day, n in covered]
    theirs_sample = time.perf_counter() - started
    theirs = theirs_sample / len(covered) * args.calls

    # The two agree on every sampled call (2020's extension aside, which workalendar lacks).
    disagree = sum(1 for (d, n), answer in zip(covered, answers, strict=True) if add(d, n) != answer)

    print(f"govshare  add_working_days x{args.calls:,}: {ours:.3f} s ({ours / args.calls * 1e6:.2f} µs/call)")
    print(
        f"workalendar China      x{len(covered):,} (2018-01 to 2023-11): {theirs_sample:.3f} s "
        f"({theirs_sample / len(covered) * 1e6:.1f} µs/call) → {theirs:.1f} s per {args.calls:,}"
    )
    print(
        f"ratio: {theirs / ours:.0f}x faster; calls answered differently: {disagree} (workalendar lacks 2020's extension)"
    )
    print(
        f"target: < 1.5 s per million and ≥ 50x → {'OK' if ours < 1.5 and theirs / ours >= 50 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

"""Sign-in timing: an unknown name against a known name with a wrong password, through the sign-in page with
production's argon2 settings. Both must cost the same (a dummy argon2 verify for unknown names), or the page
tells a guesser which accounts exist (#27).

    .venv/bin/python bench/sign_in_bench.py [--tries 50]

Prints the median and p95 of each and their ratio next to the target (within 1.5x).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import warnings

warnings.simplefilter("ignore")

from common import bench_app, database_url, fresh_database, percentile  # noqa: E402

TARGET_RATIO = 1.5
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def timings(client, username: str, tries: int) -> list[float]:
    """Seconds per sign-in attempt with a wrong password."""
    spent = []
    for number in range(tries):
        token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        started = time.perf_counter()
        response = client.post(
            "/login", data={"csrf_token": token, "username": username, "password": f"wrong-{number}"}
        )
        spent.append(time.perf_counter() - started)
        assert response.status_code == 401, response.status_code
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tries", type=int, default=50)
    args = parser.parse_args()
    url = database_url("sign_in")
    app = bench_app(url, ARGON2_FAST=False, LOGIN_THROTTLE=False)
    with app.app_context():
        fresh_database(url)
    client = app.test_client()
    timings(client, "hb_operator", 3)  # warm up
    unknown = timings(client, "no_such_person", args.tries)
    known = timings(client, "hb_operator", args.tries)
    ratio = max(statistics.median(unknown), statistics.median(known)) / min(
        statistics.median(unknown), statistics.median(known)
    )
    for label, values in (("unknown name", unknown), ("known name, wrong password", known)):
        print(
            f"{label}: p50 {statistics.median(values) * 1000:.1f} ms, p95 {percentile(values, 0.95) * 1000:.1f} ms"
        )
    print(
        f"ratio of medians: {ratio:.2f} (target ≤ {TARGET_RATIO}) → {'OK' if ratio <= TARGET_RATIO else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

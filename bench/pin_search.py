"""What a site PIN's hash is worth to someone who has it: the cost of one check, and of trying every PIN.

Head office's PIN for a site travels to each kiosk of the site as werkzeug's
salted hash (``scrypt:32768:8:1``), so whoever holds a kiosk token can fetch it
and try PINs offline, with no lock-out to stop them. This times one
``check_password_hash`` on one core, as the kiosk and central make it, and
works out the core-hours to try every PIN of each length (half that, on
average, to find one). docs/manager.md quotes the figures.

    python bench/pin_search.py [--checks 30]
"""
import argparse
import statistics
import time

from _common import print_table
from werkzeug.security import check_password_hash, generate_password_hash


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=30, help="checks timed (default 30)")
    args = parser.parse_args()
    stored = generate_password_hash("135790")
    seconds = []
    for _ in range(args.checks):
        start = time.perf_counter()
        check_password_hash(stored, "000000")
        seconds.append(time.perf_counter() - start)
    median, fastest = statistics.median(seconds), min(seconds)
    print(f"one check of {stored.split('$')[0]}: median {median * 1000:.0f} ms, fastest {fastest * 1000:.0f} ms "
          f"({args.checks} checks, one core)")
    rows = [(f"{digits} digits", f"{10 ** digits:,}", 10 ** digits * median / 3600, 10 ** digits * fastest / 3600)
            for digits in (4, 6, 8)]
    print_table("every PIN of a length, on one core:", ("PIN", "PINs", "core-hours (median)", "core-hours (fastest)"),
                rows)


if __name__ == "__main__":
    main()

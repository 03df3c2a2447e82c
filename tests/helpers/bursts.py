"""Requests in parallel, released together: the way a limit is attacked.

Each call gets a thread of its own; every thread waits at one barrier, so the requests leave at
the same moment (each browser has already opened its connection and fetched its form before).
"""
import threading


def release_together(calls, timeout=120):
    """Run every callable of *calls* on its own thread, all released at once; return their results
    in order (a call that raised fails the test with its exception)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call), daemon=True) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), f"a request of the burst hung past {timeout} s"
    if errors:
        raise errors[0]
    return results

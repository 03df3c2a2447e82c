"""Stop a kiosk's server at once: end the screens' event streams first.

waitress answers Ctrl+C (and the ``SystemExit`` of serve's SIGTERM handler)
by waiting up to five seconds for each worker thread to finish its request,
then logs ``N thread(s) still running``. An open screen's event stream holds
its thread for up to ``stream_max_age`` seconds, so it always waits the full
five seconds, and serve's own shutdown waits five more. Ending the streams in
the signal handler, before waitress starts waiting, lets every thread finish
its request and leave.
"""
import signal


def end_streams_on_signals(events, signals=(signal.SIGINT, signal.SIGTERM)):
    """Close *events* (a :class:`~kiosk.events.Broadcaster`) before the handler
    already set for each of *signals* runs. Call it from the main thread.

    A signal left at its default or ignored is not touched: there is no Python
    handler to run after, and an ignored signal must not stop the streams.
    """
    for number in signals:
        previous = signal.getsignal(number)
        if not callable(previous):
            continue

        def end_streams_then(signum, frame, previous=previous):
            events.close()
            previous(signum, frame)

        signal.signal(number, end_streams_then)

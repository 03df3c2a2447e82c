"""Prove by the kiosk's gap-free sequence numbers that nothing is missing.

Each kiosk numbers its ratings 1, 2, 3, … without gaps. Central keeps, per
kiosk, the highest number up to which it holds every rating (``contiguous``)
and answers each batch with it, the highest number it holds, and the missing
ranges between. Counting first keeps the common case (no gap) at one query.
"""
from typing import Any

import peewee

from sync.central.store.models import Kiosk, Rating

MAX_GAPS_REPORTED = 50


def _gaps(kiosk: Kiosk, after: int) -> list[list[int]]:
    """Missing ``[first, last]`` ranges above *after*, found with LAG in SQL."""
    previous = peewee.fn.LAG(Rating.seq, 1, after).over(order_by=[Rating.seq])
    beyond = (Rating.select(Rating.seq.alias("seq"), previous.alias("prev"))
              .where((Rating.kiosk == kiosk) & (Rating.seq > after)))
    query = (peewee.Select([beyond.alias("b")], [peewee.SQL("prev + 1"), peewee.SQL("seq - 1")])
             .where(peewee.SQL("seq - prev > 1"))
             .order_by(peewee.SQL("seq"))
             .limit(MAX_GAPS_REPORTED)
             .bind(Rating._meta.database))
    return [[int(first), int(last)] for first, last in query.tuples()]


def reconcile(kiosk: Kiosk) -> dict[str, Any]:
    """Advance *kiosk*'s contiguous mark; return ``{"contiguous", "highest", "gaps"}``.

    Two statements in the common case: one count-and-max over the rows beyond
    the mark (the ``(kiosk, seq)`` index), one update of both marks.
    """
    contiguous = kiosk.seq_contiguous
    marks: Any = (Rating.select(peewee.fn.COUNT(Rating.seq), peewee.fn.MAX(Rating.seq))
                      .where((Rating.kiosk == kiosk) & (Rating.seq > contiguous)).tuples().get())
    count, highest = marks
    highest = max(contiguous, highest or 0)
    gaps = [] if count == highest - contiguous else _gaps(kiosk, contiguous)
    contiguous = gaps[0][0] - 1 if gaps else highest
    # Marks only ever rise: a concurrent batch that saw fewer rows must not lower them.
    risen = [(field, value) for field, value in ((Kiosk.seq_contiguous, contiguous), (Kiosk.seq_highest, highest))
             if value > getattr(kiosk, field.name)]
    if risen:
        Kiosk.update({field: peewee.Case(None, [(field < value, value)], field) for field, value in risen}).where(
            Kiosk.id == kiosk.id).execute()
        for field, value in risen:
            setattr(kiosk, field.name, value)
    return {"contiguous": contiguous, "highest": highest, "gaps": gaps}

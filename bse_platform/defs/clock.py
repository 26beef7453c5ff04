"""The time sensors and assets judge by: one function, so tests can set the clock (a sensor's
context carries no evaluation time)."""

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)

"""Where a run's wall time goes, measured in the run's own process: Dagster's bookkeeping (creating
the run, storing events and run status), reads and writes of the object store, and the rest
(computing: features, checks, metadata).

Timers wrap the methods of the classes doing that work (benchmarks only); a call inside another
timed call counts to the outer one, so the parts add up to the wall time.
"""

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

BOOKKEEPING_RUN_CREATION = "Dagster: run creation (incl. planned events)"
BOOKKEEPING_EVENTS = "Dagster: events and run status"
STORE_IO = "object store reads/writes"
COMPUTE = "compute (features, checks, metadata)"
PARTS = [BOOKKEEPING_RUN_CREATION, BOOKKEEPING_EVENTS, STORE_IO, COMPUTE]


class Breakdown:
    def __init__(self):
        self.seconds: Counter[str] = Counter()
        self.events = 0
        self.wall = 0.0
        self._depth = 0
        self._restore: list[tuple[type, str, object]] = []

    def timed(self, owner: type, name: str, part: str, *, counts_events: bool = False) -> None:
        original = getattr(owner, name)
        breakdown = self

        def wrapper(*args, **kwargs):
            if counts_events:
                breakdown.events += 1
            if breakdown._depth:
                return original(*args, **kwargs)
            breakdown._depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                breakdown.seconds[part] += time.perf_counter() - started
                breakdown._depth -= 1

        setattr(owner, name, wrapper)
        self._restore.append((owner, name, original))

    @contextmanager
    def measuring(self, instance) -> Iterator["Breakdown"]:
        """Time ``instance``'s storages and the object store while the block runs."""
        from dagster._core.instance.runs.run_domain import RunDomain

        from bse_platform.storage import ObjectStore

        self.timed(RunDomain, "create_run", BOOKKEEPING_RUN_CREATION)
        self.timed(type(instance), "handle_new_event", BOOKKEEPING_EVENTS, counts_events=True)  # every event, batched or not
        for method in ("add_run", "handle_run_event", "add_run_tags"):
            self.timed(type(instance.run_storage), method, BOOKKEEPING_EVENTS)
        for method in [m for m in vars(ObjectStore) if not m.startswith("_") and callable(getattr(ObjectStore, m))]:
            self.timed(ObjectStore, method, STORE_IO)
        started = time.perf_counter()
        try:
            yield self
        finally:
            self.wall = time.perf_counter() - started
            for owner, name, original in reversed(self._restore):
                setattr(owner, name, original)
            self.seconds[COMPUTE] = self.wall - sum(self.seconds.values())

    def as_dict(self) -> dict:
        return {"seconds": dict(self.seconds), "wall": self.wall, "events": self.events}

    @staticmethod
    def combined(breakdowns: list["Breakdown"]) -> dict:
        """Several runs' breakdowns as one ``as_dict()``."""
        seconds: Counter[str] = Counter()
        for breakdown in breakdowns:
            seconds.update(breakdown.seconds)
        return {"seconds": dict(seconds), "wall": sum(b.wall for b in breakdowns), "events": sum(b.events for b in breakdowns)}


def describe(measured: dict, trade_dates: int) -> list[str]:
    """Lines for a breakdown's ``as_dict()``."""
    seconds, wall = measured["seconds"], measured["wall"]
    parts = [f"{part} {seconds.get(part, 0):.1f} s ({seconds.get(part, 0) / wall:.0%})" for part in PARTS]
    bookkeeping = seconds.get(BOOKKEEPING_RUN_CREATION, 0) + seconds.get(BOOKKEEPING_EVENTS, 0)
    return [
        "; ".join(parts),
        f"Dagster bookkeeping {bookkeeping:.1f} s = {bookkeeping / wall:.0%} of the wall time; "
        f"{measured['events']:,} events, {measured['events'] / trade_dates:.1f} per trade date",
    ]

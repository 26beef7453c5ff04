"""Point-in-time training sets: each label event joined to the feature values known before it.

An event (a security, a moment) gets, from every family selected, the row of that security with the
latest ``available_at`` strictly before the event time: a value is never used before it could have
been known, and a value published at the very moment of the event is not yet known. A value older
than the family's maximum staleness is null rather than carried forward for ever (a suspended
security's last values do not describe it a month later). Only the partitions the events need are
read, the columns selected, the securities asked for; the as-of join itself is DuckDB's ``ASOF JOIN``
over Arrow tables, one family at a time, so memory holds one family's rows and the result.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bse_platform.features.catalog import FAMILIES, FAMILY_OF
from bse_platform.storage import ObjectStore

if TYPE_CHECKING:
    import duckdb

EVENT_KEYS = ("security_code", "event_time")
# A week: the values of the last session before a long weekend or a Diwali break are still current;
# those of a security suspended for longer are not.
DEFAULT_MAX_STALENESS = pd.Timedelta(days=7)
# Events of this many securities or fewer read only their rows: a few securities over years of
# partitions keep memory small. For more, the filter costs more than it saves (1,000,000 events of
# 5,000 securities: 3.7 s of a 14 s join), and the join ignores the other securities anyway.
FILTERED_SECURITIES = 1_000


def trade_date_column(family: str) -> str:
    return f"{family}_trade_date"


def available_at_column(family: str) -> str:
    return f"{family}_available_at"


class UnknownSelectionError(KeyError):
    def __init__(self, unknown: Sequence[str]):
        self.unknown = list(unknown)
        super().__init__(f"not a feature or a family: {', '.join(unknown)}; `bse-platform catalog list` shows them")

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class LeakageAudit:
    """What the join did with the events, and its proof of no leakage."""

    events: int
    kept: int
    dropped: int  # events without a value of some family, dropped on request
    without_values: int  # events lacking a value of at least one family (kept with nulls unless dropped)
    stale_values: int  # family values left null for being older than the family's staleness limit (among partitions read)
    violations: int  # joined values whose available_at is not strictly before the event time

    @property
    def passed(self) -> bool:
        return self.violations == 0

    def as_dict(self) -> dict[str, int | bool]:
        return {**asdict(self), "passed": self.passed}


@dataclass(frozen=True)
class TrainingSet:
    frame: pd.DataFrame  # the events' columns, then per family its trade date, available_at and features
    audit: LeakageAudit
    features: dict[str, list[str]]  # family -> its columns in the frame
    partitions_read: dict[str, int]  # family -> partitions read


def resolve_features(selection: Iterable[str]) -> dict[str, list[str]]:
    """Family names and feature names as family -> columns, in catalog order."""
    selection = list(selection)
    unknown = [name for name in selection if name not in FAMILIES and name not in FAMILY_OF]
    if unknown:
        raise UnknownSelectionError(unknown)
    wanted = {name for name in selection if name in FAMILY_OF}
    wanted |= {column for name in selection if name in FAMILIES for column in FAMILIES[name].columns}
    resolved = {family: [c for c in FAMILIES[family].columns if c in wanted] for family in FAMILIES}
    return {family: columns for family, columns in resolved.items() if columns}


def point_in_time_join(
    store: ObjectStore,
    events: pd.DataFrame,
    features: Sequence[str],
    *,
    max_staleness: pd.Timedelta | Mapping[str, pd.Timedelta] = DEFAULT_MAX_STALENESS,
    drop_missing: bool = False,
) -> TrainingSet:
    """``events`` (``security_code``, tz-aware ``event_time``, any label columns) with the values of
    ``features`` (feature or family names) known strictly before each event.

    ``max_staleness``: one limit for every family, or a limit per family (others get the default).
    Events lacking a value of some family are kept with nulls, or dropped if ``drop_missing``; the
    audit counts both and verifies every joined ``available_at`` precedes its event.
    """
    selected = resolve_features(features)
    base = _validated_events(events, selected)
    event_ns = base["event_time"].to_numpy(dtype="datetime64[ns]").view("int64")
    keys = pa.table({"row_id": np.arange(len(base)), "security_code": base["security_code"].to_numpy("int64"), "event_ns": event_ns})
    codes = pa.array(np.unique(keys["security_code"].to_numpy()))

    joined, read, stale = [], {}, 0
    matched_keys, positions = None, None
    import duckdb  # here, not at the top: the code location imports this module, and only a build needs DuckDB

    with duckdb.connect() as connection:
        for family, columns in selected.items():
            limit = _limit_for(family, max_staleness)
            days = _days_needed(store.stored_partitions(family), event_ns, limit)
            read[family] = len(days)
            values = _family_values(store, family, days, columns, codes)
            # Families computed together have the same rows: their match is computed once.
            row_keys = values.select(["trade_date", "security_code", "available_ns"])
            if matched_keys is None or not row_keys.equals(matched_keys):
                matched_keys, positions = row_keys, _asof_positions(connection, keys, row_keys)
            frame, family_stale = _values_at(values, positions, event_ns, family, columns, limit)
            joined.append(frame)
            stale += family_stale

    frame = pd.concat([base, *joined], axis=1, copy=False)
    availability = [available_at_column(family) for family in selected]
    incomplete = frame[availability].isna().any(axis=1)
    if drop_missing:
        frame = frame[~incomplete].reset_index(drop=True)
    audit = LeakageAudit(
        events=len(base),
        kept=len(frame),
        dropped=int(incomplete.sum()) if drop_missing else 0,
        without_values=int(incomplete.sum()),
        stale_values=stale,
        violations=leakage_violations(frame, list(selected)),
    )
    return TrainingSet(frame, audit, selected, read)


def leakage_violations(frame: pd.DataFrame, families: Sequence[str]) -> int:
    """Joined values (per family and event) whose ``available_at`` is not strictly before the event."""
    event_time = frame["event_time"]
    return int(sum((frame[available_at_column(family)] >= event_time).sum() for family in families))


def _validated_events(events: pd.DataFrame, selected: Mapping[str, list[str]]) -> pd.DataFrame:
    missing = [column for column in EVENT_KEYS if column not in events.columns]
    if missing:
        raise ValueError(f"events need columns {', '.join(EVENT_KEYS)}; missing: {', '.join(missing)}")
    times = events["event_time"]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"event_time must be timezone-aware timestamps (e.g. UTC), not {times.dtype}")
    joined = {column for family, columns in selected.items() for column in (*columns, trade_date_column(family), available_at_column(family))}
    clashing = sorted(joined.intersection(events.columns))
    if clashing:
        raise ValueError(f"events have columns the join adds: {', '.join(clashing)}; rename them")
    bad = events.index[events["security_code"].isna() | times.isna()]
    if len(bad):
        raise ValueError(f"{len(bad)} event(s) without a security_code or event_time, e.g. row {bad[0]}")
    base = events.reset_index(drop=True).copy()
    base["security_code"] = base["security_code"].astype("int64")
    base["event_time"] = base["event_time"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return base


def _limit_for(family: str, max_staleness: pd.Timedelta | Mapping[str, pd.Timedelta]) -> pd.Timedelta:
    if isinstance(max_staleness, Mapping):
        unknown = sorted(set(max_staleness) - set(FAMILIES))
        if unknown:
            raise UnknownSelectionError([f"{name} (a staleness limit is per family)" for name in unknown])
        return pd.Timedelta(max_staleness.get(family, DEFAULT_MAX_STALENESS))
    return pd.Timedelta(max_staleness)


def _days_needed(stored: list[dt.date], event_ns: np.ndarray, limit: pd.Timedelta) -> list[dt.date]:
    """Stored trade dates whose values some event could take: published before it, within ``limit``.
    A date's values are published within a day of the date's start in UTC (BSE's evening; a day
    either side covers any publication time in IST), so events in (start - 1 day, start + 1 day +
    limit] may take them."""
    if not stored or not len(event_ns):
        return []
    starts = np.array(stored, dtype="datetime64[D]").astype("datetime64[ns]").view("int64")
    day = pd.Timedelta(days=1).value
    times = np.sort(event_ns)
    first_after = np.searchsorted(times, starts - day, side="right")  # the first event in the window
    covered = first_after < len(times)
    covered[covered] &= times[first_after[covered]] <= starts[covered] + day + limit.value
    return [day for day, needed in zip(stored, covered) if needed]


def _family_values(store: ObjectStore, family: str, days: list[dt.date], columns: list[str], codes: pa.Array) -> pa.Table:
    """The family's rows of ``days`` (only the events' securities' when they are few), ``available_at``
    as int64 ns."""
    if not days:
        schema = [("trade_date", pa.date32()), ("security_code", pa.int64()), ("available_ns", pa.int64())]
        return pa.table({name: pa.array([], type) for name, type in schema + [(c, pa.float64()) for c in columns]})
    where = pc.field("security_code").isin(codes) if len(codes) <= FILTERED_SECURITIES else None
    table = store.read_table(family, days, columns=["security_code", "available_at", *columns], where=where)
    available_ns = pc.cast(pc.cast(table["available_at"], pa.timestamp("ns", "UTC")), pa.int64())
    return table.set_column(table.schema.get_field_index("available_at"), "available_ns", available_ns)


def _asof_positions(connection: "duckdb.DuckDBPyConnection", keys: pa.Table, row_keys: pa.Table) -> np.ndarray:
    """Per event (in row order): the position in ``row_keys`` of its security's latest row published
    strictly before it; -1 where there is none."""
    connection.register("events", keys)
    connection.register("family_rows", row_keys.append_column("position", pa.array(np.arange(row_keys.num_rows))))
    matches = connection.sql(
        """
        SELECT e.row_id, v.position
        FROM events e ASOF LEFT JOIN family_rows v
          ON e.security_code = v.security_code AND e.event_ns > v.available_ns
        """
    ).to_arrow_table()
    positions = np.full(keys.num_rows, -1, dtype="int64")
    positions[matches["row_id"].to_numpy()] = matches["position"].fill_null(-1).to_numpy()
    return positions


def _values_at(
    values: pa.Table, positions: np.ndarray, event_ns: np.ndarray, family: str, columns: list[str], limit: pd.Timedelta
) -> tuple[pd.DataFrame, int]:
    """The family's trade date, available_at and ``columns`` at ``positions``, null where there is no
    row or it is older than ``limit``; and how many rows ``limit`` made null."""
    found = positions >= 0
    available_ns = values["available_ns"].to_numpy()[np.where(found, positions, 0)] if values.num_rows else np.zeros(len(positions), "int64")
    fresh = found & (event_ns - available_ns <= limit.value)
    taken = values.take(pa.array(positions, mask=~fresh))
    frame = taken.select(columns).to_pandas()
    frame.insert(0, available_at_column(family), pc.cast(taken["available_ns"], pa.timestamp("ns", "UTC")).to_pandas())
    frame.insert(0, trade_date_column(family), taken["trade_date"].to_pandas(date_as_object=False).astype("datetime64[ns]"))
    return frame, int((found & ~fresh).sum())

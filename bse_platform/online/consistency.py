"""Does the online store serve what the offline partitions hold? A sample of securities, value by value.

The sample is drawn from the offline vectors, seeded by their trade date (every check of a date
samples the same securities), and read from the live snapshot in one ``get_many`` call. Values
must be equal exactly: the store keeps the float64 the partitions hold, a null stays a null. A
sampled security the snapshot lacks, a feature it lacks, or a snapshot of another trade date is a
difference too. No Dagster here.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bse_platform.online.store import FeatureVector, OnlineClient, UnknownSecurityError

SAMPLE_SIZE = 100
SHOWN_MISMATCHES = 20


@dataclass(frozen=True)
class ConsistencyReport:
    trade_date: dt.date  # of the offline vectors
    snapshot_trade_date: dt.date | None  # of the live snapshot read (None: no sampled security was in it)
    sampled: tuple[int, ...]  # the securities compared
    compared_values: int
    mismatched_values: int  # values of the securities and features online that differ
    mismatches: pd.DataFrame  # the first SHOWN_MISMATCHES: security_code, feature, online, offline
    missing_securities: tuple[int, ...]  # sampled, not in the snapshot
    missing_features: tuple[str, ...]  # compared, not in the snapshot

    @property
    def passed(self) -> bool:
        return (
            self.snapshot_trade_date == self.trade_date
            and self.mismatched_values == 0
            and not self.missing_securities
            and not self.missing_features
        )


def compare_with_offline(
    client: OnlineClient, vectors: pd.DataFrame, trade_date: dt.date, features: Sequence[str], sample_size: int = SAMPLE_SIZE
) -> ConsistencyReport:
    """The live snapshot against ``vectors`` (``security_code`` and the ``features`` columns), the
    offline vectors of ``trade_date``, on up to ``sample_size`` of their securities."""
    offline = vectors.set_index("security_code")[list(features)]
    codes = np.sort(offline.index.to_numpy())  # the sample depends on the securities, not on their order
    sample = np.random.default_rng(trade_date.toordinal()).choice(codes, size=min(sample_size, len(codes)), replace=False)
    sampled = tuple(sorted(int(code) for code in sample))
    online, missing_securities = _read(client, list(sampled))
    read = [vector.security_code for vector in online]
    online_values = pd.DataFrame([vector.values for vector in online], index=read, dtype=float)
    missing_features = tuple(name for name in features if name not in online_values.columns)
    compared = [name for name in features if name in online_values.columns]
    on, off = online_values[compared], offline.loc[read, compared]
    different = (on != off) & ~(on.isna() & off.isna())  # NaN never equals itself; a null matches a null
    rows, columns = np.nonzero(different.to_numpy())
    mismatches = pd.DataFrame({
        "security_code": on.index[rows], "feature": on.columns[columns],
        "online": on.to_numpy()[rows, columns], "offline": off.to_numpy()[rows, columns],
    }).head(SHOWN_MISMATCHES)  # fmt: skip
    return ConsistencyReport(
        trade_date=trade_date,
        snapshot_trade_date=online[0].trade_date if online else None,
        sampled=sampled,
        compared_values=on.size,
        mismatched_values=len(rows),
        mismatches=mismatches,
        missing_securities=missing_securities,
        missing_features=missing_features,
    )


def _read(client: OnlineClient, codes: list[int]) -> tuple[list[FeatureVector], tuple[int, ...]]:
    """The vectors of ``codes`` in the live snapshot, and the codes it lacks (read again without them)."""
    try:
        return client.get_many(codes), ()
    except UnknownSecurityError as error:
        missing = tuple(int(code) for code in error.securities)
        return client.get_many([code for code in codes if code not in missing]), missing

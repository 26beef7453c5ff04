"""The security master: each security code's ISIN, as the bhavcopy formats that carry ISINs state it.

The legacy EQ format has no ISIN column, so its ETFs look like shares (group B, SC_TYPE Q). Its rows
take their ISIN, and so their class, from here: the latest ISIN each code had in the stored clean
partitions of the other formats.
"""

import pyarrow.compute as pc

from bse_platform.storage import PARTITION_COLUMN, ObjectStore

CLEAN = "clean_bhavcopy"


def known_isins(store: ObjectStore) -> dict[int, str]:
    """Security code -> its latest known ISIN, from every stored clean partition (one column scan)."""
    days = store.stored_partitions(CLEAN)
    rows = store.read_partitions(CLEAN, days, columns=["security_code", "isin"], where=pc.field("isin").is_valid())
    latest = rows.sort_values(PARTITION_COLUMN, kind="stable").drop_duplicates("security_code", keep="last")
    return dict(zip(latest["security_code"].astype(int), latest["isin"]))

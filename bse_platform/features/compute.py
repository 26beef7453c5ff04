"""From clean bhavcopy rows and corporate actions to one family's rows for the requested trade dates."""

import datetime as dt
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from bse_platform.calendar import BSE_PUBLICATION_TIME, BSE_TIMEZONE
from bse_platform.clean_schema import EQUITY_CLASSES
from bse_platform.features.family import FamilyResult, FeatureFamily
from bse_platform.features.panel import Panel, adjusted_panel

# Families computed at a time, on threads: their work is mostly NumPy's, pandas' and SciPy's loops,
# which release the GIL (a daily partition 0.4 s faster on 2 cores). Each one more holds another
# family's temporaries: two raise a 250-date run's peak from 2.5 to 2.8 GB.
FAMILIES_AT_A_TIME = 2


def available_at(trade_dates: pd.Series, publication_time: dt.time = BSE_PUBLICATION_TIME) -> pd.Series:
    """The moment a trade date's values could have been known: its publication time in IST, as UTC."""
    offset = pd.Timedelta(hours=publication_time.hour, minutes=publication_time.minute)
    return (trade_dates + offset).dt.tz_localize(BSE_TIMEZONE).dt.tz_convert("UTC")


def compute_families(
    families: Collection[FeatureFamily],
    clean: pd.DataFrame,
    actions: pd.DataFrame,
    trade_dates: Collection[dt.date],
    *,
    instrument_classes: Collection[str] = EQUITY_CLASSES,
    publication_time: dt.time = BSE_PUBLICATION_TIME,
) -> dict[str, FamilyResult]:
    """Each family's rows for ``trade_dates``, from ``clean`` rows covering them and their history
    (``history.read_history`` reads what a family's ``own_days`` need).

    The adjusted panel is built once for all ``families``. Prices are adjusted as of the last loaded
    date, then every price- or volume-like value is expressed in its own row date's share units, so a
    value never depends on a corporate action after its date. Values left undefined by a zero
    denominator are null.
    """
    panel = adjusted_panel(clean, actions, instrument_classes, trade_dates)
    keys = pd.DataFrame({name: panel.column(name) for name in ("trade_date", "security_code")})
    order = keys[panel.output].sort_values(["trade_date", "security_code"]).index
    outputs = _OutputRows(panel, order, available_at(keys.loc[order, "trade_date"], publication_time))
    # The threads share the panel: a column or cache two of them ask for at once is computed twice, alike.
    with ThreadPoolExecutor(max_workers=FAMILIES_AT_A_TIME) as pool:
        computed = pool.map(lambda family: _family_rows(family, panel, outputs), families)
        return {family.name: rows for family, rows in zip(families, computed)}


def compute_family(family: FeatureFamily, clean: pd.DataFrame, actions: pd.DataFrame, trade_dates, **options) -> FamilyResult:
    return compute_families([family], clean, actions, trade_dates, **options)[family.name]


class _OutputRows:
    """The panel rows every family outputs, ``order`` (labels, sorted by trade date and security),
    and what all families take of them, taken once."""

    def __init__(self, panel: Panel, order: pd.Index, stamps: pd.Series):
        self.order = order
        at = order.to_numpy()  # labels of the whole panel's rows: their positions
        names = ("trade_date", "security_code", "price_scale", "volume_scale", "action_factor")
        taken = {name: panel.column(name).to_numpy()[at] for name in names}
        self.keys = {"trade_date": taken["trade_date"], "security_code": taken["security_code"], "available_at": stamps.array}
        self.scales = {"price": taken["price_scale"], "volume": taken["volume_scale"]}
        self.action_factor = pd.Series(taken["action_factor"])
        self.own_row = panel.own_row[at]
        self._positions: dict[int, tuple[pd.Index, np.ndarray]] = {}  # by id(index); the index held so its id stays its own

    def values(self, computed: pd.Series) -> np.ndarray:
        """``computed`` at the output rows. A value is indexed by the rows of the ``Panel.within`` it
        was computed on, sorted labels holding every output row: found by bisection, where ``.loc``
        would first hash each of those indexes (a tenth of a second for a year of history); and found
        once per index, which a family's values share."""
        index = computed.index
        if id(index) not in self._positions:
            self._positions[id(index)] = index, np.searchsorted(index.to_numpy(), self.order.to_numpy())
        return computed.to_numpy(dtype="float64", na_value=np.nan)[self._positions[id(index)][1]]


def _family_rows(family: FeatureFamily, panel: Panel, outputs: _OutputRows) -> FamilyResult:
    computed = family.compute(panel.within(family.own_days))
    columns, expected = dict(outputs.keys), {}
    for spec in family.features:
        values = outputs.values(computed[spec.name])
        if spec.scale is not None:
            values = values / outputs.scales[spec.scale]
        values[np.isinf(values)] = np.nan
        columns[spec.name], expected[spec.name] = values, outputs.own_row >= spec.min_rows - 1
    return FamilyResult(pd.DataFrame(columns), pd.DataFrame(expected), outputs.action_factor)

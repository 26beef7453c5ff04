"""The header formats BSE has published equity bhavcopies in, and how each maps onto the clean schema.

The format of a file is detected from its header row, never assumed from its date.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bse_platform.bse.errors import BrokenBhavcopyError


@dataclass(frozen=True)
class BhavcopyFormat:
    name: str
    header: tuple[str, ...]
    to_clean: Mapping[str, str]  # source column -> clean column
    date_column: str | None = None
    date_formats: tuple[str, ...] = ()

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(self.to_clean) + ((self.date_column,) if self.date_column else ())

    @property
    def carries_isin(self) -> bool:
        return "isin" in self.to_clean.values()


_LEGACY_TO_CLEAN = {
    "SC_CODE": "security_code",
    "SC_NAME": "name",
    "SC_GROUP": "group",
    "SC_TYPE": "instrument_type",
    "OPEN": "open",
    "HIGH": "high",
    "LOW": "low",
    "CLOSE": "close",
    "LAST": "last",
    "PREVCLOSE": "prev_close",
    "NO_TRADES": "num_trades",
    "NO_OF_SHRS": "volume",
    "NET_TURNOV": "turnover",
}

_UDIFF_TO_CLEAN = {
    "FinInstrmId": "security_code",
    "ISIN": "isin",
    "TckrSymb": "symbol",
    "FinInstrmNm": "name",
    "SctySrs": "group",
    "FinInstrmTp": "instrument_type",
    "OpnPric": "open",
    "HghPric": "high",
    "LwPric": "low",
    "ClsPric": "close",
    "LastPric": "last",
    "PrvsClsgPric": "prev_close",
    "TtlNbOfTxsExctd": "num_trades",
    "TtlTradgVol": "volume",
    "TtlTrfVal": "turnover",
}

EQ = BhavcopyFormat(
    name="eq",
    header=tuple(_LEGACY_TO_CLEAN) + ("TDCLOINDI",),
    to_clean=_LEGACY_TO_CLEAN,
)

EQ_ISINCODE = BhavcopyFormat(
    name="eq_isincode",
    header=EQ.header + ("ISIN_CODE", "TRADING_DATE", "FILLER2", "FILLER3"),
    to_clean={**_LEGACY_TO_CLEAN, "ISIN_CODE": "isin"},
    date_column="TRADING_DATE",
    date_formats=("%d-%b-%y",),
)

# BSE_EQ_BHAVCOPY_DDMMYYYY.ZIP from 2023-01-02 (reported, no real sample): UDiFF names, own order.
# Its 2022 variant has a TRADING_DATE column but its full header is unknown, so it is not accepted.
BSE_EQ_BHAVCOPY = BhavcopyFormat(
    name="bse_eq_bhavcopy",
    header=(
        "ISIN", "TckrSymb", "FinInstrmId", "FinInstrmNm", "SctySrs", "OpnPric", "HghPric", "LwPric",
        "ClsPric", "LastPric", "PrvsClsgPric", "TtlTradgVol", "TtlTrfVal", "TradDt", "TtlNbOfTxsExctd",
        "FinInstrmTp", "OffclCorpActnEvtId", "RptgDt", "TradRegnOrgn", "MktTpandId", "InstrmId",
        "InstrmNm", "FftyTwWkHgh", "FftyTwWkLw", "UnitOfMeasr", "SttlmPric", "AvrgPric", "Ccy",
        "Rsvd01", "Rsvd02", "Rsvd03", "Rsvd04",
    ),  # fmt: skip
    to_clean=_UDIFF_TO_CLEAN,
    date_column="TradDt",
    date_formats=("%Y-%m-%d", "%d-%b-%Y", "%d-%b-%y"),
)

UDIFF = BhavcopyFormat(
    name="udiff",
    header=(
        "TradDt", "BizDt", "Sgmt", "Src", "FinInstrmTp", "FinInstrmId", "ISIN", "TckrSymb", "SctySrs",
        "XpryDt", "FininstrmActlXpryDt", "StrkPric", "OptnTp", "FinInstrmNm", "OpnPric", "HghPric",
        "LwPric", "ClsPric", "LastPric", "PrvsClsgPric", "UndrlygPric", "SttlmPric", "OpnIntrst",
        "ChngInOpnIntrst", "TtlTradgVol", "TtlTrfVal", "TtlNbOfTxsExctd", "SsnId", "NewBrdLotQty",
        "Rmks", "Rsvd1", "Rsvd2", "Rsvd3", "Rsvd4",
    ),  # fmt: skip
    to_clean=_UDIFF_TO_CLEAN,
    date_column="TradDt",
    date_formats=("%Y-%m-%d",),
)

FORMATS: dict[str, BhavcopyFormat] = {f.name: f for f in (EQ, EQ_ISINCODE, BSE_EQ_BHAVCOPY, UDIFF)}

# Below this share of its columns a header is no known format (rather than a known one with gaps).
_MIN_HEADER_SIMILARITY = 0.5


def detect_format(header: Sequence[str], *, file: str | None) -> BhavcopyFormat:
    """The known format closest to ``header``; fails on an unknown header or a missing column."""
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise BrokenBhavcopyError(f"header names column(s) {', '.join(repeated)} more than once", file=file, line=1)
    names = set(header)

    def similarity(fmt: BhavcopyFormat) -> float:
        return len(names & set(fmt.header)) / len(names | set(fmt.header))

    best = max(FORMATS.values(), key=similarity)
    if similarity(best) < _MIN_HEADER_SIMILARITY:
        raise BrokenBhavcopyError(
            f"not a bhavcopy: unknown header {','.join(header)[:200]!r}", file=file, line=1
        )
    missing = [c for c in best.required_columns if c not in names]
    if missing:
        raise BrokenBhavcopyError(
            f"header lacks required column(s) {', '.join(missing)} of the {best.name} format",
            file=file,
            line=1,
        )
    return best

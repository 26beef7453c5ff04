"""The online store: the latest trade date's feature vectors in Redis, switched atomically.

Key layout, every key under the namespace ``ns``:

    {ns}:current             the live snapshot's id, "<trade date>#<generation>" (e.g. "2025-08-29#17")
    {ns}:generation          counter making each sync's snapshot id unique (a re-sync of a date is new)
    {ns}:snap:{id}:vectors   hash: security code -> its vector, packed little-endian float64, NaN = null
    {ns}:snap:{id}:aliases   hash: symbol or ISIN (upper case) -> security code
    {ns}:snap:{id}:meta      hash: feature names in vector order (JSON), trade date, available_at,
                             definitions version, row count, sync time

A sync writes its snapshot beside the live one (pipelined; the keys carry a pending TTL, so a sync
that dies half-way leaves nothing behind), then one Lua script moves the pointer: it refuses a trade
date older than the live one, makes the new snapshot's keys persistent and gives the old snapshot's
keys the TTL, so a reader that resolved the old id just before the switch can still finish.

A read is one Lua script that resolves the pointer, the aliases and the vectors in one atomic step,
so a batch always comes from one complete snapshot. A snapshot's metadata never changes, so the
client fetches it once per snapshot id and caches it. The scripts derive key names from the pointer,
which a standalone Redis allows (Redis Cluster does not).
"""

import datetime as dt
import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import redis

# A sync with fewer vectors than this share of the live snapshot's is refused unless forced: a
# degenerate file must not empty the store under its readers.
MIN_SHARE_OF_LIVE = 0.5
DEFAULT_TTL_SECONDS = 600  # old snapshots only need to outlive in-flight reads; a backfill must not pile them up
PENDING_TTL_SECONDS = 3600  # a snapshot whose sync never switched the pointer disappears after this
FIELDS_PER_WRITE = 1000  # vectors per HSET: few round trips, bounded command size
VECTOR_DTYPE = np.dtype("<f8")
SNAPSHOT_PARTS = (":vectors", ":aliases", ":meta")

# Switch the pointer to a fully written snapshot unless the live one holds a newer trade date.
# KEYS[1]: pointer. ARGV: new id, snapshot key prefix, TTL for the old snapshot, then the key suffixes.
_SWITCH_SCRIPT = """
local new_id, prefix, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, 10) > string.sub(new_id, 1, 10) then
  return {0, current}
end
if redis.call('EXISTS', prefix .. new_id .. ':vectors', prefix .. new_id .. ':meta') < 2 then
  return redis.error_reply('online snapshot ' .. new_id .. ' is incomplete or expired; not switching')
end
for i = 4, #ARGV do
  redis.call('PERSIST', prefix .. new_id .. ARGV[i])
  if current then redis.call('EXPIRE', prefix .. current .. ARGV[i], ttl) end
end
redis.call('SET', KEYS[1], new_id)
return {1, current or ''}
"""

# Read securities (codes, symbols or ISINs) from the live snapshot, pointer included, in one step.
# KEYS[1]: pointer. ARGV: snapshot key prefix, then the identifiers. Returns false on an empty store,
# else {snapshot id, resolved codes joined by spaces, the found vectors concatenated, 1-based
# positions of the unknown identifiers}: a few large replies parse much faster than many small ones.
_READ_SCRIPT = """
local id = redis.call('GET', KEYS[1])
if not id then return false end
local base = ARGV[1] .. id
local codes = {}
for i = 2, #ARGV do
  local wanted = ARGV[i]
  if string.find(wanted, '^%d+$') then
    codes[i - 1] = wanted
  else
    codes[i - 1] = redis.call('HGET', base .. ':aliases', wanted) or ''
  end
end
local vectors, unknown = {}, {}
for first = 1, #codes, 1000 do
  local chunk = redis.call('HMGET', base .. ':vectors', unpack(codes, first, math.min(first + 999, #codes)))
  for offset, vector in ipairs(chunk) do
    if vector then vectors[#vectors + 1] = vector else unknown[#unknown + 1] = first + offset - 1 end
  end
end
return {id, table.concat(codes, ' '), table.concat(vectors), unknown}
"""


class OnlineStoreError(Exception):
    """Anything the online store refuses or cannot find."""


class EmptyOnlineStoreError(OnlineStoreError, LookupError):
    """No snapshot has been published under the namespace yet."""


class UnknownSecurityError(OnlineStoreError, KeyError):
    """A security code, symbol or ISIN that the live snapshot does not hold."""

    __str__ = BaseException.__str__  # the message, not KeyError's repr of it

    def __init__(self, securities: Sequence[int | str], trade_date: dt.date):
        self.securities = tuple(securities)
        names = ", ".join(repr(security) for security in self.securities)
        super().__init__(f"unknown security {names}: not in the online snapshot of {trade_date}")


class UnknownFeatureError(OnlineStoreError, KeyError):
    """A feature name that the live snapshot does not hold."""

    __str__ = BaseException.__str__

    def __init__(self, features: Sequence[str], valid: Sequence[str]):
        self.features = tuple(features)
        hints = [match for name in features for match in difflib.get_close_matches(name, valid, n=3)]
        examples = ", ".join(dict.fromkeys(hints or valid[:5]))
        super().__init__(
            f"unknown feature {', '.join(map(repr, features))}; the snapshot has {len(valid)} features, e.g. {examples}"
        )


@dataclass(frozen=True)
class SnapshotMeta:
    """What a reader needs to interpret a snapshot's vectors."""

    snapshot_id: str
    trade_date: dt.date
    available_at: pd.Timestamp
    definitions_version: str
    feature_names: tuple[str, ...]
    rows: int
    synced_at: pd.Timestamp

    @cached_property
    def positions(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.feature_names)}

    def positions_of(self, features: Sequence[str]) -> list[int]:
        """Where each named feature sits in a vector, in the order asked."""
        unknown = [name for name in features if name not in self.positions]
        if unknown:
            raise UnknownFeatureError(unknown, self.feature_names)
        return [self.positions[name] for name in features]


@dataclass(frozen=True, slots=True)
class FeatureVector:
    security_code: int
    trade_date: dt.date
    available_at: pd.Timestamp
    values: dict[str, float | None]  # None where the feature is undefined (NaN in the frame)


@dataclass(frozen=True)
class SyncResult:
    published: bool  # False when a newer trade date was already live, or the snapshot was refused
    trade_date: dt.date
    live_trade_date: dt.date  # what readers see after this sync
    snapshot_id: str | None  # None when skipped
    rows: int
    reason: str
    ambiguous_aliases: tuple[str, ...] = ()  # symbols/ISINs naming several securities, left out
    refused: bool = False  # far fewer vectors than the live snapshot: not published, unless forced


@dataclass(frozen=True)
class _Keys:
    namespace: str

    @property
    def pointer(self) -> str:
        return f"{self.namespace}:current"

    @property
    def generation(self) -> str:
        return f"{self.namespace}:generation"

    @property
    def snapshot_prefix(self) -> str:
        return f"{self.namespace}:snap:"

    def snapshot(self, snapshot_id: str, part: str) -> str:
        return f"{self.snapshot_prefix}{snapshot_id}{part}"

    def snapshot_keys(self, snapshot_id: str) -> list[str]:
        return [self.snapshot(snapshot_id, part) for part in SNAPSHOT_PARTS]


def _trade_date_of(snapshot_id: str) -> dt.date:
    return dt.date.fromisoformat(snapshot_id[:10])


def _require_bytes(client: redis.Redis) -> None:
    """Vectors are binary: a client that decodes responses to str would corrupt them."""
    if client.connection_pool.connection_kwargs.get("decode_responses"):
        raise ValueError("the online store needs a Redis client with decode_responses=False")


def _as_utc(value: dt.datetime | str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"available_at must be timezone-aware, got {value!r}")
    return stamp.tz_convert("UTC")


class OnlineStore:
    """Publishes snapshots of feature vectors; readers use ``client()`` (an ``OnlineClient``).

    ``ttl_seconds`` is how long a replaced snapshot stays readable: long enough for reads in flight
    at the switch, short enough that a backfill switching through many dates does not pile them up.
    """

    def __init__(self, redis_client: redis.Redis, namespace: str = "bse", ttl_seconds: int = DEFAULT_TTL_SECONDS):
        _require_bytes(redis_client)
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        self.redis = redis_client
        self.keys = _Keys(namespace)
        self.ttl_seconds = ttl_seconds
        self._switch = redis_client.register_script(_SWITCH_SCRIPT)

    def client(self) -> "OnlineClient":
        return OnlineClient(self.redis, self.keys.namespace)

    def live_snapshot_id(self) -> str | None:
        current = self.redis.get(self.keys.pointer)
        return current.decode() if current is not None else None

    def sync(
        self,
        vectors: pd.DataFrame,
        *,
        feature_names: Sequence[str],
        trade_date: dt.date | str,
        available_at: dt.datetime | str,
        definitions_version: str,
        symbols: Mapping[int, str | None] | None = None,
        isins: Mapping[int, str | None] | None = None,
        force: bool = False,
    ) -> SyncResult:
        """Publish ``vectors`` (a ``security_code`` column and the feature columns) as the snapshot of
        ``trade_date``, unless a newer trade date is live, or ``vectors`` hold fewer than
        MIN_SHARE_OF_LIVE of the live snapshot's securities and ``force`` is not set. ``symbols`` and
        ``isins`` map security codes to aliases (a pandas Series indexed by code works); nulls are ignored."""
        trade_date = pd.Timestamp(trade_date).date()
        available_at = _as_utc(available_at)
        feature_names = list(feature_names)
        codes = _validated_codes(vectors, feature_names)
        live = self.live_snapshot_id()
        if live is not None and _trade_date_of(live) > trade_date:
            return _skipped(trade_date, live, len(codes))
        live_rows = int(self.redis.hget(self.keys.snapshot(live, ":meta"), "rows") or 0) if live else 0
        if not force and len(codes) < MIN_SHARE_OF_LIVE * live_rows:
            return SyncResult(
                published=False, trade_date=trade_date, live_trade_date=_trade_date_of(live), snapshot_id=None,
                rows=len(codes), refused=True,
                reason=f"refused: {len(codes):,} vectors for {trade_date} where the live snapshot {live} has {live_rows:,} "
                f"(below {MIN_SHARE_OF_LIVE:.0%}); readers keep {_trade_date_of(live)}. Force it if the market really shrank",
            )  # fmt: skip

        snapshot_id = f"{trade_date.isoformat()}#{self.redis.incr(self.keys.generation)}"
        aliases, ambiguous = _aliases(set(codes), symbols, isins)
        meta = {
            "feature_names": json.dumps(feature_names),
            "trade_date": trade_date.isoformat(),
            "available_at": available_at.isoformat(),
            "definitions_version": definitions_version,
            "rows": len(codes),
            "synced_at": pd.Timestamp.now(tz="UTC").isoformat(),
        }
        self._write_pending(snapshot_id, dict(zip(map(str, codes), _packed_rows(vectors, feature_names))), aliases, meta)

        switched, previous = self._switch(
            keys=[self.keys.pointer],
            args=[snapshot_id, self.keys.snapshot_prefix, self.ttl_seconds, *SNAPSHOT_PARTS],
        )
        previous = previous.decode()
        if not switched:
            self.redis.delete(*self.keys.snapshot_keys(snapshot_id))
            return _skipped(trade_date, previous, len(codes))
        replaced = f" (replacing {previous})" if previous else ""
        return SyncResult(
            published=True,
            trade_date=trade_date,
            live_trade_date=trade_date,
            snapshot_id=snapshot_id,
            rows=len(codes),
            reason=f"published {len(codes):,} vectors as {snapshot_id}{replaced}",
            ambiguous_aliases=ambiguous,
        )

    def _write_pending(
        self, snapshot_id: str, vectors: dict[str, bytes], aliases: dict[str, str], meta: dict[str, str | int]
    ) -> None:
        """Every key of the snapshot, in one pipelined round trip, each expiring unless switched to."""
        pipe = self.redis.pipeline(transaction=False)
        vectors_key = self.keys.snapshot(snapshot_id, ":vectors")
        items = list(vectors.items())
        for first in range(0, len(items), FIELDS_PER_WRITE):
            pipe.hset(vectors_key, mapping=dict(items[first : first + FIELDS_PER_WRITE]))
        if aliases:
            pipe.hset(self.keys.snapshot(snapshot_id, ":aliases"), mapping=aliases)
        pipe.hset(self.keys.snapshot(snapshot_id, ":meta"), mapping=meta)  # last: its presence means complete
        for key in self.keys.snapshot_keys(snapshot_id):
            pipe.expire(key, PENDING_TTL_SECONDS)
        pipe.execute()


def _validated_codes(vectors: pd.DataFrame, feature_names: list[str]) -> list[int]:
    if not feature_names or len(set(feature_names)) != len(feature_names):
        raise ValueError("feature_names must be a non-empty list of distinct names")
    missing = [name for name in ["security_code", *feature_names] if name not in vectors.columns]
    if missing:
        raise ValueError(f"vectors lack the columns {missing}")
    if vectors.empty:
        raise ValueError("no vectors to publish: an empty snapshot would hide the live one")
    codes = vectors["security_code"].astype("int64")
    duplicated = codes[codes.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(f"security codes appear more than once: {duplicated[:10]}")
    return codes.tolist()


def _packed_rows(vectors: pd.DataFrame, feature_names: list[str]) -> list[bytes]:
    """Each row as little-endian float64 bytes, nulls as NaN, in ``feature_names`` order."""
    matrix = np.ascontiguousarray(vectors[feature_names].to_numpy(dtype=VECTOR_DTYPE, na_value=np.nan))
    packed, width = matrix.tobytes(), matrix.shape[1] * VECTOR_DTYPE.itemsize
    return [packed[start : start + width] for start in range(0, len(packed), width)]


def _aliases(codes: set[int], *mappings: Mapping[int, str | None] | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """Alias -> code for the aliases naming exactly one published security, and the ambiguous ones.
    All-digit aliases are dropped: readers take digits as a security code."""
    targets: dict[str, set[int]] = {}
    for mapping in mappings:
        if mapping is None:
            continue
        for code, alias in mapping.items():
            if int(code) in codes and isinstance(alias, str) and alias.strip() and not alias.strip().isdigit():
                targets.setdefault(alias.strip().upper(), set()).add(int(code))
    unique = {alias: str(next(iter(owners))) for alias, owners in targets.items() if len(owners) == 1}
    return unique, tuple(sorted(alias for alias, owners in targets.items() if len(owners) > 1))


def _skipped(trade_date: dt.date, live_snapshot_id: str, rows: int) -> SyncResult:
    live_date = _trade_date_of(live_snapshot_id)
    return SyncResult(
        published=False,
        trade_date=trade_date,
        live_trade_date=live_date,
        snapshot_id=None,
        rows=rows,
        reason=f"skipped: the live snapshot {live_snapshot_id} holds {live_date}, newer than {trade_date}",
    )


class OnlineClient:
    """Reads feature vectors from the live snapshot: one Redis round trip per call (plus one the
    first time a snapshot is seen, for its metadata)."""

    _CACHED_SNAPSHOTS = 4

    def __init__(self, redis_client: redis.Redis, namespace: str = "bse"):
        _require_bytes(redis_client)
        self.redis = redis_client
        self.keys = _Keys(namespace)
        self._read = redis_client.register_script(_READ_SCRIPT)
        self._snapshots: dict[str, SnapshotMeta] = {}

    def get(self, security: int | str, features: Sequence[str] | None = None) -> FeatureVector:
        """One security (code, symbol or ISIN): all features, or ``features`` in that order."""
        return self.get_many([security], features)[0]

    def get_many(self, securities: Iterable[int | str], features: Sequence[str] | None = None) -> list[FeatureVector]:
        """Several securities, in the order given, all from the same snapshot."""
        securities = list(securities)
        if not securities:
            return []
        reply = self._read(
            keys=[self.keys.pointer], args=[self.keys.snapshot_prefix, *map(_identifier, securities)]
        )
        if reply is None:
            raise EmptyOnlineStoreError(f"the online store {self.keys.namespace!r} has no snapshot yet")
        snapshot_id, codes, packed, unknown = reply
        meta = self._meta(snapshot_id.decode())
        if unknown:
            raise UnknownSecurityError([securities[position - 1] for position in unknown], meta.trade_date)

        matrix = np.frombuffer(packed, dtype=VECTOR_DTYPE).reshape(len(securities), len(meta.feature_names))
        names = meta.feature_names
        if features is not None:
            names = tuple(features)
            matrix = matrix[:, meta.positions_of(names)]
        return [
            FeatureVector(int(code), meta.trade_date, meta.available_at, dict(zip(names, row)))
            for code, row in zip(codes.split(b" "), _with_nulls(matrix))
        ]

    def snapshot(self) -> SnapshotMeta:
        """The live snapshot's metadata: feature names and order, trade date, available_at, version."""
        live = self.redis.get(self.keys.pointer)
        if live is None:
            raise EmptyOnlineStoreError(f"the online store {self.keys.namespace!r} has no snapshot yet")
        return self._meta(live.decode())

    def _meta(self, snapshot_id: str) -> SnapshotMeta:
        """A snapshot's metadata; immutable, so fetched once per snapshot id."""
        cached = self._snapshots.get(snapshot_id)
        if cached is not None:
            return cached
        fields = {key.decode(): value.decode() for key, value in self.redis.hgetall(self.keys.snapshot(snapshot_id, ":meta")).items()}
        if not fields:
            raise OnlineStoreError(f"online snapshot {snapshot_id} expired while being read; retry")
        meta = SnapshotMeta(
            snapshot_id=snapshot_id,
            trade_date=dt.date.fromisoformat(fields["trade_date"]),
            available_at=pd.Timestamp(fields["available_at"]),
            definitions_version=fields["definitions_version"],
            feature_names=tuple(json.loads(fields["feature_names"])),
            rows=int(fields["rows"]),
            synced_at=pd.Timestamp(fields["synced_at"]),
        )
        if len(self._snapshots) >= self._CACHED_SNAPSHOTS:
            del self._snapshots[next(iter(self._snapshots))]
        self._snapshots[snapshot_id] = meta
        return meta


def _with_nulls(matrix: np.ndarray) -> list[list[float | None]]:
    """Rows as Python lists with None for NaN, vectorized rather than tested value by value."""
    values = matrix.astype(object)
    values[np.isnan(matrix)] = None
    return values.tolist()


def _identifier(security: int | str) -> str:
    """A security code as its digits; a symbol or ISIN in upper case, as the aliases are stored."""
    if isinstance(security, (int, np.integer)) and not isinstance(security, bool):
        return str(int(security))
    text = str(security).strip().upper()
    return str(int(text)) if text.isdigit() else text

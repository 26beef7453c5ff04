"""The online store as the last asset: the latest trade date's feature vectors, in Redis.

Syncing a trade date older than the one online is skipped (the store refuses to move back), so a
backfill of old partitions never replaces the live snapshot.
"""

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, ConfigurableResource, MaterializeResult, MetadataValue, asset
from pydantic import Field

from bse_platform.defs.partitions import TRADE_DATE_PARTITIONS, partition_trade_date
from bse_platform.features.catalog import FAMILIES, definitions_version, feature_names
from bse_platform.features.compute import available_at
from bse_platform.online import OnlineStore, redis_from_url
from bse_platform.online.store import DEFAULT_TTL_SECONDS


class RedisResource(ConfigurableResource):
    """Where the online store lives: REDIS_URL's server, or an embedded Redis (no services needed)."""

    url: str | None = Field(default=None, description="Set from EnvVar('REDIS_URL') (password/TLS in the URL); unset: embedded")
    embedded_path: str = Field(default=".dagster_home/online_redis.db", description="Data file of the embedded Redis")
    namespace: str = Field(default="bse", description="Prefix of every key the store writes")
    ttl_seconds: int = Field(default=DEFAULT_TTL_SECONDS, description="How long a replaced snapshot stays readable")

    def store(self) -> OnlineStore:
        return OnlineStore(redis_from_url(self.url, embedded_path=self.embedded_path), self.namespace, self.ttl_seconds)


@asset(
    partitions_def=TRADE_DATE_PARTITIONS,
    ins={"clean_bhavcopy": AssetIn(), **{name: AssetIn() for name in FAMILIES}},
    group_name="online",
    kinds={"redis"},
)
def online_features(context: AssetExecutionContext, online: RedisResource, clean_bhavcopy: pd.DataFrame, **families: pd.DataFrame):
    """Every security's full feature vector for the trade date, published to Redis in one atomic switch."""
    trade_date = partition_trade_date(context.partition_key)
    keys = ["trade_date", "security_code", "available_at"]
    vectors = pd.concat([frame.set_index(keys) for frame in families.values()], axis=1).reset_index()
    aliases = clean_bhavcopy.set_index("security_code")
    result = online.store().sync(
        vectors,
        feature_names=feature_names(),
        trade_date=trade_date,
        available_at=available_at(pd.Series([pd.Timestamp(trade_date)])).iloc[0],
        definitions_version=definitions_version(),
        symbols=aliases["symbol"],
        isins=aliases["isin"],
    )
    context.log.info(result.reason)
    return MaterializeResult(
        metadata={
            "published": result.published,
            "vectors": result.rows,
            "live_trade_date": str(result.live_trade_date),
            "snapshot": result.snapshot_id or "",
            "outcome": MetadataValue.text(result.reason),
            "definitions_version": definitions_version(),
        }
    )

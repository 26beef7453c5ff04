"""The Dagster layer: partitions, resources, IO managers, assets and checks composing the pure modules."""

import warnings

from dagster import PreviewWarning

# Per-partition asset checks (AssetCheckSpec(partitions_def=...)) are what the checks need to be;
# their preview status is known and accepted, so the warning is not repeated on every load.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=PreviewWarning)

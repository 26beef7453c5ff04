"""The Dagster layer: partitions, resources, IO managers, assets and checks composing the pure modules."""

"""bse-platform: BSE equity bhavcopies to ML-ready technical-indicator features, as Dagster assets."""

"""Technical-indicator feature families computed on split-adjusted prices. No Dagster here.

``catalog.FAMILIES`` lists the families; ``compute.compute_family`` computes one for trade dates.
"""

"""What every asset carries for the UI: owners, tags, and column schemas declared once elsewhere."""

import pandera.pandas as pa
from dagster import TableColumn, TableColumnConstraints, TableSchema

OWNERS = ["team:bse-platform"]


def layer_tags(layer: str) -> dict[str, str]:
    """Tags to filter the asset catalog by: where the data comes from and which step it is."""
    return {"source": "bse", "layer": layer}


def column_schema(schema: pa.DataFrameSchema) -> TableSchema:
    """A pandera schema's columns, with their descriptions and checks, as the UI's Columns table."""
    return TableSchema(
        columns=[
            TableColumn(
                name,
                str(column.dtype),
                description=column.description,
                constraints=TableColumnConstraints(
                    nullable=column.nullable, unique=column.unique, other=[check.error or check.name for check in column.checks]
                ),
            )
            for name, column in schema.columns.items()
        ]
    )

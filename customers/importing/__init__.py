"""The order-file import pipeline's parts: reading, header mapping, validation and storing.

``customers.services.imports`` puts them together; the parts below it import nothing from
the database layer except ``store`` (the SQL adapter).
"""

from customers.importing.fields import (
    SUPERSTORE_DATE_ORDER,
    SUPERSTORE_MAPPING,
    SUPERSTORE_MAPPING_NAME,
    column_plan,
    header_key,
    superstore_mapping_columns,
)

__all__ = [
    "SUPERSTORE_DATE_ORDER",
    "SUPERSTORE_MAPPING",
    "SUPERSTORE_MAPPING_NAME",
    "column_plan",
    "header_key",
    "superstore_mapping_columns",
]

"""What `/api/v1/data` and `/api/v1/data/<table>` answer, for the OpenAPI document.

The rows' keys differ from table to table: each table's columns are in the
dictionary (`GET /api/v1/data`), generated from `services.TABLES`.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from national_aggregator.opendata.services import TYPES
from national_aggregator.priorities.schemas import ReportingPeriodSchema


class DataTableSchema(Schema):
    table = fields.String(required=True, metadata={"example": "priorities"})
    title = fields.String(required=True)
    description = fields.String(required=True)
    period = fields.Nested(
        ReportingPeriodSchema,
        required=True,
        allow_none=True,
        metadata={"description": "null until any hub has sent a summary"},
    )
    region = fields.String(
        required=True, allow_none=True, metadata={"description": "null: all of England"}
    )
    licence = fields.String(required=True, metadata={"example": "Open Government Licence v3.0"})
    licence_url = fields.String(required=True)
    dictionary = fields.String(required=True, metadata={"description": "the dictionary's URL"})
    columns = fields.List(
        fields.String(), required=True, metadata={"description": "column names, in file order"}
    )
    rows = fields.List(
        fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)),
        required=True,
        metadata={
            "description": "one object per row, keys in column order; a suppressed or empty "
            "cell is null; decimals are strings"
        },
    )


class DictionaryColumnSchema(Schema):
    name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(list(TYPES)))
    unit = fields.String(required=True)
    meaning = fields.String(required=True)
    empty_when = fields.String(
        required=True, metadata={"description": "when the cell is empty (null); never: always set"}
    )


class DictionaryTableSchema(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "the page the figures are on"})
    by_period = fields.Boolean(required=True, metadata={"description": "takes period and region"})
    csv = fields.String(required=True)
    json = fields.String(required=True)
    api = fields.String(required=True)
    columns = fields.List(fields.Nested(DictionaryColumnSchema), required=True)


class DictionarySchema(Schema):
    licence = fields.String(required=True)
    licence_url = fields.String(required=True)
    suppression = fields.String(
        required=True, metadata={"description": "how suppressed cells and bounds appear"}
    )
    types = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    tables = fields.List(fields.Nested(DictionaryTableSchema), required=True)

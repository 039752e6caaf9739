"""DynamoDB's wire format for the redirect's path, without importing `boto3.dynamodb.types`.

That module pulls in `boto3.compat` and s3transfer: ~30 ms of every cold start of the redirect,
which only reads a link and writes a click. These do the same conversions as boto3's
TypeSerializer/TypeDeserializer for the types ContentFlow stores (strings, numbers, booleans, maps,
lists, null), and hand anything else to boto3's, imported then.
"""

from __future__ import annotations

from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow

# boto3's DYNAMODB_CONTEXT: numbers DynamoDB cannot hold exactly raise instead of being rounded.
CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def to_item(values: dict) -> dict:
    """An item in DynamoDB's wire shape; None values are left out."""
    return {key: to_value(value) for key, value in values.items() if value is not None}


def to_value(value) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is bool:
        return {"BOOL": value}
    if kind is Decimal or kind is int:
        number = str(CONTEXT.create_decimal(value))  # raises where TypeSerializer does
        if number in ("Infinity", "NaN", "-Infinity", "sNaN"):
            raise TypeError("Infinity and NaN not supported")
        return {"N": number}
    if kind is dict:
        return {"M": {k: to_value(v) for k, v in value.items()}}
    if kind is list:
        return {"L": [to_value(v) for v in value]}
    if value is None:
        return {"NULL": True}
    from boto3.dynamodb.types import TypeSerializer  # sets, binary, floats' refusal: boto3 decides

    return TypeSerializer().serialize(value)


def from_item(item: dict) -> dict:
    return {key: from_value(value) for key, value in item.items()}


def from_value(value: dict):
    ((kind, data),) = value.items()
    if kind == "S":
        return data
    if kind == "N":
        return CONTEXT.create_decimal(data)
    if kind == "BOOL":
        return data
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_value(v) for k, v in data.items()}
    if kind == "L":
        return [from_value(v) for v in data]
    if kind == "SS":
        return set(data)
    if kind == "NS":
        return {CONTEXT.create_decimal(n) for n in data}
    from boto3.dynamodb.types import TypeDeserializer  # binary types: boto3's Binary

    return TypeDeserializer().deserialize(value)


def to_decimals(value):
    """Floats (scores, shares, amounts) as the Decimals DynamoDB stores, in maps and lists too."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_decimals(v) for v in value]
    return value


def from_decimals(value):
    """DynamoDB numbers come back as Decimal: whole ones as int, others as float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_decimals(v) for v in value]
    return value

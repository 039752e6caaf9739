"""Affiliate conversion postbacks: POST /api/conversions, public but HMAC-signed."""

import base64
import json

from pydantic import ValidationError

from contentflow.clicks.conversions import ClickNotFound, ConversionConflict, OrderNotFound, record_postback
from contentflow.observability import correlated, logger
from contentflow.security import headers as security_headers
from contentflow.security.signing import HEADER, BadSignature


def _json(status: int, body: dict) -> dict:
    headers = {"Content-Type": "application/json", **security_headers.API}
    return {"statusCode": status, "headers": headers, "body": json.dumps(body)}


@logger.inject_lambda_context(clear_state=True)
@correlated()
def handler(event, context):
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    try:
        recorded = record_postback(body, (event.get("headers") or {}).get(HEADER))
    except BadSignature as error:
        logger.warning("postback refused", extra={"reason": str(error)})
        return _json(401, {"error": f"bad signature: {error}"})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
        return _json(422, {"error": f"invalid conversion: {problems}"})
    except ClickNotFound as error:
        return _json(404, {"error": f"no click with id '{error}'"})
    except OrderNotFound as error:
        return _json(404, {"error": f"no approved or pending conversion of order '{error}' to reverse"})
    except ConversionConflict as error:
        return _json(409, {"error": str(error)})
    answer = {"outcome": recorded.outcome, **recorded.conversion.model_dump(mode="json", exclude_none=True)}
    if recorded.reversed_eur is not None:
        answer["reversed_eur"] = float(recorded.reversed_eur)
    return _json(201 if recorded.outcome == "recorded" else 200, answer)

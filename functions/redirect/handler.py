"""Public short links: GET /l/{code} → 302 to the stored affiliate URL, with one click recorded.

Kept to boto3, Powertools Logger and the standard library: every import here is cold-start time.
"""

from aws_lambda_powertools import Logger

from contentflow.clicks.service import SESSION_COOKIE, SESSION_MAX_AGE_S, follow

logger = Logger(service="contentflow")

NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<h1>Link not found</h1><p>This short link does not exist or is no longer active.</p></html>"
)
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _cookie(event: dict, name: str) -> str | None:
    for cookie in event.get("cookies") or ():
        key, _, value = cookie.strip().partition("=")
        if key == name:
            return value
    return None


def handler(event, context):
    outcome = follow(
        code=(event.get("pathParameters") or {}).get("code", ""),
        params=event.get("queryStringParameters") or {},
        session_id=_cookie(event, SESSION_COOKIE),
    )
    if outcome.status != 302:
        return {"statusCode": 404, "headers": HTML_HEADERS, "body": NOT_FOUND_PAGE}
    response = {
        "statusCode": 302,
        "headers": {
            "Location": outcome.location,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    }
    if outcome.new_session_id:
        response["cookies"] = [
            f"{SESSION_COOKIE}={outcome.new_session_id}; Max-Age={SESSION_MAX_AGE_S}; Path=/l; "
            "HttpOnly; Secure; SameSite=Lax"
        ]
    return response

"""Public short links: GET|HEAD /l/{code} → 302 to the stored affiliate URL, one click recorded.

Kept to boto3 and the standard library: every import is cold-start time. Powertools' Logger is made
on the first line logged (a failed click write); the EMF line is printed by `log_metrics_directly`.
"""

# The SDK first, at the shallowest import depth. CPython 3.13 before the fix of gh-142183 frees a
# 16 KiB frame-stack chunk as soon as the stack unwinds below it: imported four imports deep (from
# clicks.service), botocore's and urllib3's import-time regular expressions had one mapped and
# unmapped ~3,000 times, a tenth of `import boto3` in bench/package.py; imported here, ~10 times.
import boto3  # noqa: F401

from contentflow.clicks.devices import viewer
from contentflow.clicks.service import SESSION_COOKIE, SESSION_MAX_AGE_S, Visit, follow
from contentflow.observability import correlated, log_metrics_directly
from contentflow.security import headers

PAGES = {
    404: ("Link not found", "This short link does not exist or is no longer active."),
    410: ("Link expired", "This short link has expired."),
}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8", **headers.HTML}


def _cookie(event: dict, name: str) -> str | None:
    for cookie in event.get("cookies") or ():
        key, _, value = cookie.strip().partition("=")
        if key == name:
            return value
    return None


PAGE = "<!doctype html><html lang=en><meta charset=utf-8><title>{0}</title><h1>{0}</h1><p>{1}</p></html>"


@log_metrics_directly
@correlated()
def handler(event, context):
    headers = event.get("headers") or {}
    http = event.get("requestContext", {}).get("http", {})
    user_agent = headers.get("user-agent")
    device, os, language = viewer(headers, user_agent)
    outcome = follow(
        Visit(
            code=(event.get("pathParameters") or {}).get("code", ""),
            method=http.get("method", "GET"),
            params=event.get("queryStringParameters") or {},
            session_id=_cookie(event, SESSION_COOKIE),
            user_agent=user_agent,
            source_ip=http.get("sourceIp"),
            referrer=headers.get("referer"),
            country=headers.get("cloudfront-viewer-country"),
            device=device,
            os=os,
            language=language,
        )
    )
    if outcome.status != 302:
        return {
            "statusCode": outcome.status,
            "headers": HTML_HEADERS,
            "body": PAGE.format(*PAGES[outcome.status]),
        }
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

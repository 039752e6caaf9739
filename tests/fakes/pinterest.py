"""Pinterest API v5 offline: `GET /v5/pins/{pin_id}/analytics`, in its recorded shapes.

A known pin answers its metrics as `all.summary_metrics` (values as given, so a test can send floats
as the API sometimes does) with one daily entry; an unknown pin answers 404 code 50. The date window
is checked as Pinterest checks it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from tests.fakes.http import HttpFake

TYPES = {
    "impressions": "IMPRESSION",
    "platform_clicks": "PIN_CLICK",
    "outbound_clicks": "OUTBOUND_CLICK",
    "saves": "SAVE",
}
ANALYTICS = re.compile(r"/v5/pins/(\d+)/analytics")
ERRORS = {401: (2, "Authentication failed."), 404: (50, "Pin not found.")}


class PinterestFake(HttpFake):
    NAME = "pinterest"
    METRICS = tuple(TYPES)
    ID_BASE = 1_137_440_143_991_000_000

    def answer(self, request: httpx.Request) -> httpx.Response:
        found = ANALYTICS.fullmatch(request.url.path)
        if request.method != "GET" or request.url.host != "api.pinterest.com" or not found:
            return httpx.Response(404, json={"code": 404, "message": f"No such route {request.url.path}"})
        params = request.url.params
        try:
            start, end = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        except (KeyError, ValueError):
            return self.invalid("start_date and end_date must be YYYY-MM-DD")
        if start > end or end - start > timedelta(days=89):
            return self.invalid(f"the date range {start}..{end} is empty or longer than 90 days")
        asked = params.get("metric_types", "").split(",")
        if set(asked) - set(TYPES.values()):
            return self.invalid(f"unknown metric_types {params.get('metric_types')!r}")
        pin = found.group(1)
        if pin not in self.known:
            return httpx.Response(404, json=self.error_body(request, 404, None))
        summary = {TYPES[m]: v for m, v in self.known[pin].items() if TYPES[m] in asked}
        daily = [{"date": end.isoformat(), "data_status": "READY", "metrics": summary}]
        return httpx.Response(200, json={"all": {"daily_metrics": daily, "summary_metrics": summary}})

    def invalid(self, message: str) -> httpx.Response:
        return httpx.Response(400, json={"code": 1, "message": f"Invalid parameters: {message}"})

    def error_body(self, request: httpx.Request, status: int, reason) -> dict:
        code, message = ERRORS.get(status, (status, f"HTTP {status}"))
        return {"code": int(reason) if reason is not None else code, "message": message}


FAKE = PinterestFake

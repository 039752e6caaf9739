"""Pinterest API v5 offline: `GET /v5/pins/{pin_id}/analytics`, in its recorded shapes.

A known pin answers its metrics as `all.summary_metrics` (values as given, so a test can send floats
as the API sometimes does) with one daily entry; an unknown pin answers 404 code 50. The date window
is checked as Pinterest checks it.

Publishing: `POST /v5/pins` with a board the account has (`BOARD`, or `boards=`), an image_url media
source and the title/description/link limits Pinterest enforces; answers 201 with the pin, as the
v5 reference renders it (its id counting up from `ID_BASE`).
"""

from __future__ import annotations

import json
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
ERRORS = {
    401: (2, "Authentication failed."),
    404: (50, "Pin not found."),
    429: (8, "You have exceeded your rate limit. Try again later."),
}
BOARD = "1137440212712345678"
REJECTION = "Invalid Pin: the image at image_url could not be fetched."


class PinterestFake(HttpFake):
    NAME = "pinterest"
    METRICS = tuple(TYPES)
    ID_BASE = 1_137_440_143_991_000_000

    REJECTION = REJECTION

    def __init__(self, known=None, *, boards: tuple[str, ...] = (BOARD,), **kwargs):
        super().__init__(known, **kwargs)
        self.boards = boards

    def creates_post(self, request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path == "/v5/pins"

    def rejection(self, request: httpx.Request) -> dict:
        return {"code": 1, "message": REJECTION}

    def create_pin(self, request: httpx.Request) -> httpx.Response:
        try:
            pin = json.loads(request.content)
        except ValueError:
            return self.invalid("the body is not JSON")
        source = pin.get("media_source") or {}
        if pin.get("board_id") not in self.boards:
            return httpx.Response(404, json={"code": 40, "message": "Board not found."})
        if source.get("source_type") != "image_url" or not str(source.get("url", "")).startswith("https://"):
            return self.invalid("media_source must be an image_url source with an https url")
        for field, most in (("title", 100), ("description", 800), ("link", 2048), ("alt_text", 500)):
            if len(pin.get(field) or "") > most:
                return self.invalid(f"{field} is longer than {most} characters")
        pin_id = str(self.ID_BASE + 104_729 * (len(self.published) + 1))
        self.published[pin_id] = pin
        return httpx.Response(201, json=self.pin(pin_id, pin))

    @staticmethod
    def pin(pin_id: str, pin: dict) -> dict:
        """A pin as the v5 create-pin answer renders it."""
        image = {"width": 600, "height": 900, "url": f"https://i.pinimg.com/600x/fa/ke/{pin_id}.jpg"}
        return {
            "id": pin_id,
            "created_at": "2026-11-29T10:00:00",
            "link": pin.get("link"),
            "title": pin.get("title"),
            "description": pin.get("description"),
            "dominant_color": "#6E7874",
            "alt_text": pin.get("alt_text"),
            "creative_type": "REGULAR",
            "board_id": pin["board_id"],
            "board_section_id": pin.get("board_section_id"),
            "board_owner": {"username": "contentflow"},
            "is_owner": True,
            "media": {"media_type": "image", "images": {"600x": image}},
            "parent_pin_id": None,
            "is_standard": True,
            "has_been_promoted": False,
            "note": "",
            "pin_metrics": None,
        }

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.creates_post(request):
            return self.create_pin(request)
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

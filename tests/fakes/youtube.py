"""YouTube Data API v3 offline: `GET /youtube/v3/videos?part=statistics&id=...`, in its recorded shapes.

The transport stands in for httplib2.Http (google-api-python-client calls its `request`). A known
video answers its counts as strings of digits, as YouTube sends them; a metric left out of `known`
is a hidden count and is left out of `statistics`; an unknown id is simply not among the `items`.
A request whose `key` is not the fake's answers 400 "API key not valid", as YouTube does.

Publishing: Google's token endpoint (`POST https://oauth2.googleapis.com/token`, refresh-token grant;
a refresh token it does not know answers 400 invalid_grant) and the resumable upload of
`videos.insert`: the session starts with `POST /upload/youtube/v3/videos?uploadType=resumable` and the
metadata (answered 200 with the session's `Location`, or 400 invalidTitle/invalidDescription), then
each `PUT` of that location carries `Content-Range: bytes a-b/size` (non-final chunks a multiple of
256 KiB): 308 with `Range` until the last byte, whose request (`creates`) answers 200 with the video
resource. `errors` makes a step fail instead: "token", "start" or "chunk-<n>" (the n-th PUT, from 1)
→ an exception to raise or a status to answer (with `reason`, when given).

Comments (tests.fakes.comments): `GET /youtube/v3/commentThreads?part=snippet,replies&videoId=…&order=time`
with the API key answers the video's threads newest first, `maxResults` (or `comment_page`, when
smaller) a page, `nextPageToken` while more are left, each thread with every reply under it; a video
in `comments_disabled` answers 403 commentsDisabled, an unknown one 404 videoNotFound. It takes the
same failure switches as `videos.list`. `POST /youtube/v3/comments?part=snippet` (the request that
creates a reply, in `creates`) with the user's token takes `snippet.parentId` (a top-level comment) and
`snippet.textOriginal` and answers the new comment resource; `fail_create` fails it as it fails the
last chunk ("rejected": 400 operationNotSupported, `REPLY_REJECTION`), and `reply_scope=False` answers
403 insufficientPermissions (a refresh token without youtube.force-ssl).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httplib2

from tests.fakes import CREATE_STATUS, RETRY_AFTER
from tests.fakes.comments import ACCOUNT, CommentsFake

STATISTICS = {"views": "viewCount", "likes": "likeCount", "comments": "commentCount"}
REPLY_REJECTION = "The API user is not able to insert a comment in response to the parent comment."
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
# reason → (status when none is given, domain, message), as YouTube words them
REASONS = {
    "quotaExceeded": (
        403,
        "youtube.quota",
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    ),
    "dailyLimitExceeded": (403, "usageLimits", "Daily Limit Exceeded."),
    "rateLimitExceeded": (403, "usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": (403, "usageLimits", "User Rate Limit Exceeded"),
    "keyInvalid": (400, "usageLimits", "Bad Request"),
    "badRequest": (400, "global", "Invalid value for the id parameter."),
    "invalidTitle": (400, "youtube.video", "The request metadata specifies an invalid or empty video title."),
    "invalidDescription": (
        400,
        "youtube.video",
        "The request metadata specifies an invalid video description.",
    ),
    "uploadLimitExceeded": (
        400,
        "youtube.video",
        "The user has exceeded the number of videos they may upload.",
    ),
    "required": (401, "global", "Login Required."),
    "commentsDisabled": (
        403,
        "youtube.commentThread",
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">videoId'
        "</a></code> parameter has disabled comments.",
    ),
    "videoNotFound": (
        404,
        "youtube.commentThread",
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">videoId'
        "</a></code> parameter could not be found.",
    ),
    "parentCommentNotFound": (404, "youtube.comment", "The specified parent comment could not be found."),
    "commentTextRequired": (400, "youtube.comment", "The comment resource must contain a textOriginal."),
    "insufficientPermissions": (403, "global", "Request had insufficient authentication scopes."),
    "invalidPageToken": (400, "youtube.parameter", "The request specifies an invalid page token."),
    "forbidden": (403, "global", "The request is not properly authorized."),
    "notFound": (404, "global", "Not Found"),
    "backendError": (500, "global", "Backend Error"),
    "operationNotSupported": (400, "youtube.comment", REPLY_REJECTION),
}
DEFAULT_REASON = {
    400: "badRequest",
    401: "required",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}
KEY_NOT_VALID = "API key not valid. Please pass a valid API key."
TOKEN_URL = "https://oauth2.googleapis.com/token"
UPLOAD_PATH = "/upload/youtube/v3/videos"
REJECTION = "The video file is not a video the API can process."
CHANNEL = "UCfakeChannel0000000000a"  # the account's channel, which the videos belong to
CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+)")
QUANTUM = 256 * 1024  # resumable uploads take chunks of a multiple of this, but the last


def statistics(metrics: dict) -> dict[str, str]:
    """A video's `statistics` in YouTube's order; favorites are always "0" (deprecated); a metric
    that is not known is a hidden count, left out."""
    counts = {
        "viewCount": metrics.get("views"),
        "likeCount": metrics.get("likes"),
        "favoriteCount": 0,
        "commentCount": metrics.get("comments"),
    }
    return {key: str(value) for key, value in counts.items() if value is not None}


def _tag(*parts: object) -> str:
    """An etag-looking string, stable for the same input."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


class FakeHttp:
    """What the connector takes as its transport: httplib2.Http's `request`, answered by the fake."""

    def __init__(self, fake: YouTubeFake) -> None:
        self.fake = fake

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        if hasattr(body, "read"):  # a chunk of the upload, as googleapiclient streams it
            body = body.read()
        return self.fake.handle(uri, method, headers or {}, body)


class YouTubeFake(CommentsFake):
    METRICS: ClassVar[tuple[str, ...]] = tuple(STATISTICS)

    def __init__(
        self,
        known=None,
        *,
        status=None,
        retry_after=None,
        malformed=False,
        reason=None,
        body: bytes | None = None,
        error: BaseException | None = None,
        fail_create: str | None = None,
        errors: dict[str, BaseException | int] | None = None,
    ):
        """`body`: answer 200 with these bytes instead; `error`: raise it from the transport (a
        network failure). A `reason` without a `status` answers the reason's usual status. Publishing:
        `fail_create` (tests.fakes) fails the last chunk; `errors` fails another step (see above)."""
        self.known: dict[str, dict] = dict(known or {})
        for video, metrics in self.known.items():
            if set(metrics) - set(self.METRICS):
                raise ValueError(
                    f"youtube does not report {sorted(set(metrics) - set(self.METRICS))} ({video})"
                )
        self.status = status if status is not None or reason is None else REASONS[reason][0]
        self.retry_after = retry_after
        self.malformed = malformed
        self.reason = reason
        self.body = body
        self.error = error
        self.fail_create = fail_create
        self.errors = dict(errors or {})
        self.api_key = "-".join(("fake", "youtube", "api", "key"))  # built: no scanner alarm
        self.read_only_credentials = {"api_key": self.api_key}
        self.credentials = {
            **self.read_only_credentials,
            "client_id": "1234567890-contentflow.apps.googleusercontent.com",
            "client_secret": "-".join(("fake", "oauth", "client", "secret")),
            "refresh_token": "-".join(("1//fake", "refresh", "token")),
        }
        self.requests: list[dict] = []  # {"method", "url", "query", "headers"} of every request
        self.tokens_issued: list[str] = []
        self.sessions: dict[str, dict] = {}  # upload id → {"metadata", "size", "type", "received"}
        self.chunks: list[dict] = []  # every PUT: {"range", "size"}
        self.creates: list[dict] = []  # the PUTs carrying a file's last byte
        self.published: dict[str, dict] = {}  # video id → {"metadata", "content"}
        self.init_comments()
        self.comment_page = 100  # threads a page holds at most
        self.comments_disabled: set[str] = set()
        self.reply_scope = True  # the refresh token was granted youtube.force-ssl

    @classmethod
    def ids(cls, n: int) -> list[str]:
        """Valid 11-character video ids, the same for the same n."""
        return [
            base64.urlsafe_b64encode(hashlib.sha256(f"video-{i}".encode()).digest()).decode()[:11]
            for i in range(n)
        ]

    @property
    def api_calls(self) -> int:
        return len(self.requests)

    def transport(self) -> FakeHttp:
        return FakeHttp(self)

    def handle(self, uri: str, method: str, headers: dict, body=None) -> tuple[httplib2.Response, bytes]:
        url = urlsplit(uri)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.requests.append({"method": method, "url": uri, "query": query, "headers": headers})
        headers = {k.lower(): v for k, v in headers.items()}
        if uri == TOKEN_URL:
            return self.step("token", lambda: self.token(body))
        if url.path == UPLOAD_PATH:
            if method == "POST" and query.get("uploadType") == "resumable" and "upload_id" not in query:
                return self.step("start", lambda: self.start(query, headers, body))
            if method == "PUT" and query.get("upload_id") in self.sessions:
                return self.chunk(self.sessions[query["upload_id"]], headers, body or b"")
            return self.failure(404, "notFound")
        if method == "POST" and url.path == "/youtube/v3/comments":
            self.creates.append({"reply": body})
            return self.insert_comment(query, headers, body)
        if self.error is not None:
            raise self.error
        if self.status is not None:
            extra = {"retry-after": self.retry_after} if self.retry_after else {}
            return self.failure(
                self.status, self.reason or DEFAULT_REASON.get(self.status, "badRequest"), extra
            )
        if query.get("key") != self.api_key:
            return self.key_not_valid()
        if (
            method == "GET"
            and url.netloc == "youtube.googleapis.com"
            and url.path == "/youtube/v3/commentThreads"
        ):
            return self.comment_threads(query)
        if method != "GET" or url.netloc != "youtube.googleapis.com" or url.path != "/youtube/v3/videos":
            return self.failure(404, "notFound")
        if query.get("part") != "statistics" or not query.get("id"):
            return self.failure(400, "badRequest")
        if self.body is not None:
            return self.ok(self.body)
        text = json.dumps(self.videos(query["id"].split(",")))
        return self.ok(text[: len(text) // 2].encode() if self.malformed else text.encode())

    # --- comments ------------------------------------------------------------------------------------

    def comment_id(self, number: int, parent: dict | None) -> str:
        digest = base64.urlsafe_b64encode(hashlib.sha256(f"comment-{number}".encode()).digest()).decode()
        if parent:
            return f"{parent['id']}.{digest[:11]}_{digest[11:21]}"
        return f"Ugz{digest[:19]}4AaABAg"

    def comment_threads(self, query: dict) -> tuple[httplib2.Response, bytes]:
        video = query.get("videoId", "")
        if "snippet" not in query.get("part", "").split(",") or query.get("order") != "time":
            return self.failure(400, "badRequest")
        if video in self.comments_disabled:
            return self.failure(403, "commentsDisabled")
        if video not in self.comments and video not in self.known:
            return self.failure(404, "videoNotFound")
        size = min(int(query.get("maxResults", "20")), self.comment_page)
        try:
            start = (
                int(base64.urlsafe_b64decode(query["pageToken"]).decode()) if query.get("pageToken") else 0
            )
        except ValueError:
            return self.failure(400, "invalidPageToken")
        threads = self.newest_first(video)
        items = [self.thread(video, comment) for comment in threads[start : start + size]]
        answer = {
            "kind": "youtube#commentThreadListResponse",
            "etag": _tag(video, start, len(threads)),
            "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
            "items": items,
        }
        if start + size < len(threads):
            answer["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        if self.body is not None:
            return self.ok(self.body)
        text = json.dumps(answer)
        return self.ok(text[: len(text) // 2].encode() if self.malformed else text.encode())

    def thread(self, video: str, top: dict) -> dict:
        replies = sorted(self.newest_first(video, top["id"]), key=lambda c: c["at"])
        thread = {
            "kind": "youtube#commentThread",
            "etag": _tag(top["id"], len(replies)),
            "id": top["id"],
            "snippet": {
                "channelId": CHANNEL,
                "videoId": video,
                "topLevelComment": self.comment_resource(top),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            },
        }
        if replies:
            thread["replies"] = {"comments": [self.comment_resource(reply) for reply in replies]}
        return thread

    def comment_resource(self, comment: dict, original: bool = False) -> dict:
        """A comment as YouTube renders it; `textOriginal` only for its author (the account)."""
        at = comment["at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        own = comment["author"] == ACCOUNT
        channel = CHANNEL if own else f"UC{_tag(comment['author'])[:22]}"
        snippet = {
            "channelId": CHANNEL,
            "videoId": comment["post"],
            "textDisplay": comment["text"],
            **({"textOriginal": comment["text"]} if original else {}),
            **({"parentId": comment["parent"]} if comment["parent"] else {}),
            "authorDisplayName": f"@{comment['author']}",
            "authorProfileImageUrl": f"https://yt3.ggpht.com/{channel}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{comment['author']}",
            "authorChannelId": {"value": channel},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": comment["likes"],
            "publishedAt": at,
            "updatedAt": at,
        }
        return {
            "kind": "youtube#comment",
            "etag": _tag(comment["id"]),
            "id": comment["id"],
            "snippet": snippet,
        }

    def insert_comment(self, query: dict, headers: dict, body) -> tuple[httplib2.Response, bytes]:
        """comments.insert: a reply under a top-level comment, by the user whose token it carries."""
        failure = self.fail_create
        if failure == "connect_error":
            raise ConnectionRefusedError(111, "Connection refused")
        if failure == "rejected":
            return self.failure(400, "operationNotSupported")
        if failure in CREATE_STATUS:
            extra = {"retry-after": RETRY_AFTER} if failure == "rate_limited" else {}
            status = CREATE_STATUS[failure]
            return self.failure(status, DEFAULT_REASON.get(status, "badRequest"), extra)
        if not self.authorised({k.lower(): v for k, v in headers.items()}):
            return self.failure(401, "required")
        if not self.reply_scope:
            return self.failure(403, "insufficientPermissions")
        if query.get("part") != "snippet" or "key" in query:
            return self.failure(400, "badRequest")
        snippet = json.loads(body).get("snippet", {})
        parent = self.find_comment(snippet.get("parentId"))
        if parent is None or parent["parent"]:
            return self.failure(404, "parentCommentNotFound")
        if not snippet.get("textOriginal"):
            return self.failure(400, "commentTextRequired")
        reply = self.reply_made(parent["id"], snippet["textOriginal"])
        if failure == "read_timeout":  # made; the answer never arrives
            raise TimeoutError("timed out")
        text = json.dumps(self.comment_resource(reply, original=True))
        return self.ok((text[: len(text) // 2] if failure == "malformed" else text).encode())

    # --- publishing ----------------------------------------------------------------------------------

    def step(self, name: str, answer) -> tuple[httplib2.Response, bytes]:
        failure = self.errors.get(name)
        if isinstance(failure, BaseException):
            raise failure
        if isinstance(failure, int):
            return self.failure(failure, self.reason or DEFAULT_REASON.get(failure, "badRequest"))
        return answer()

    def token(self, body) -> tuple[httplib2.Response, bytes]:
        form = {
            k: v[-1] for k, v in parse_qs(body.decode() if isinstance(body, bytes) else body or "").items()
        }
        expected = {k: self.credentials[k] for k in ("client_id", "client_secret", "refresh_token")}
        if form.get("grant_type") != "refresh_token" or {k: form.get(k) for k in expected} != expected:
            error = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            return httplib2.Response({"status": "400", "content-type": "application/json"}), json.dumps(
                error
            ).encode()
        token = f"ya29.fake-access-token-{len(self.tokens_issued) + 1}"
        self.tokens_issued.append(token)
        answer = {
            "access_token": token,
            "expires_in": 3599,
            "scope": "https://www.googleapis.com/auth/youtube.upload",
            "token_type": "Bearer",
        }
        return self.ok(json.dumps(answer).encode())

    def authorised(self, headers: dict) -> bool:
        return bool(self.tokens_issued) and headers.get("authorization") == f"Bearer {self.tokens_issued[-1]}"

    def start(self, query: dict, headers: dict, body) -> tuple[httplib2.Response, bytes]:
        """The session of a resumable upload, from the video's metadata."""
        if not self.authorised(headers):
            return self.failure(401, "required")
        metadata = json.loads(body)
        snippet, status = metadata.get("snippet", {}), metadata.get("status", {})
        title, description = snippet.get("title") or "", snippet.get("description") or ""
        if not title or len(title) > 100 or set(title) & set("<>"):
            return self.failure(400, "invalidTitle")
        if len(description.encode()) > 5000 or set(description) & set("<>"):
            return self.failure(400, "invalidDescription")
        if status.get("privacyStatus") not in ("public", "private", "unlisted"):
            return self.failure(400, "badRequest")
        upload_id = f"ADPycdv{len(self.sessions) + 1:04d}fakeUploadSession"
        self.sessions[upload_id] = {
            "metadata": metadata,
            "size": int(headers["x-upload-content-length"]),
            "type": headers["x-upload-content-type"],
            "received": b"",
            "part": query.get("part"),
        }
        location = f"https://youtube.googleapis.com{UPLOAD_PATH}?" + urlencode(
            {"part": query.get("part"), "alt": "json", "uploadType": "resumable", "upload_id": upload_id}
        )
        return httplib2.Response({"status": "200", "location": location, "content-length": "0"}), b""

    def chunk(self, session: dict, headers: dict, body: bytes) -> tuple[httplib2.Response, bytes]:
        """One PUT of the upload: bytes a-b of size; the one carrying the last byte makes the video."""
        found = CONTENT_RANGE.fullmatch(headers.get("content-range", ""))
        if not found or int(found.group(3)) != session["size"]:
            return self.failure(400, "badRequest")
        if found.group(1) is None:  # a status query: how much arrived
            return self.progress(session)
        first, last = int(found.group(1)), int(found.group(2))
        self.chunks.append({"range": (first, last), "size": session["size"]})
        final = last == session["size"] - 1
        if final:
            self.creates.append({"range": (first, last), "size": session["size"]})
        failure = self.errors.get(f"chunk-{len(self.chunks)}")
        if final and self.fail_create:
            failure = self.fail_create
        if failure == "connect_error":
            raise ConnectionRefusedError(111, "Connection refused")
        if isinstance(failure, BaseException):
            raise failure
        if isinstance(failure, int) or failure in CREATE_STATUS:
            status = failure if isinstance(failure, int) else CREATE_STATUS[failure]
            if failure == "rejected":
                return self.error_response(
                    400,
                    {
                        "code": 400,
                        "message": REJECTION,
                        "errors": [{"reason": "failedPrecondition", "message": REJECTION}],
                    },
                )
            extra = {"retry-after": RETRY_AFTER} if failure == "rate_limited" else {}
            return self.failure(status, DEFAULT_REASON.get(status, "badRequest"), extra)
        if first != len(session["received"]) or len(body) != last - first + 1:
            return self.failure(400, "badRequest")
        if not final and len(body) % QUANTUM:
            return self.failure(400, "badRequest")
        session["received"] += body
        if not final:
            return self.progress(session)
        video = self.video_resource(session)
        self.published[video["id"]] = {"metadata": session["metadata"], "content": session["received"]}
        if failure == "read_timeout":  # uploaded and created; the answer never arrives
            raise TimeoutError("timed out")
        text = json.dumps(video)
        return self.ok((text[: len(text) // 2] if failure == "malformed" else text).encode())

    @staticmethod
    def progress(session: dict) -> tuple[httplib2.Response, bytes]:
        received = len(session["received"])
        if received == session["size"]:
            return YouTubeFake.ok(b"{}")
        info = {"status": "308", "content-length": "0"}
        if received:
            info["range"] = f"bytes=0-{received - 1}"
        return httplib2.Response(info), b""

    def video_resource(self, session: dict) -> dict:
        video_id = self.ids(len(self.published) + 100)[-1]
        snippet = session["metadata"]["snippet"]
        return {
            "kind": "youtube#video",
            "etag": _tag(video_id),
            "id": video_id,
            "snippet": {
                "publishedAt": "2026-11-29T10:00:00Z",
                "channelId": "UCfakeChannel0000000000a",
                "title": snippet["title"],
                "description": snippet.get("description", ""),
                "thumbnails": {"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg"}},
                "channelTitle": "ContentFlow",
                "categoryId": snippet.get("categoryId", "22"),
                "liveBroadcastContent": "none",
                "localized": {"title": snippet["title"], "description": snippet.get("description", "")},
            },
            "status": {
                "uploadStatus": "uploaded",
                "privacyStatus": session["metadata"]["status"]["privacyStatus"],
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "selfDeclaredMadeForKids": session["metadata"]["status"].get(
                    "selfDeclaredMadeForKids", False
                ),
            },
        }

    def videos(self, ids: list[str]) -> dict:
        items = [
            {
                "kind": "youtube#video",
                "etag": _tag(video, sorted(self.known[video].items())),
                "id": video,
                "statistics": statistics(self.known[video]),
            }
            for video in ids
            if video in self.known
        ]
        return {
            "kind": "youtube#videoListResponse",
            "etag": _tag(*ids),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    @staticmethod
    def ok(content: bytes) -> tuple[httplib2.Response, bytes]:
        return httplib2.Response(
            {
                "status": "200",
                "content-type": "application/json; charset=UTF-8",
                "content-length": str(len(content)),
            }
        ), content

    @staticmethod
    def failure(status: int, reason: str, headers: dict | None = None) -> tuple[httplib2.Response, bytes]:
        _, domain, message = REASONS.get(reason, (status, "global", f"HTTP {status}"))
        error = {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
        return YouTubeFake.error_response(status, error, headers)

    @staticmethod
    def key_not_valid() -> tuple[httplib2.Response, bytes]:
        """Today's answer to a wrong key: reason badRequest, with the ErrorInfo saying which key problem."""
        error = {
            "code": 400,
            "message": KEY_NOT_VALID,
            "errors": [{"message": KEY_NOT_VALID, "domain": "global", "reason": "badRequest"}],
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "youtube.googleapis.com"},
                }
            ],
        }
        return YouTubeFake.error_response(400, error)

    @staticmethod
    def error_response(
        status: int, error: dict, headers: dict | None = None
    ) -> tuple[httplib2.Response, bytes]:
        content = json.dumps({"error": error}, indent=2).encode()
        info = {"status": str(status), "content-type": "application/json; charset=UTF-8"} | (headers or {})
        return httplib2.Response(info), content


FAKE = YouTubeFake

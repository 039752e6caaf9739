"""Reddit's API offline, in its recorded shapes, as a `requests.Session` with a mounted adapter.

It answers the application-only token request (`POST https://www.reddit.com/api/v1/access_token`,
checked against the app's id and secret, not counted as a statistics call) and
`GET https://oauth.reddit.com/api/info?id=t3_…`, which lists the known submissions among those asked
for (`likes` is rendered as the score, so a negative value is a downvoted post) with Reddit's
`x-ratelimit-remaining/used/reset` headers. A request with another bearer token answers 401 with the
`www-authenticate` header Reddit sends.

Publishing: the password grant of a script app (`grant_type=password` with the account's username and
password; a wrong password answers 200 `{"error": "invalid_grant"}` as Reddit does) and
`POST https://oauth.reddit.com/api/submit/` (form: api_type=json, sr, kind self|link, title, text|url,
flair_id…), which answers `{"json": {"errors": [], "data": {"url", "drafts_count", "id", "name"}}}`, or
Reddit's `json.errors` triples with HTTP 200 for an unknown subreddit, a missing flair or `submit_errors`.

Comments (tests.fakes.comments): `GET https://oauth.reddit.com/comments/<id>/?sort=new&limit=…` answers
`[the submission's Listing, the comments' Listing]`, the tree nested in each comment's `replies` (""
when it has none), newest first at every level; past `limit` (or `comment_page`, when smaller)
comments, the rest at that level become one "more" stub, as Reddit renders them; a deleted comment keeps its place as "[deleted]"; an
unknown submission answers 404. It counts in `requests` and takes the same failure switches as
/api/info. `POST https://oauth.reddit.com/api/comment/` (form: thing_id, text, api_type=json; the
request that creates a reply, in `creates`) answers `{"json": {"errors": [], "data": {"things":
[{"kind": "t1", "data": …}]}}}` by the user whose token it carries, `fail_create` failing it as it
fails a submission ("rejected": Reddit's 400 for a comment that cannot be answered, `REPLY_REJECTION`).
"""

from __future__ import annotations

import base64
import json
import re
from http import HTTPStatus
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import MaxRetryError, NewConnectionError

from tests.fakes import CREATE_STATUS, RETRY_AFTER
from tests.fakes.comments import CommentsFake

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
INFO_URL = "https://oauth.reddit.com/api/info"
SUBMIT_URL = "https://oauth.reddit.com/api/submit"
COMMENT_URL = "https://oauth.reddit.com/api/comment"
COMMENTS_PATH = re.compile(r"/comments/([0-9a-z]+)/?")
REJECTION = "that subreddit doesn't exist"
REPLY_REJECTION = "that comment is archived and can't be replied to"
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = ALPHABET[digit] + digits
    return digits or "0"


class FakeAdapter(BaseAdapter):
    """Every request of the session goes to the fake."""

    def __init__(self, fake: RedditFake) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        status, headers, content = self.fake.handle(request)
        response = requests.Response()
        response.status_code = status
        response.reason = HTTPStatus(status).phrase
        response.headers = CaseInsensitiveDict({"content-length": str(len(content)), **headers})
        response._content = content
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass


class RedditFake(CommentsFake):
    METRICS: ClassVar[tuple[str, ...]] = ("likes", "comments")

    def __init__(
        self,
        known=None,
        *,
        status=None,
        retry_after=None,
        malformed=False,
        reason=None,
        token_status: int | None = None,
        ratelimit: tuple[float, int, int] = (996.0, 4, 312),
        removed: dict[str, str] | None = None,
        body: bytes | None = None,
        error: BaseException | None = None,
        fail_create: str | None = None,
        subreddits: tuple[str, ...] = ("test", "BuyItForLife"),
        flair_required: tuple[str, ...] = (),
        submit_errors: list[list[str]] | None = None,
    ):
        """`status`/`reason`: the answer of /api/info (`reason` goes in the error body); `token_status`:
        the token endpoint's; `ratelimit`: the (remaining, used, reset seconds) headers; `removed`:
        fullname → removed_by_category; `body`: answer 200 with these bytes; `error`: raise it from
        the adapter for /api/info (a network failure). Publishing: `fail_create` (tests.fakes),
        the `subreddits` that exist, those whose posts need a flair, and `json.errors` triples to
        answer a submission with instead (e.g. RATELIMIT)."""
        self.known: dict[str, dict] = dict(known or {})
        for name, metrics in self.known.items():
            if set(metrics) - set(self.METRICS):
                raise ValueError(
                    f"reddit does not report {sorted(set(metrics) - set(self.METRICS))} ({name})"
                )
        self.status = status
        self.retry_after = retry_after
        self.malformed = malformed
        self.reason = reason
        self.token_status = token_status
        self.ratelimit = ratelimit
        self.removed = dict(removed or {})
        self.body = body
        self.error = error
        self.fail_create = fail_create
        self.subreddits = subreddits
        self.flair_required = flair_required
        self.submit_errors = submit_errors
        self.read_only_credentials = {
            "client_id": "p-jcoLKBynTLew",
            "client_secret": "-".join(("fake", "reddit", "client", "secret")),  # built: no scanner alarm
            "user_agent": "linux:contentflow.tests:v1.0 (by /u/contentflow)",
        }
        self.credentials = {
            **self.read_only_credentials,
            "username": "contentflow",
            "password": "-".join(("fake", "reddit", "password")),
        }
        self.tokens_issued: list[str] = []
        self.user_tokens: set[str] = set()
        self.token_requests: list[requests.PreparedRequest] = []
        self.requests: list[requests.PreparedRequest] = []  # statistics requests only
        self.creates: list[requests.PreparedRequest] = []  # submissions
        self.published: dict[str, dict] = {}  # fullname → what was submitted
        self.init_comments()
        self.comment_page = 500  # comments a /comments answer renders at most

    @classmethod
    def ids(cls, n: int) -> list[str]:
        """Submission fullnames, the same for the same n."""
        return [f"t3_{base36(2_147_483_647 + 7919 * i)}" for i in range(n)]

    @property
    def api_calls(self) -> int:
        return len(self.requests)

    def transport(self) -> requests.Session:
        session = requests.Session()
        session.mount("https://", FakeAdapter(self))
        session.mount("http://", FakeAdapter(self))
        return session

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict, bytes]:
        url = urlsplit(request.url)
        if request.method == "POST" and request.url == TOKEN_URL:
            self.token_requests.append(request)
            return self.token(request)
        if url.netloc != "oauth.reddit.com":
            return 404, {}, json.dumps({"message": "Not Found", "error": 404}).encode()
        if request.method == "POST" and f"{url.scheme}://{url.netloc}{url.path}".rstrip("/") == SUBMIT_URL:
            self.creates.append(request)
            return self.submit(request)
        if request.method == "POST" and f"{url.scheme}://{url.netloc}{url.path}".rstrip("/") == COMMENT_URL:
            self.creates.append(request)
            return self.comment(request)
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        limits = {
            "x-ratelimit-remaining": f"{self.ratelimit[0]:.1f}",
            "x-ratelimit-used": str(self.ratelimit[1]),
            "x-ratelimit-reset": str(self.ratelimit[2]),
        }
        if self.status is not None:
            return self.failure(self.status, limits)
        if request.headers.get("Authorization", "").removeprefix("bearer ") not in self.tokens_issued:
            return self.failure(401, limits)
        query = parse_qs(url.query)
        thread = COMMENTS_PATH.fullmatch(url.path)
        if request.method == "GET" and thread:
            submission = f"t3_{thread.group(1)}"
            if submission not in self.comments and submission not in self.known:
                return 404, limits, json.dumps({"message": "Not Found", "error": 404}).encode()
            limit = min(int(query.get("limit", ["200"])[-1]), self.comment_page)
            answer = self.comment_listing(submission, query.get("sort", ["confidence"])[-1], limit)
        elif request.method == "GET" and f"{url.scheme}://{url.netloc}{url.path}".rstrip("/") == INFO_URL:
            answer = self.listing(query.get("id", [""])[-1].split(","))
        else:
            return 404, limits, json.dumps({"message": "Not Found", "error": 404}).encode()
        json_headers = {"content-type": "application/json; charset=UTF-8", **limits}
        if self.body is not None:
            return 200, json_headers, self.body
        text = json.dumps(answer)
        return 200, json_headers, (text[: len(text) // 2] if self.malformed else text).encode()

    def token(self, request: requests.PreparedRequest) -> tuple[int, dict, bytes]:
        if self.token_status is not None:
            body = {"message": HTTPStatus(self.token_status).phrase, "error": self.token_status}
            return self.token_status, {"content-type": "application/json"}, json.dumps(body).encode()
        basic = base64.b64encode(
            f"{self.credentials['client_id']}:{self.credentials['client_secret']}".encode()
        ).decode()
        if request.headers.get("Authorization") != f"Basic {basic}":
            return 401, {"content-type": "application/json"}, b'{"message": "Unauthorized", "error": 401}'
        form = parse_qs(request.body or "")
        grant = form.get("grant_type", [""])[0]
        if grant == "password":
            user = (form.get("username", [""])[0], form.get("password", [""])[0])
            if user != (self.credentials["username"], self.credentials["password"]):
                return 200, {"content-type": "application/json"}, b'{"error": "invalid_grant"}'
        elif grant != "client_credentials":
            return 200, {"content-type": "application/json"}, b'{"error": "unsupported_grant_type"}'
        token = f"eyJhbGciOiJSUzI1NiIs.test-token-{len(self.tokens_issued) + 1}"
        self.tokens_issued.append(token)
        if grant == "password":
            self.user_tokens.add(token)
        body = {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        return 200, {"content-type": "application/json; charset=UTF-8"}, json.dumps(body).encode()

    def failure(self, status: int, limits: dict, retry_after: str | None = None) -> tuple[int, dict, bytes]:
        headers = {"content-type": "application/json; charset=UTF-8", **limits}
        if retry_after or self.retry_after:
            headers["retry-after"] = retry_after or self.retry_after
        if status == 401:
            headers["www-authenticate"] = 'Bearer realm="reddit", error="invalid_token"'
        body = {"message": HTTPStatus(status).phrase, "error": status}
        if self.reason is not None:
            body["reason"] = self.reason
        return status, headers, json.dumps(body).encode()

    def create_failure(
        self, request: requests.PreparedRequest, refusal: dict
    ) -> tuple[int, dict, bytes] | None:
        """How `fail_create` answers a request that creates (a submission, a comment): before it was
        made; None when it lets the request through."""
        limits = {"x-ratelimit-remaining": "99.0", "x-ratelimit-used": "1", "x-ratelimit-reset": "60"}
        failure = self.fail_create
        if failure == "connect_error":
            refused = NewConnectionError(
                None, "Failed to establish a new connection: [Errno 111] Connection refused"
            )
            raise requests.exceptions.ConnectionError(
                MaxRetryError(None, request.url, refused), request=request
            )
        if failure == "rejected":
            return (
                400,
                {"content-type": "application/json; charset=UTF-8", **limits},
                json.dumps(refusal).encode(),
            )
        if failure in CREATE_STATUS:
            return self.failure(
                CREATE_STATUS[failure], limits, RETRY_AFTER if failure == "rate_limited" else None
            )
        authorization = request.headers.get("Authorization", "").removeprefix("bearer ")
        if authorization not in self.tokens_issued:
            return self.failure(401, limits)
        if authorization not in self.user_tokens:
            return (
                403,
                {"content-type": "application/json; charset=UTF-8", **limits},
                b'{"message": "Forbidden", "error": 403}',
            )
        return None

    def created(self, answer: dict) -> tuple[int, dict, bytes]:
        """The answer to a request that made something, as `fail_create` lets it arrive."""
        limits = {"x-ratelimit-remaining": "99.0", "x-ratelimit-used": "1", "x-ratelimit-reset": "60"}
        text = json.dumps(answer)
        if self.fail_create == "read_timeout":  # made; the answer never arrives
            raise requests.exceptions.ReadTimeout(
                "HTTPSConnectionPool(host='oauth.reddit.com', port=443): Read timed out."
            )
        body = text[: len(text) // 2] if self.fail_create == "malformed" else text
        return 200, {"content-type": "application/json; charset=UTF-8", **limits}, body.encode()

    def submit(self, request: requests.PreparedRequest) -> tuple[int, dict, bytes]:
        """POST /api/submit/: a self or link post by the user whose token it carries."""
        limits = {"x-ratelimit-remaining": "99.0", "x-ratelimit-used": "1", "x-ratelimit-reset": "60"}
        json_headers = {"content-type": "application/json; charset=UTF-8", **limits}
        refusal = {
            "fields": ["sr"],
            "explanation": REJECTION,
            "message": "Bad Request",
            "reason": "SUBREDDIT_NOEXIST",
        }
        failed = self.create_failure(request, refusal)
        if failed:
            return failed
        form = {k: v[-1] for k, v in parse_qs(request.body or "").items()}
        if form.get("api_type") != "json" or form.get("kind") not in ("self", "link"):
            return 400, json_headers, b'{"message": "Bad Request", "error": 400}'
        errors = self.submit_errors or self.refusals(form)
        if errors:
            return 200, json_headers, json.dumps({"json": {"errors": errors}}).encode()
        number = 2_147_483_647 + 104_729 * (len(self.published) + 1)
        post_id = base36(number)
        self.published[f"t3_{post_id}"] = form
        slug = "_".join(form["title"].lower().split())[:40]
        data = {
            "url": f"https://www.reddit.com/r/{form['sr']}/comments/{post_id}/{slug}/",
            "drafts_count": 0,
            "id": post_id,
            "name": f"t3_{post_id}",
        }
        return self.created({"json": {"errors": [], "data": data}})

    def comment(self, request: requests.PreparedRequest) -> tuple[int, dict, bytes]:
        """POST /api/comment/: a reply under `thing_id` by the user whose token it carries."""
        refusal = {
            "fields": ["parent"],
            "explanation": REPLY_REJECTION,
            "message": "Bad Request",
            "reason": "TOO_OLD",
        }
        failed = self.create_failure(request, refusal)
        if failed:
            return failed
        form = {k: v[-1] for k, v in parse_qs(request.body or "").items()}
        parent = self.find_comment(form.get("thing_id"))
        if form.get("api_type") != "json" or not form.get("text"):
            return 400, {"content-type": "application/json"}, b'{"message": "Bad Request", "error": 400}'
        if parent is None or parent["deleted"]:
            errors = [["DELETED_COMMENT", "that comment has been deleted", "parent"]]
            return (
                200,
                {"content-type": "application/json"},
                json.dumps({"json": {"errors": errors}}).encode(),
            )
        reply = self.reply_made(parent["id"], form["text"])
        things = [{"kind": "t1", "data": self.comment_data(reply, [])}]
        return self.created({"json": {"errors": [], "data": {"things": things}}})

    def comment_id(self, number: int, parent: dict | None) -> str:
        return f"t1_{base36(1_000_000_000 + 104_729 * number)}"

    def comment_listing(self, submission: str, sort: str, limit: int) -> list:
        """What /comments/<id> answers: the submission, then its comment tree (newest first with
        sort=new), at most `limit` comments, the top-level ones past it left in a "more" stub."""
        if sort != "new":
            raise AssertionError(f"the connector asked for sort={sort}, not new")
        rendered = 0

        def tree(parent: str | None, depth: int) -> list[dict]:
            nonlocal rendered
            children = []
            for comment in self.newest_first(submission, parent):
                if rendered >= limit:
                    left = [c["id"].removeprefix("t1_") for c in self.newest_first(submission, parent)]
                    children.append(more(left[len(children) :], parent or submission, depth))
                    break
                rendered += 1
                children.append(
                    {"kind": "t1", "data": self.comment_data(comment, tree(comment["id"], depth + 1), depth)}
                )
            return children

        def more(ids: list[str], parent: str, depth: int) -> dict:
            data = {
                "count": len(ids),
                "name": f"t1_{ids[0]}",
                "id": ids[0],
                "parent_id": parent,
                "depth": depth,
                "children": ids,
            }
            return {"kind": "more", "data": data}

        known = self.known.get(submission) or {"likes": 1, "comments": len(self.comments.get(submission, []))}
        head = {
            **self.submission_data(submission, known),
            "num_comments": len(self.comments.get(submission, [])),
        }
        return [listing([{"kind": "t3", "data": head}]), listing(tree(None, 0))]

    def comment_data(self, comment: dict, replies: list[dict], depth: int = 0) -> dict:
        """A comment (t1) as Reddit renders it: the fields that matter, and some that do not."""
        deleted = comment["deleted"]
        parent = comment["parent"] or comment["post"]
        return {
            "subreddit_id": "t5_2ss1q",
            "likes": None,
            "replies": listing(replies) if replies else "",
            "id": comment["id"].removeprefix("t1_"),
            "author": "[deleted]" if deleted else comment["author"],
            "author_fullname": None if deleted else f"t2_{base36(7919 * sum(map(ord, comment['author'])))}",
            "parent_id": parent,
            "score": comment["likes"],
            "body": "[deleted]" if deleted else comment["text"],
            "body_html": '<div class="md"><p>…</p></div>',
            "link_id": comment["post"],
            "name": comment["id"],
            "created_utc": comment["at"].timestamp(),
            "created": comment["at"].timestamp(),
            "depth": depth,
            "permalink": f"/r/BuyItForLife/comments/{comment['post'][3:]}/test/{comment['id'][3:]}/",
            "stickied": False,
            "edited": False,
        }

    def refusals(self, form: dict) -> list[list[str]]:
        """Reddit's json.errors triples (type, message, field) for a submission it will not take."""
        if form.get("sr") not in self.subreddits:
            return [["SUBREDDIT_NOEXIST", REJECTION, "sr"]]
        if not 1 <= len(form.get("title", "")) <= 300:
            return [["TOO_LONG" if form.get("title") else "NO_TEXT", "this is too long (max: 300)", "title"]]
        if form["kind"] == "link" and not form.get("url", "").startswith(("https://", "http://")):
            return [["BAD_URL", "you should check that url", "url"]]
        if form["sr"] in self.flair_required and not form.get("flair_id"):
            return [["SUBMIT_VALIDATION_FLAIR_REQUIRED", "Your post must contain post flair.", "flair"]]
        return []

    def listing(self, fullnames: list[str]) -> dict:
        children = [{"kind": "t3", "data": self.submission(name)} for name in fullnames if name in self.known]
        return {
            "kind": "Listing",
            "data": {
                "after": None,
                "dist": len(children),
                "modhash": None,
                "geo_filter": "",
                "children": children,
                "before": None,
            },
        }

    def submission(self, name: str) -> dict:
        """A link submission as /api/info renders it (the fields that matter, and some that do not)."""
        return self.submission_data(name, self.known[name])

    def submission_data(self, name: str, metrics: dict) -> dict:
        score = metrics.get("likes", 1)
        ratio = 1.0 if score >= 0 else 0.33
        return {
            "subreddit": "BuyItForLife",
            "selftext": "",
            "author_fullname": "t2_1w72",
            "title": f"Test submission {name}",
            "subreddit_name_prefixed": "r/BuyItForLife",
            "downs": 0,
            "name": name,
            "upvote_ratio": ratio,
            "ups": score,
            "score": score,
            "hide_score": False,
            "num_comments": metrics.get("comments", 0),
            "removed_by_category": self.removed.get(name),
            "id": name.removeprefix("t3_"),
            "author": "[deleted]" if self.removed.get(name) == "deleted" else "contentflow",
            "permalink": f"/r/BuyItForLife/comments/{name.removeprefix('t3_')}/test_submission/",
            "url": "https://shop.example.com/p/42",
            "created_utc": 1763632800.0,
            "over_18": False,
            "stickied": False,
        }


def listing(children: list[dict]) -> dict:
    return {
        "kind": "Listing",
        "data": {
            "after": None,
            "dist": None,
            "modhash": None,
            "geo_filter": "",
            "children": children,
            "before": None,
        },
    }


FAKE = RedditFake

"""`make load`: a bounded load on `contentflow dev`, then proof that every redirect was counted once.

A fixed duration of short-link traffic over loopback, mixed as it arrives in production: people's
browsers (new visitors without the `cf_sid` cookie, returning ones with it), crawlers and link
previews (some probing with HEAD), several platforms, and a few unknown codes. It prints requests/s,
p50/p99 latency and errors; then it waits for the clicks stream to be aggregated and reads the
revenue report with the admin key: the clicks counted (human + bot) must equal the redirects that
answered 302. Exit status 1 if a click was lost or counted twice, or a request failed.

    python -m bench.load [--duration 20] [--workers 4] [--url URL --key KEY]

Without `--url` it starts its own `contentflow dev` on a free loopback port and stops it after.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

HUMANS = (  # {v} varies the build, so that new visitors are new sessions (same loopback address)
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.{v}.86 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.{v} "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 356.0.0.{v} (iPhone15,3; iOS 18_1; en_US)",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.{v}.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.{v}",
)
BOTS = (
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Twitterbot/1.0",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "curl/8.5.0",
    "python-requests/2.32.3",
)
PLATFORMS = ("reddit", "youtube", "pinterest", "instagram", "tiktok", "x", None, "myspace")
MIX = {"human": 0.70, "bot": 0.27, "unknown_code": 0.03}  # of requests; humans: half are returning
RETURNING = 0.5
HEAD_SHARE = 0.3  # of bots: link previews probe with HEAD
LINKS = 20


@dataclass
class Tally:
    """What the load generator saw; merged from every worker."""

    requests: int = 0
    redirects: Counter = field(default_factory=Counter)  # 302s by kind: human-new, human-returning, bot
    not_found: int = 0  # unknown codes: 404 expected, no click
    errors: Counter = field(default_factory=Counter)  # unexpected statuses and transport failures
    unknown_outcome: int = 0  # no answer: the server may or may not have stored a click
    latencies_s: list[float] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.redirects.update(other.redirects)
        self.not_found += other.not_found
        self.errors.update(other.errors)
        self.unknown_outcome += other.unknown_outcome
        self.latencies_s += other.latencies_s


@dataclass(frozen=True)
class Verdict:
    """The report against the 302s. A request that got no answer may have stored its click, so it
    can excuse one extra count, never a missing one."""

    expected: int  # redirects answered 302
    counted: int  # clicks + bot_clicks in the revenue report, added by this run
    human: int
    bot: int
    unique: int
    waited_s: float
    lost: int
    duplicated: int

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


@dataclass(frozen=True)
class Result:
    tally: Tally
    elapsed_s: float
    verdict: Verdict

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.tally.errors and not self.tally.unknown_outcome

    def percentile_ms(self, q: int) -> float:
        latencies = sorted(self.tally.latencies_s)
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, round(q / 100 * (len(latencies) - 1)))] * 1000


def _no_cookies() -> http.cookiejar.CookieJar:
    """Workers handle `cf_sid` themselves (and a Secure cookie is never sent over http anyway)."""
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _create_links(api: httpx.Client) -> list[str]:
    codes = []
    for i in range(LINKS):
        body = {"affiliate_url": f"https://shop.example.com/p/{i}?ref=load", "utm": {"campaign": "load"}}
        if i % 2:
            body["epc_override_eur"] = 0.35
        response = api.post("/api/links", json=body)
        response.raise_for_status()
        codes.append(response.json()["code"])
    return codes


def _counted(api: httpx.Client, first_day: str) -> dict[str, int]:
    response = api.get("/api/reports/revenue", params={"from": first_day, "to": _today()})
    response.raise_for_status()
    totals = response.json()["totals"]
    return {name: int(totals[name]) for name in ("clicks", "bot_clicks", "unique_clicks")}


def _worker(url: str, codes: list[str], deadline: float, seed: int, tally: Tally) -> None:
    """Requests until the deadline, one at a time, as visitors of every kind."""
    rng = random.Random(seed)
    visitors: list[tuple[str, str]] = []  # (user agent, cf_sid) of people seen before
    with httpx.Client(base_url=url, follow_redirects=False, timeout=10, cookies=_no_cookies()) as client:
        while time.monotonic() < deadline:
            roll, method, headers, kind = rng.random(), "GET", {}, "bot"
            code = rng.choice(codes)
            if roll < MIX["human"]:
                if visitors and rng.random() < RETURNING:
                    agent, session = rng.choice(visitors)
                    headers = {"User-Agent": agent, "Cookie": f"cf_sid={session}"}
                    kind = "human-returning"
                else:
                    headers = {"User-Agent": rng.choice(HUMANS).format(v=rng.randrange(10_000))}
                    kind = "human-new"
            elif roll < MIX["human"] + MIX["bot"]:
                headers = {"User-Agent": rng.choice(BOTS)}
                method = "HEAD" if rng.random() < HEAD_SHARE else "GET"
            else:
                headers, code, kind = {"User-Agent": rng.choice(HUMANS).format(v=1)}, "zz" + code, "unknown"
            platform = rng.choice(PLATFORMS)
            params = {"platform": platform, "post_id": f"p{rng.randrange(50)}"} if platform else {}
            started = time.perf_counter()
            try:
                response = client.request(method, f"/l/{code}", params=params, headers=headers)
            except httpx.HTTPError as error:
                tally.requests += 1
                tally.errors[type(error).__name__] += 1
                tally.unknown_outcome += kind != "unknown"
                continue
            tally.latencies_s.append(time.perf_counter() - started)
            tally.requests += 1
            if kind == "unknown" and response.status_code == 404:
                tally.not_found += 1
            elif kind != "unknown" and response.status_code == 302:
                tally.redirects[kind] += 1
                if kind == "human-new" and (cookie := _sid(response)):
                    visitors.append((headers["User-Agent"], cookie))
            else:
                tally.errors[f"HTTP {response.status_code} for {kind}"] += 1


def _sid(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "cf_sid":
            return rest.split(";", 1)[0]
    return None


def _wait_for_counts(
    api: httpx.Client, first_day: str, before: dict[str, int], tally: Tally, timeout_s: float, settle_s: float
) -> Verdict:
    """Poll the report until it holds every 302 and has stayed put for `settle_s` (a duplicate would
    arrive after the last original), or until `timeout_s`."""
    expected = sum(tally.redirects.values())
    started = time.monotonic()
    stable_since, last = started, None
    while True:
        now = _counted(api, first_day)
        added = {name: now[name] - before[name] for name in now}
        counted = added["clicks"] + added["bot_clicks"]
        elapsed = time.monotonic() - started
        if counted != last:
            stable_since, last = time.monotonic(), counted
        settled = counted >= expected and time.monotonic() - stable_since >= settle_s
        if settled or elapsed > timeout_s:
            return Verdict(
                expected=expected,
                counted=counted,
                human=added["clicks"],
                bot=added["bot_clicks"],
                unique=added["unique_clicks"],
                waited_s=elapsed,
                lost=max(0, expected - counted),
                duplicated=max(0, counted - expected - tally.unknown_outcome),
            )
        time.sleep(0.25)


def run(
    url: str,
    key: str,
    *,
    duration_s: float = 20,
    workers: int = 4,
    seed: int = 1,
    timeout_s: float = 90,
    settle_s: float = 3,
) -> Result:
    """Load `url` for `duration_s` with `workers` concurrent visitors, then check the counts."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30, cookies=_no_cookies()) as api:
        codes = _create_links(api)
        first_day = _today()
        before = _counted(api, first_day)
        tallies = [Tally() for _ in range(workers)]
        started = time.monotonic()
        threads = [
            threading.Thread(target=_worker, args=(url, codes, started + duration_s, seed + i, tallies[i]))
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        tally = Tally()
        for part in tallies:
            tally.merge(part)
        verdict = _wait_for_counts(api, first_day, before, tally, timeout_s, settle_s)
    return Result(tally, elapsed, verdict)


def report(result: Result, url: str, workers: int) -> str:
    t, v = result.tally, result.verdict
    kinds = t.redirects
    errors = ", ".join(f"{n} {name}" for name, n in t.errors.most_common()) or "none"
    latencies = t.latencies_s
    lines = [
        f"load on {url}: {result.elapsed_s:.1f} s, {workers} workers, {LINKS} links",
        f"requests      {t.requests} = {t.requests / result.elapsed_s:.1f}/s",
        f"  302         {sum(kinds.values())}: people {kinds['human-new']} new + "
        f"{kinds['human-returning']} returning, bots {kinds['bot']}",
        f"  404         {t.not_found} (unknown codes, as expected)",
        f"  errors      {sum(t.errors.values())} ({errors})",
        f"latency       p50 {result.percentile_ms(50):.1f} ms, p99 {result.percentile_ms(99):.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000 if latencies else 0:.1f} ms",
        f"counted       {v.counted} = {v.human} human ({v.unique} unique) + {v.bot} bot, "
        f"{v.waited_s:.1f} s after the load",
        f"verdict       {v.lost} lost, {v.duplicated} duplicated of {v.expected} redirects: "
        + ("OK" if result.ok else "FAILED"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds of load (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent visitors (default 4)")
    parser.add_argument("--url", help="a running `contentflow dev` (default: start one on loopback)")
    parser.add_argument("--key", help="its admin key (with --url)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.url:
        if not args.key:
            parser.error("--url needs --key")
        result = run(args.url, args.key, duration_s=args.duration, workers=args.workers, seed=args.seed)
        print(report(result, args.url, args.workers))
        return 0 if result.ok else 1

    from contentflow.local.process import DevServer, base_env
    from contentflow.security.service import new_raw_key

    key = new_raw_key()
    with tempfile.TemporaryDirectory(prefix="contentflow-load-") as cwd:  # no stray .env is read
        server = DevServer(base_env(STAGE="dev", CONTENTFLOW_ADMIN_KEY=key), cwd=Path(cwd))
        url = server.start(timeout_s=60)
        try:
            result = run(url, key, duration_s=args.duration, workers=args.workers, seed=args.seed)
        finally:
            code = server.stop(timeout_s=10)
    print(report(result, url, args.workers))
    if code != 0:
        print(f"contentflow dev exited with {code}:\n{server.output()[-4000:]}", file=sys.stderr)
    return 0 if result.ok and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The platforms' state for operators: what each connector can do, its account, its quota today."""

from __future__ import annotations

from datetime import UTC, datetime

from contentflow.flags import snapshot
from contentflow.platforms import quota
from contentflow.platforms import repository as accounts
from contentflow.platforms.models import AccountView, PlatformsView, PlatformView, QuotaView
from contentflow.platforms.pull import daily_quota
from contentflow.platforms.registry import CONNECTED, capabilities


def overview() -> PlatformsView:
    now = datetime.now(UTC)
    flags = snapshot()
    return PlatformsView(
        real_analytics=flags.readable and flags["real_analytics"] and not flags["kill_switch"],
        platforms=[_platform(name, now) for name in CONNECTED],
    )


def _platform(name: str, now: datetime) -> PlatformView:
    caps = capabilities(name)
    day = quota.quota_day(caps.quota_zone, now)
    account = accounts.account(name) or {"status": "unknown"}
    return PlatformView(
        name=name,
        stats=caps.stats,
        publish=caps.publish,
        comments=caps.comments,
        stats_batch=caps.stats_batch,
        estimates=caps.estimates,
        account=AccountView(**{k: v for k, v in account.items() if k != "fingerprint"}),
        quota=QuotaView(
            day=day,
            used=accounts.quota_used(name, day),
            limit=daily_quota(caps),
            resets_in_s=int(quota.seconds_until_reset(caps.quota_zone, now)),
        ),
    )

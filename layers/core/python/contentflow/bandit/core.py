"""The bandit's pure core: discounted, capped Beta-Bernoulli Thompson sampling over {platform, lang, hook}.

Standard library and numpy only: the same code runs in the Lambda, in the benchmarks and in offline
evaluation. Learning is by aggregated windows (clicks, impressions of one arm over one matured period),
never by single impressions, so an update is a few float operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from contentflow.bandit.beta import beta_ppf

SEPARATOR = "|"


class Arm(NamedTuple):
    """One thing the bandit can choose: where to post, in which language, with which hook."""

    platform: str
    lang: str
    hook_id: str

    @property
    def key(self) -> str:
        for name, part in zip(self._fields, self, strict=True):
            if not isinstance(part, str) or not part or SEPARATOR in part:
                raise ValueError(f"arm {name} must be a non-empty string without {SEPARATOR!r}, got {part!r}")
        return SEPARATOR.join(self)

    @classmethod
    def parse(cls, key: str) -> Arm:
        parts = key.split(SEPARATOR) if isinstance(key, str) else []
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"bad arm key {key!r}: expected 'platform|lang|hook_id', three non-empty parts")
        return cls(*parts)


def _platform(key: str) -> str:
    return key.split(SEPARATOR, 1)[0]


@dataclass(frozen=True)
class Config:
    """The bandit's settings. The defaults were chosen by `python -m bench.bandit --sweep`
    (docs/PERFORMANCE.md, "Bandit") on simulated days of 10 posts x ~1,250 impressions across a stationary,
    a drifting and a delayed problem, on seeds the benchmark does not report:

    - cap = 100,000: no arm is ever more certain than 100,000 impressions' worth (a 1 % CTR known to
      +- 0.06 points, 95 %), so an arm posted to all day (~10,000 impressions) renews ~10 % of its
      evidence a day and a change shows within ~10 days, and a demoted arm is still tried now and then.
      This is what follows drift: caps of 10-20,000 cost regret when nothing changes, no cap costs it
      when the best arm changes.
    - gamma = 0.998 a day: a slow forgetting (evidence halves in ~1 year) that lets arms nobody plays
      regain their doubt; 0.99-1.0 measured within the seeds' noise of it, 0.98 and below cost regret
      when nothing changes (and gained a little when the best arm changed: the cap does that part).
    - pseudo_counts = 1,000: a new arm starts at its platform's mean CTR as if posted once. 2,000-3,000
      did as well with a good history but fell well behind MABWiser without one (1.7x its regret when
      nothing changes); 1,000 stayed level with it (0.99x).

    Counts are impressions: with much larger daily volumes, raise cap in proportion.
    """

    gamma: float = 0.998
    cap: float = 100_000.0
    pseudo_counts: float = 1000.0
    default_ctr: float = 0.01
    mc_samples: int = 2000

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            wanted = int if field.name == "mc_samples" else (int, float)
            if isinstance(value, bool) or not isinstance(value, wanted):
                raise ValueError(f"Config.{field.name} must be a number, got {value!r}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"Config.gamma must be in (0, 1] (1 = no discount), got {self.gamma!r}")
        if not 0.0 < self.cap < math.inf:
            raise ValueError(f"Config.cap must be finite and > 0, got {self.cap!r}")
        if not 0.0 < self.pseudo_counts < self.cap:
            raise ValueError(
                f"Config.pseudo_counts must be > 0 and < cap ({self.cap}), got {self.pseudo_counts!r}"
            )
        if not 0.0 < self.default_ctr < 1.0:
            raise ValueError(f"Config.default_ctr must be in (0, 1), got {self.default_ctr!r}")
        if not 1 <= self.mc_samples <= 10_000_000:
            raise ValueError(f"Config.mc_samples must be in [1, 10000000], got {self.mc_samples!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Config:
        """Keys left out keep their defaults; an unknown key is an error, not silently ignored (a typo)."""
        if not isinstance(data, dict):
            raise ValueError(f"Config must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown Config key(s): {', '.join(map(str, unknown))}")
        return cls(**data)


@dataclass
class Posterior:
    """Beta(alpha, beta) belief about an arm's CTR, and the prior it shrinks back to."""

    alpha: float
    beta: float
    prior_alpha: float
    prior_beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Choice(NamedTuple):
    arm: str
    propensity: float


class ArmSummary(NamedTuple):
    arm: str
    alpha: float
    beta: float
    mean: float
    low: float
    high: float
    p_best: float


_STATE_FIELDS = ("alpha", "beta", "prior_alpha", "prior_beta")


class ThompsonPolicy:
    """Thompson sampling over Beta posteriors that are discounted toward their priors and capped in strength,
    so that the policy keeps exploring and follows arms whose CTR drifts."""

    def __init__(self, config: Config | None = None, arms: dict[str, Posterior] | None = None):
        self.config = config or Config()
        self.arms: dict[str, Posterior] = dict(arms) if arms else {}

    def platform_mean(self, platform: str) -> float:
        """The pooled CTR of the platform's arms, sum(alpha) / sum(alpha + beta): their posterior means
        weighted by their evidence alpha + beta. config.default_ctr when the platform has no arm yet."""
        alpha = total = 0.0
        for key, post in self.arms.items():
            if _platform(key) == platform:
                alpha += post.alpha
                total += post.alpha + post.beta
        return alpha / total if total > 0.0 else self.config.default_ctr

    def add_arm(self, arm: str, prior: float | None = None) -> Posterior:
        existing = self.arms.get(arm)
        if existing is not None:
            return existing
        platform = Arm.parse(arm).platform
        mean = self.platform_mean(platform) if prior is None else prior
        if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not 0.0 < mean < 1.0:
            raise ValueError(f"prior mean CTR of {arm!r} must be in (0, 1), got {mean!r}")
        n = self.config.pseudo_counts
        posterior = Posterior(mean * n, (1.0 - mean) * n, mean * n, (1.0 - mean) * n)
        self.arms[arm] = posterior
        return posterior

    def update(self, arm: str, clicks: float, impressions: float) -> None:
        """Add one matured window's aggregate; past the cap, alpha and beta are scaled down together, which
        keeps the mean and limits only the certainty."""
        if not 0.0 <= clicks <= impressions < math.inf:
            raise ValueError(
                "a window needs 0 <= clicks <= impressions < inf, "
                f"got clicks={clicks!r}, impressions={impressions!r}"
            )
        posterior = self.arms.get(arm) or self.add_arm(arm)
        alpha = posterior.alpha + clicks
        beta = posterior.beta + (impressions - clicks)
        total = alpha + beta
        if total > self.config.cap:
            scale = self.config.cap / total
            alpha *= scale
            beta *= scale
        posterior.alpha = alpha
        posterior.beta = beta

    def discount(self, periods: int = 1) -> None:
        """Forget: every period, the evidence above the prior is multiplied by gamma."""
        if isinstance(periods, bool) or not isinstance(periods, int) or periods < 0:
            raise ValueError(f"periods must be an integer >= 0, got {periods!r}")
        factor = self.config.gamma**periods
        if factor == 1.0:
            return
        for p in self.arms.values():
            p.alpha = p.prior_alpha + factor * (p.alpha - p.prior_alpha)
            p.beta = p.prior_beta + factor * (p.beta - p.prior_beta)

    def _eligible(self, eligible: Iterable[str] | None) -> list[str]:
        if eligible is None:
            keys = list(self.arms)
        else:
            if isinstance(eligible, str):
                raise ValueError("eligible must be an iterable of arm keys, not one string")
            keys = list(dict.fromkeys(eligible))
            for key in keys:
                if key not in self.arms:
                    self.add_arm(key)
        if not keys:
            raise ValueError("no arm to choose from")
        return keys

    def _winners(self, rng: np.random.Generator, keys: list[str]) -> np.ndarray:
        """The index of the best draw in each of mc_samples rows of one (rows x arms) Beta matrix."""
        if len(keys) == 1:
            return np.zeros(self.config.mc_samples, dtype=np.intp)
        arms = self.arms
        alpha = np.fromiter((arms[k].alpha for k in keys), dtype=float, count=len(keys))
        beta = np.fromiter((arms[k].beta for k in keys), dtype=float, count=len(keys))
        return rng.beta(alpha, beta, size=(self.config.mc_samples, len(keys))).argmax(axis=1)

    def choose(self, rng: np.random.Generator, eligible: Iterable[str] | None = None) -> Choice:
        """One Thompson draw (the first row's winner) and its propensity estimated from all rows, so the
        logged propensity is > 0 and consistent with the other arms' (they sum to 1)."""
        keys = self._eligible(eligible)
        winners = self._winners(rng, keys)
        chosen = int(winners[0])
        return Choice(keys[chosen], float(np.count_nonzero(winners == chosen)) / len(winners))

    def propensities(
        self, rng: np.random.Generator, eligible: Iterable[str] | None = None
    ) -> dict[str, float]:
        keys = self._eligible(eligible)
        winners = self._winners(rng, keys)
        shares = np.bincount(winners, minlength=len(keys)) / len(winners)
        return dict(zip(keys, shares.tolist(), strict=True))

    def summary(self, rng: np.random.Generator | None = None) -> list[ArmSummary]:
        """Each arm's mean, 95 % equal-tailed interval and P(best); a fixed seed by default so that a page
        shown twice shows the same numbers."""
        if not self.arms:
            return []
        keys = list(self.arms)
        p_best = self.propensities(rng if rng is not None else np.random.default_rng(0), keys)
        rows = [
            ArmSummary(
                key,
                p.alpha,
                p.beta,
                p.mean,
                beta_ppf(0.025, p.alpha, p.beta),
                beta_ppf(0.975, p.alpha, p.beta),
                p_best[key],
            )
            for key, p in self.arms.items()
        ]
        return sorted(rows, key=lambda r: (-r.mean, r.arm))

    def to_state(self) -> dict:
        return {
            "arms": {
                key: {name: float(getattr(p, name)) for name in _STATE_FIELDS} for key, p in self.arms.items()
            }
        }

    @classmethod
    def from_state(cls, state: dict, config: Config | None = None) -> ThompsonPolicy:
        """Rebuild from to_state(); numbers may be Decimals (as DynamoDB returns them). Other top-level keys
        (a version, a timestamp) are left to the caller."""
        arms_state = state.get("arms", {}) if isinstance(state, dict) else None
        if not isinstance(arms_state, dict):
            raise ValueError("bandit state must be a mapping with an 'arms' mapping")
        arms: dict[str, Posterior] = {}
        for key, values in arms_state.items():
            Arm.parse(key)
            if not isinstance(values, dict) or set(values) != set(_STATE_FIELDS):
                raise ValueError(f"arm {key!r} state must have exactly {', '.join(_STATE_FIELDS)}")
            numbers = {}
            for name in _STATE_FIELDS:
                value = values[name]
                if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                    raise ValueError(f"arm {key!r} {name} must be a number, got {value!r}")
                number = float(value)
                if not 0.0 < number < math.inf:
                    raise ValueError(f"arm {key!r} {name} must be finite and > 0, got {value!r}")
                numbers[name] = number
            arms[key] = Posterior(**numbers)
        return cls(config, arms)

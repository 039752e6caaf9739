"""The bandit's configuration and its views, as the admin API reads and writes them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contentflow.bandit import core

Platform = Literal["youtube", "reddit", "pinterest", "instagram", "tiktok"]
# How long after a day ends its numbers are complete enough to learn from: the platforms report late
# (Instagram's and TikTok's insights up to two days), clicks within minutes.
LAGS_HOURS: dict[str, int] = {"youtube": 24, "reddit": 6, "pinterest": 48, "instagram": 48, "tiktok": 48}
# Estimated impressions are the clicks ÷ the platform's prior CTR: they mostly restate the prior, so a
# window made of them counts as a quarter of the evidence real numbers would give.
ESTIMATE_WEIGHT = 0.25
_DEFAULT = core.Config()


class BanditConfig(BaseModel):
    """What an operator may tune; the policy's defaults were chosen by bench/bandit.py."""

    model_config = ConfigDict(extra="forbid")

    gamma: float = Field(
        _DEFAULT.gamma, ge=0.5, le=1, description="discount per day toward the prior; 1: none"
    )
    cap: float = Field(
        _DEFAULT.cap, ge=10, le=1e9, description="largest alpha+beta of an arm, so exploration never dies"
    )
    pseudo_counts: float = Field(
        _DEFAULT.pseudo_counts, ge=1, le=1e8, description="a new arm's prior strength, at its platform's mean"
    )
    default_ctr: float = Field(
        _DEFAULT.default_ctr, ge=1e-6, le=0.5, description="a new arm's prior mean on a platform with no arm"
    )
    lags_hours: dict[Platform, Annotated[int, Field(ge=0, le=336)]] = Field(
        default_factory=lambda: dict(LAGS_HOURS),
        description="per platform: hours after a day ends before its window counts (missing: the default)",
    )
    estimate_weight: Annotated[float, AfterValidator(lambda weight: round(weight, 6))] = Field(
        ESTIMATE_WEIGHT,
        ge=0,
        le=1,
        description="weight of a window whose impressions are estimated (to 1e-6)",
    )

    @model_validator(mode="after")
    def _complete(self) -> BanditConfig:
        if self.cap <= self.pseudo_counts:
            raise ValueError(f"cap ({self.cap:g}) must exceed pseudo_counts ({self.pseudo_counts:g})")
        self.lags_hours = {**LAGS_HOURS, **self.lags_hours}
        return self

    def policy(self) -> core.Config:
        return core.Config(
            gamma=self.gamma, cap=self.cap, pseudo_counts=self.pseudo_counts, default_ctr=self.default_ctr
        )


ArmKey = Annotated[str, StringConstraints(pattern=r"^[a-z]+\|[A-Za-z0-9-]{2,12}\|[A-Za-z0-9_.:-]{1,64}$")]


class ArmView(BaseModel):
    arm: str = Field(description="platform|lang|hook_id")
    platform: str
    lang: str
    hook_id: str
    alpha: float
    beta: float
    mean: float = Field(description="posterior mean CTR")
    low: float = Field(description="2.5 % quantile of the posterior")
    high: float = Field(description="97.5 % quantile of the posterior")
    p_best: float = Field(description="probability that this arm has the highest CTR")
    windows: int = Field(description="daily windows learnt from")
    clicks: float = Field(description="human clicks learnt from (estimates weighted)")
    impressions: float = Field(description="impressions learnt from (estimates weighted)")
    last_window: str | None = Field(description="the newest day learnt from")
    status: Literal["paused", "promoted"] | None = Field(
        None, description="paused: never chosen; promoted: chosen among alone while eligible"
    )


class BanditView(BaseModel):
    version: int = Field(description="the policy's version: every choice logs the version it was made with")
    updated_at: str | None
    discounted_through: str | None = Field(description="the last day whose discount has been applied")
    windows_through: dict[str, str] = Field(description="per platform: the last day learnt from")
    config: BanditConfig
    arms: list[ArmView] = Field(description="best posterior mean first")


class Chosen(BaseModel):
    choice_id: str
    arm: str
    propensity: float = Field(description="the probability the policy had of choosing this arm")
    policy_version: int
    eligible: list[str]


class ChoiceContext(BaseModel):
    """What a caller (publishing, the autopilot, an operator) asks the bandit to choose among."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform | None = None
    lang: str | None = None
    arms: list[ArmKey] | None = Field(
        None, min_length=1, max_length=500, description="the arms to choose among (default: every known arm)"
    )
    post_id: str | None = Field(None, description="the post the choice is for, when it exists already")
    source: str = Field("api", max_length=40, description="who asked: publishing, autopilot, cli…")


class Interval(BaseModel):
    """A CTR and its 95 % interval; null where it cannot be estimated (one decision, no weight)."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    def __str__(self) -> str:
        def shown(x: float | None) -> str:
            return "n/a" if x is None else f"{x:.4%}"

        return f"CTR {shown(self.value)}  95 % interval [{shown(self.low)}, {shown(self.high)}]"


class Evaluation(BaseModel):
    """A candidate policy replayed on the logged choices."""

    decisions: int = Field(description="logged choices whose post has an outcome")
    left_out: int = Field(description="logged choices without an outcome yet")
    logged: Interval = Field(description="the CTR the logging policy earned")
    ips: Interval = Field(description="the candidate's CTR, inverse propensity scoring")
    snips: Interval = Field(description="the candidate's CTR, self-normalised IPS")
    candidate: BanditConfig

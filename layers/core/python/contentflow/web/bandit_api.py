"""/api/bandit: the arms' posteriors and how sure the bandit is; its configuration."""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.bandit import service
from contentflow.bandit.models import BanditConfig, BanditView
from contentflow.web.responses import answers

router = APIGatewayHttpRouter()


@router.get("/api/bandit")
def get_bandit() -> BanditView:
    """Every arm (best posterior mean first) with its 95 % interval and its probability of being
    the best, what it learnt from, and the policy's version and configuration."""
    return service.view()


@router.put("/api/bandit/config", responses=answers(errors=(422,)))
def set_bandit_config(config: BanditConfig) -> BanditConfig:
    """Replace the configuration (omitted fields take their defaults); a new policy version, audited."""
    return service.set_config(config)

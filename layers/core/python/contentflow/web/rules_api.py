"""/api/rules: read the compliance rules, change one."""

from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.compliance import service
from contentflow.compliance.models import RULES, Rule, RuleChange, RulesView
from contentflow.web.responses import answers, error

router = APIGatewayHttpRouter()


@router.get("/api/rules")
def list_rules() -> RulesView:
    """Every rule: its value (or default), version, last change and JSON schema."""
    return service.list_rules()


@router.get("/api/rules/<key>", responses=answers(errors=(404,)))
def get_rule(key: str) -> Rule:
    return service.get_rule(key)


@router.put("/api/rules/<key>", responses=answers(errors=(404, 409)))
def set_rule(key: str, change: RuleChange) -> Rule:
    """Replace the rule's value; send the `version` you read to refuse (409) a change made meanwhile."""
    try:
        return service.set_rule(key, change)
    except service.InvalidRuleValue as invalid:  # answered as any invalid body: 422, each error's path
        errors = [{**e, "loc": ("body", "value", *e["loc"])} for e in invalid.errors]
        raise RequestValidationError(errors) from None


@router.exception_handler(service.UnknownRule)
def unknown_rule(exc: service.UnknownRule):
    return error(404, f"no rule named {exc.args[0]!r}", rules=list(RULES))


@router.exception_handler(service.RuleChanged)
def rule_changed(exc: service.RuleChanged):
    return error(409, str(exc))

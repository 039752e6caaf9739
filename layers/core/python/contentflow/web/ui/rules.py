"""/ui/rules: the compliance rules and the comments' triage rules, each changed through its service
(validation, version check and audit as through /api/rules and /api/ai-rules).

A list rule is edited as a textarea, one entry a line; a number as a number. The forms carry the
version they were read at, so a change made meanwhile is refused (409) instead of being lost.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.comments import service as triage
from contentflow.comments.triage import TriageRule
from contentflow.compliance import service as compliance
from contentflow.compliance.models import RULES, RuleChange
from contentflow.web.ui.pages import form, problem, redirect, render, visit

router = APIGatewayHttpRouter()
RULE_TYPES = ("deny", "escalate", "auto")
NOTICES = {
    "saved": "Compliance rule {} saved.",
    "rule_saved": "Triage rule {} saved.",
    "rule_deleted": "Triage rule {} deleted.",
}
TRIAGE_FIELDS = ("rule_id", "type", "name", "keywords", "patterns", "confidence_min", "priority")


@router.get("/ui/rules")
def rules_page():
    params = visit().event.query_string_parameters or {}
    editing = None
    if params.get("edit") and visit().may("comments:read"):
        try:
            editing = triage.get_rule(params["edit"])
        except triage.NotFound:
            return problem(404, "Not found", f"There is no triage rule {params['edit']}.")
    said = next((text.format(params[key]) for key, text in NOTICES.items() if params.get(key)), None)
    return _page(notice=said, rule_form=rule_as_form(editing) if editing else None)


@router.post("/ui/rules/<key>")
def set_compliance_rule(key: str):
    if key not in RULES:
        return problem(404, "Not found", f"There is no compliance rule {key}.")
    values = form()
    text = values.get("value", "")
    version = _whole(values.get("version"))
    try:
        compliance.set_rule(key, RuleChange(value=value_of(key, text), version=version))
    except compliance.InvalidRuleValue as invalid:
        said = {key: {"text": text, "problem": value_problems(key, text, invalid.errors), "version": version}}
        return _page(422, edits=said)
    except compliance.RuleChanged:
        now = compliance.get_rule(key)
        said = f"Not saved: {key} was changed meanwhile (now version {now.version}"
        said += f", by {now.updated_by})" if now.updated_by else ")"
        said += ". Its stored value is shown above; your text is kept here: save again to replace it."
        return _page(409, edits={key: {"text": text, "problem": said, "version": now.version}})
    return redirect("/ui/rules", saved=key)


@router.post("/ui/ai-rules")
def put_triage_rule():
    values = form()
    values["enabled"] = "on" if "enabled" in values else ""
    version = _whole(values.get("version"))
    try:
        saved = triage.put_rule(rule_data(values), version=version)
    except triage.InvalidRule as invalid:
        return _page(422, rule_form=values, rule_problems=rule_problems(invalid.errors))
    except triage.VersionConflict:
        rule_id = values.get("rule_id", "").strip()
        said = (
            f"Not saved: a triage rule {rule_id} exists already. Choose another id, or edit that rule."
            if not version
            else f"Not saved: triage rule {rule_id} was changed or deleted since you opened it. "
            "Open it again from the list, then change it."
        )
        return _page(409, rule_form=values, rule_problems={"form": said})
    return redirect("/ui/rules", rule_saved=saved.rule_id)


@router.post("/ui/ai-rules/<rule_id>/delete")
def delete_triage_rule(rule_id: str):
    version = _whole(form().get("version"))
    try:
        triage.delete_rule(rule_id, version=version)
    except triage.NotFound:
        return problem(404, "Not found", f"There is no triage rule {rule_id}.")
    except triage.VersionConflict:
        said = f"Not deleted: triage rule {rule_id} was changed since you opened the page: see it now, "
        said += "then decide."
        return _page(409, error=said)
    return redirect("/ui/rules", rule_deleted=rule_id)


def _page(status: int = 200, *, edits=None, rule_form=None, rule_problems=None, notice=None, error=None):
    may = visit().may
    compliance_rules = compliance.list_rules().rules if may("rules:read") else []
    shown = [
        {
            "rule": rule,
            "list": is_list(rule.key),
            "text": value_text(rule.value),
            **(edits or {}).get(rule.key, {}),
        }
        for rule in compliance_rules
    ]
    return render(
        "rules.html",
        status,
        title="Rules",
        compliance=shown,
        triage_rules=triage.list_rules() if may("comments:read") else [],
        rule_form=rule_form or {"enabled": "on", "version": "0", "priority": "100", "confidence_min": "0"},
        rule_problems=rule_problems or {},
        types=RULE_TYPES,
        notice=notice,
        error=error,
    )


# --- forms → the services' shapes (pure) -------------------------------------------------------------


def is_list(key: str) -> bool:
    return isinstance(RULES[key].default, list)


def value_text(value: Any) -> str:
    """A rule's value as the form shows it: a list one entry a line."""
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def value_of(key: str, text: str) -> Any:
    """The form's text as the rule's value: a list rule's non-blank lines; a number when it is one
    (else the text, for the rule's model to refuse in words)."""
    if is_list(key):
        return lines(text)
    try:
        return int(text.strip())
    except ValueError:
        return text.strip()


def value_problems(key: str, text: str, errors: list[dict]) -> str:
    """A refused value's errors in words, each naming the line it is about."""
    entries = lines(text) if is_list(key) else []
    said = []
    for error in errors:
        where = [p for p in error.get("loc", ()) if isinstance(p, int)]
        message = str(error["msg"]).removeprefix("Value error, ")
        if where and where[0] < len(entries):
            said.append(f"“{entries[where[0]]}”: {message}")
        else:
            said.append(message)
    return "; ".join(dict.fromkeys(said))


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def rule_data(values: dict[str, str]) -> dict[str, Any]:
    """A triage rule's fields from the form: keywords and patterns one a line (a pattern is kept as
    written, but for the line's end), blank numbers left to their defaults."""
    data: dict[str, Any] = {name: values.get(name, "").strip() for name in ("rule_id", "type", "name")}
    data["keywords"] = lines(values.get("keywords", ""))
    data["patterns"] = [line.rstrip("\r") for line in values.get("patterns", "").split("\n") if line.strip()]
    for name in ("confidence_min", "priority"):
        if values.get(name, "").strip():
            data[name] = values[name].strip()
    data["enabled"] = bool(values.get("enabled"))
    template = values.get("reply_template", "").replace("\r\n", "\n")
    data["reply_template"] = template if template.strip() else None
    return data


def rule_problems(errors: list[dict[str, str]]) -> dict[str, str]:
    """The service's errors (`patterns.2: …`) as {form field: message}, naming the line."""
    problems: dict[str, str] = {}
    for error in errors:
        field, _, item = error["field"].partition(".")
        message = f"line {int(item) + 1}: {error['message']}" if item.isdigit() else error["message"]
        field = field if field in (*TRIAGE_FIELDS, "reply_template", "enabled") else "form"
        problems[field] = f"{problems[field]}; {message}" if field in problems else message
    return problems


def rule_as_form(rule: TriageRule) -> dict[str, str]:
    return {
        "rule_id": rule.rule_id,
        "type": rule.type,
        "name": rule.name,
        "keywords": "\n".join(rule.keywords),
        "patterns": "\n".join(rule.patterns),
        "confidence_min": f"{rule.confidence_min:g}",
        "priority": str(rule.priority),
        "enabled": "on" if rule.enabled else "",
        "reply_template": rule.reply_template or "",
        "version": str(rule.version),
    }


def _whole(text: str | None) -> int | None:
    """The version a form was read at; None when absent or not a number (then no check)."""
    try:
        return max(0, int(text)) if text not in (None, "") else None
    except ValueError:
        return None

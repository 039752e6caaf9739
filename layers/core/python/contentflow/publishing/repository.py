"""DynamoDB access for scheduled posts: the `due` index, claims, statuses and the runs log.

- `posts`, scheduled items: a post (`kind` post) or a recurring post (`kind` series) with `status`
  and `next_run_utc`, which the `due` index (status, next_run_utc) orders; every status change is
  conditional on the status read, so two schedulers, or a redelivered job, move a post once.
- `posts`, `occurrence#<series id>#<local wall time>` → `holder`: an occurrence of a series becomes
  one post, whoever claims it.
- `post_runs` (contentflow.posts.repository): every publishing attempt.
"""

from __future__ import annotations

from contentflow.posts.repository import _item, add_run, by_status, get, write
from contentflow.resources import table_name

__all__ = ["add_run", "by_status", "claim_occurrence", "get", "move", "put_new", "transition", "write"]


def put_new(post: dict, along: tuple[dict, ...] = ()) -> None:
    write_items = [
        {
            "Put": {
                "TableName": table_name("posts"),
                "Item": _item(post),
                "ConditionExpression": "attribute_not_exists(post_id)",
            }
        },
        *along,
    ]
    if not write(write_items):
        raise RuntimeError(f"post {post['post_id']} exists already")


def move(post: dict, to: str, changes: dict | None = None, *, also: tuple[dict, ...] = ()) -> bool:
    """The post goes from the status it was read in to `to`, with `changes` (None removes); False
    when someone moved it first."""
    return write([transition(post, to, changes), *also])


def transition(post: dict, to: str, changes: dict | None = None, *, same_due: bool = False) -> dict:
    """The transaction item moving `post` from its status (as read) to `to`; with `same_due`, only
    while its next_run_utc is still the one read."""
    sets = {"status": to, **(changes or {})}
    removes = [name for name, value in sets.items() if value is None]
    sets = {name: value for name, value in sets.items() if value is not None}
    names = {f"#{n}": n for n in [*sets, *removes]}
    values = {f":{n}": v for n, v in _item(sets).items()}
    values[":was"] = {"S": post["status"]}
    names["#status"] = "status"
    condition = "#status = :was"
    if same_due:
        names["#due"] = "next_run_utc"
        values[":due"] = {"S": post["next_run_utc"]}
        condition += " AND #due = :due"
    expression = "SET " + ", ".join(f"#{n} = :{n}" for n in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{n}" for n in removes)
    return {
        "Update": {
            "TableName": table_name("posts"),
            "Key": {"post_id": {"S": post["post_id"]}},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def claim_occurrence(series: dict, series_changes: dict, child: dict) -> bool:
    """One occurrence of a series becomes `child`, and the series moves on to its next occurrence, in
    one transaction: False when another scheduler claimed it first."""
    guard = {
        "Put": {
            "TableName": table_name("posts"),
            "Item": {
                "post_id": {"S": f"occurrence#{series['post_id']}#{child['occurrence']}"},
                "holder": {"S": child["post_id"]},
            },
            "ConditionExpression": "attribute_not_exists(post_id)",
        }
    }
    new = {"Put": {"TableName": table_name("posts"), "Item": _item(child)}}
    to = series_changes.pop("status", series["status"])
    return write([transition(series, to, series_changes, same_due=True), guard, new])

"""/api/topics: the recurring subjects of a day's comments, as the `topics_daily` job stored them."""

from datetime import UTC, date, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.comments import topic_days
from contentflow.comments.topic_days import DayTopics
from contentflow.web.responses import answers, error

router = APIGatewayHttpRouter()

Day = Annotated[
    date | None,
    Query(description="a day of Europe/Paris wall time, YYYY-MM-DD; default: yesterday there"),
]


@router.get("/api/topics", responses=answers(errors=(404,)))
def get_topics(day: Day = None) -> DayTopics:
    """The day's topics, largest first: each with its label (top terms), size, share of the day's
    comments, weighted terms and a few example comments; 404 for a day not computed (yet)."""
    return topic_days.view(day, datetime.now(UTC))


@router.exception_handler(topic_days.NotComputed)
def not_computed(exc: topic_days.NotComputed):
    return error(404, str(exc))

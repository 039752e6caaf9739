"""What every function shares for logs and metrics.

- One JSON logger (Powertools, service `contentflow`); every line carries the `correlation_id` of
  the request or job it belongs to, and `job_id`, `run_id`, `post_id` where they exist.
- The correlation id comes from the caller's `X-Request-Id` when it is a sane token, else a new
  one; it is returned in the response's `X-Request-Id` and travels with every SQS message sent
  while it is bound, so a job's logs name the request that started it.
- EMF metrics (namespace `ContentFlow`, dimensions `service` and `stage`, plus each metric's own),
  declared once in `METRICS`: the code that emits them and the CloudWatch dashboard read it. The
  redirect prints its line itself (`log_metrics_directly`), the line Powertools would print.

The redirect imports this module: standard library only. Powertools' Logger and Metrics are made on
first use (`logger`, `metrics`, `powertools_logger()`): the redirect logs only when a click write
fails, and importing Powertools was a fifth of its cold start. Functions that import `logger` get
it made at once. Log keys bound before it is made are kept here and handed to it when it is, so a
line carries the same keys either way. No Tracer, no pydantic (see
tests/unit/test_redirect_imports.py).
"""

from __future__ import annotations

import json
import numbers
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, Any, NamedTuple

from contentflow.defaults import setting
from contentflow.ids import ulid

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "contentflow"
NAMESPACE = "ContentFlow"
REQUEST_ID_HEADER = "X-Request-Id"
CORRELATION_ATTRIBUTE = "correlation_id"  # the SQS message attribute that carries it
# Bounded and plain: whatever a caller sends ends up in every log line of the request.
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)
# The metrics of the invocation in progress when its handler is wrapped in `log_metrics_directly`.
_pending: ContextVar[dict[str, tuple[float, ...]] | None] = ContextVar("pending_metrics", default=None)
# Log keys bound in this context while Powertools' logger was not made yet, for it when it is.
_unlogged_keys: ContextVar[dict[str, Any] | None] = ContextVar("unlogged_log_keys", default=None)
Handler = Callable[[dict, Any], Any]

# EMF units, as Powertools' MetricUnit values (which its Metrics accept as they are).
COUNT, NO_UNIT, MILLISECONDS = "Count", "None", "Milliseconds"


class Metric(NamedTuple):
    """An EMF metric: its unit and the dimensions it carries besides `service` and `stage`."""

    name: str
    unit: str
    description: str
    dimensions: tuple[str, ...] = ()


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("Redirects", COUNT, "Requests to a short link, whatever the answer."),
        Metric("HumanClicks", COUNT, "Redirects of people (302 with a click item)."),
        Metric("BotClicks", COUNT, "Redirects of bots and link-preview fetchers."),
        Metric("ClicksBuffered", COUNT, "Click writes that failed and went to the SQS buffer."),
        Metric("ClicksLogged", COUNT, "Clicks neither stored nor buffered: kept in a log line."),
        Metric("RevenueEstimatedEur", NO_UNIT, "EPC estimates of human clicks added to stats."),
        Metric("RevenueRealEur", NO_UNIT, "Real conversion amounts added to stats."),
        Metric("JobRuns", COUNT, "Job runs ended, by kind and status.", ("kind", "status")),
        Metric("JobDuration", MILLISECONDS, "Time from a run's start to its end.", ("kind",)),
        Metric(
            "OutsideCalls",
            COUNT,
            "Calls to outside APIs by platform and outcome (ok, transient, permanent, deferred, error).",
            ("platform", "outcome"),
        ),
        Metric("RateLimitDeferrals", COUNT, "Jobs deferred by a platform's bucket.", ("platform",)),
        Metric("PostsPublished", COUNT, "Posts published on a platform.", ("platform",)),
    )
}

_logger: Logger | None = None  # Powertools' objects, made on first use
_metrics: Metrics | None = None
_making = threading.Lock()
# The dimensions of a Powertools flush, in the order it writes them (service is added last).
_DIMENSIONS = {"stage": str(setting("STAGE")), "service": SERVICE}
_MAX_METRICS = 100  # names or values in one EMF line
_JSON = json.JSONEncoder(separators=(",", ":"))  # as compact as Powertools' lines
_NO_METRICS = (
    "No application metrics to publish. The cold-start metric may be published if enabled. "
    "If application metrics should never be empty, consider using 'raise_on_empty_metrics'"
)


def __getattr__(name: str) -> Any:
    """`logger` and `metrics`, made when first asked for (`from contentflow.observability import logger`)."""
    if name == "logger":
        return powertools_logger()
    if name == "metrics":
        return powertools_metrics()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def powertools_logger() -> Logger:
    """The one JSON logger (Powertools, service `contentflow`), made on first use, holding the log
    keys bound in this context so far."""
    global _logger
    if _logger is None:
        with _making:
            if _logger is None:
                from aws_lambda_powertools import Logger

                _logger = Logger(service=SERVICE)
    return _made_logger()


def _made_logger() -> Logger | None:
    """Powertools' logger if it is made, once given the keys this context bound before; else None."""
    made = _logger
    if made is not None:
        unlogged = _unlogged_keys.get()
        if unlogged is not None:
            _unlogged_keys.set(None)
            made.thread_safe_append_keys(**unlogged)
    return made


def powertools_metrics() -> Metrics:
    """Powertools' metric set (shared by its instances), made on first use: `count` outside
    `log_metrics_directly` adds to it, `@metrics.log_metrics` would flush it."""
    global _metrics
    if _metrics is None:
        with _making:
            if _metrics is None:
                from aws_lambda_powertools import Metrics

                made = Metrics(namespace=NAMESPACE, service=SERVICE)
                made.set_default_dimensions(stage=str(setting("STAGE")))
                _metrics = made
    return _metrics


def count(name: str, value: float = 1) -> None:
    """Add to a metric of the invocation's metric set (flushed once, when the handler returns)."""
    pending = _pending.get()
    if pending is None:
        powertools_metrics().add_metric(name=name, unit=METRICS[name].unit, value=value)
        return
    if name not in METRICS:
        raise KeyError(name)  # as above
    if type(value) not in (int, float) and not isinstance(value, numbers.Number):
        from aws_lambda_powertools.metrics import MetricValueError

        raise MetricValueError(f"{value} is not a valid number")
    pending[name] = values = (*pending.get(name, ()), float(value))
    if len(pending) == _MAX_METRICS or len(values) == _MAX_METRICS:  # where Powertools flushes early
        print(emf_line(pending))
        pending.clear()


def log_metrics_directly(handler: Handler) -> Handler:
    """`@metrics.log_metrics` for the redirect: what `count` adds during one invocation is printed
    as one EMF line when the handler returns or raises, the line Powertools would print.

    Powertools' add and flush cost ~90 µs a redirect, a fifth of its own work. The metrics are kept
    per invocation, not in Powertools' set, which the local runtime's threads share."""

    @wraps(handler)
    def wrapper(event: dict, context: Any) -> Any:
        pending: dict[str, tuple[float, ...]] = {}
        token = _pending.set(pending)
        try:
            return handler(event, context)
        finally:
            _pending.reset(token)
            if not pending:
                warnings.warn(_NO_METRICS, stacklevel=2)
            elif not _metrics_disabled():  # Powertools' switch, read at each flush as it reads it
                print(emf_line(pending))

    return wrapper


def _metrics_disabled() -> bool:
    """Powertools' `is_metrics_disabled()` (same variables, same answers, same errors), without
    importing Powertools: POWERTOOLS_METRICS_DISABLED true, or POWERTOOLS_DEV true and
    POWERTOOLS_METRICS_DISABLED unset."""
    dev = _strtobool(os.environ.get("POWERTOOLS_DEV", "false"))
    switch = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    return _strtobool("false" if switch is None else switch) or (dev and switch is None)


def _strtobool(value: str) -> bool:
    """Powertools' `strtobool` (distutils')."""
    value = value.lower()
    if value in ("1", "y", "yes", "t", "true", "on"):
        return True
    if value in ("0", "n", "no", "f", "false", "off"):
        return False
    raise ValueError(f"invalid truth value {value!r}")


def emf_line(values: dict[str, tuple[float, ...]], timestamp_ms: int | None = None) -> str:
    """One EMF line for these metrics of the catalog (namespace, `stage` and `service`, units), key
    for key what Powertools' Metrics flush writes."""
    timestamp_ms = time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms
    return f'{{"_aws":{{"Timestamp":{timestamp_ms}{_after_timestamp(tuple(values.items()))}'


@lru_cache(maxsize=256)
def _after_timestamp(values: tuple[tuple[str, tuple[float, ...]], ...]) -> str:
    """The rest of the line, encoded once per set of names and values: a redirect's few recur."""
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": [list(_DIMENSIONS)],
        "Metrics": [{"Name": name, "Unit": METRICS[name].unit} for name, _ in values],
    }
    fields = {**_DIMENSIONS, **{name: list(added) for name, added in values}}
    return f',"CloudWatchMetrics":[{_JSON.encode(directive)}]}},{_JSON.encode(fields)[1:]}'


def emit(name: str, value: float = 1, **dimensions: str) -> None:
    """One metric with its own dimensions, written at once as its own EMF line (jobs: rare events)."""
    spec = METRICS[name]
    if set(dimensions) != set(spec.dimensions):
        raise ValueError(f"{name} takes the dimensions {spec.dimensions}, got {tuple(dimensions)}")
    from aws_lambda_powertools.metrics import single_metric

    base = {"service": SERVICE, "stage": str(setting("STAGE"))}
    with single_metric(
        name=name, unit=spec.unit, value=value, namespace=NAMESPACE, default_dimensions=base
    ) as metric:
        for key in spec.dimensions:
            metric.add_dimension(name=key, value=str(dimensions[key]))


def valid_correlation_id(value: object) -> str | None:
    return value if isinstance(value, str) and _CORRELATION_ID.match(value) else None


def correlation_id(event: dict) -> str:
    """The request's X-Request-Id if it is a sane token (API Gateway lowercases header names),
    else a new id: raw caller input is never logged unbounded."""
    return valid_correlation_id((event.get("headers") or {}).get("x-request-id")) or ulid()


def current_correlation_id() -> str | None:
    return _current.get()


@contextmanager
def bound(correlation: str, **keys: Any) -> Iterator[None]:
    """Within: log lines carry `correlation` and `keys` (a None value drops a key), and SQS messages
    sent carry `correlation`. The log keys are thread-safe ones, because the local runtime serves
    requests on threads; Powertools' `clear_state` forgets them at the next invocation."""
    previous, token = _bind(correlation, keys)
    try:
        yield
    finally:
        _unbind(previous, token)


def _bind(correlation: str, keys: dict[str, Any]) -> tuple[str | None, Any]:
    previous = _current.get()
    token = _current.set(correlation)
    append_keys(correlation_id=correlation, **keys)
    return previous, token


def _unbind(previous: str | None, token: Any) -> None:
    _current.reset(token)
    if previous:
        append_keys(correlation_id=previous)
        return
    made = _made_logger()
    if made is not None:
        made.thread_safe_remove_keys(["correlation_id"])
        return
    unlogged = _unlogged_keys.get()
    if unlogged and "correlation_id" in unlogged:
        unlogged = dict(unlogged)
        del unlogged["correlation_id"]
        _unlogged_keys.set(unlogged)


def append_keys(**keys: Any) -> None:
    """More keys for the log lines of this request or run (run_id, post_id…)."""
    made = _made_logger()
    if made is not None:
        made.thread_safe_append_keys(**keys)
    else:  # for the logger when it is made, in this order
        _unlogged_keys.set({**(_unlogged_keys.get() or {}), **keys})


def correlated(*, access_log: bool = False) -> Callable[[Handler], Handler]:
    """For HTTP functions: bind the request's correlation id and return it as `X-Request-Id`;
    with `access_log`, one line per request (route, status, duration). The redirect goes without:
    API Gateway's metrics count it, and a line per click would cost more than the click."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        def wrapper(event: dict, context: Any) -> Any:
            started = time.perf_counter()
            correlation = correlation_id(event)
            previous, token = _bind(correlation, {})  # `with bound(...)`, a generator less a request
            try:
                response = handler(event, context)
                status = response.get("statusCode") if isinstance(response, dict) else None
                if access_log:
                    duration_ms = round((time.perf_counter() - started) * 1000, 1)
                    route = event.get("routeKey")
                    powertools_logger().info(
                        "request", extra={"route": route, "status": status, "duration_ms": duration_ms}
                    )
            finally:
                _unbind(previous, token)
            if isinstance(response, dict):
                response["headers"] = {**(response.get("headers") or {}), REQUEST_ID_HEADER: correlation}
            return response

        return wrapper

    return decorate

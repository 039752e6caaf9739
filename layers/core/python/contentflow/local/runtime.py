"""`contentflow dev`: the whole system on one machine, with no AWS account and no Docker.

The order of start-up is what makes the ready line trustworthy: the HTTP port is bound first (a
taken port fails before anything else starts), then the embedded AWS (moto's server, in-process,
on a free loopback port), the catalog's resources, the stream pollers (their iterators exist
before any request can write), the queue pollers and the scheduler, the admin key, and only then
the gateway serves and the ready line is printed. SIGINT and SIGTERM stop it all in the reverse
order and `run_dev` returns 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

from contentflow.aws import reset_clients
from contentflow.local.embedded import embedded_aws
from contentflow.local.gateway import Gateway
from contentflow.local.lambdas import Lambdas
from contentflow.local.queues import QueuePoller
from contentflow.local.scheduler import Scheduler, send_to_queue
from contentflow.local.streams import StreamPoller
from contentflow.resources import QUEUES, TABLES, provision

READY = "ContentFlow ready at http://{host}:{port}"
log = logging.getLogger("local.runtime")


def prepare_environment() -> None:
    """`.env` under the real environment, dummy credentials, and nothing that leads to real AWS."""
    from dotenv import load_dotenv

    if Path(".env").is_file():
        load_dotenv(".env", override=False)
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")  # noqa: S106
        os.environ.pop("AWS_SESSION_TOKEN", None)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-1"
    os.environ.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    os.environ.setdefault("STAGE", "dev")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray locally
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ContentFlow")
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")]:
        log.warning("ignoring %s: every service is the embedded one", name)
        del os.environ[name]  # a per-service endpoint would win over AWS_ENDPOINT_URL


class LocalRuntime:
    """Embedded AWS, gateway and stream pollers: `start()`, `serve()`, `stop()`; tests use it too."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, *, stream_window_s: float = 1.0) -> None:
        self.host = host
        self.lambdas = Lambdas()
        self.gateway = Gateway(host, port, self.lambdas)  # binds now: a taken port fails first
        self.port = self.gateway.server_address[1]
        self.moto = embedded_aws()
        self.pollers = [
            StreamPoller(table, self.lambdas.invoke, max_window_s=stream_window_s, release=_forget_iterator)
            for table in TABLES.values()
            if table.consumer
        ]
        self.queue_pollers = [
            QueuePoller(queue, self.lambdas.invoke, max_window_s=stream_window_s)
            for queue in QUEUES.values()
            if queue.consumer
        ]
        self.scheduler = Scheduler(send_to_queue)
        self._moto_started = False
        self._serving = threading.Thread(target=self.gateway.serve_forever, name="gateway", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Embedded AWS with every catalog resource, and the stream pollers; not serving yet."""
        self.moto.start()
        self._moto_started = True
        moto_host, moto_port = self.moto.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{moto_host}:{moto_port}"
        os.environ.setdefault("PUBLIC_BASE_URL", self.url)
        reset_clients()
        provision()
        for poller in [*self.pollers, *self.queue_pollers]:
            poller.start()
        self.scheduler.start()

    def serve(self) -> None:
        self._serving.start()

    def stop(self) -> None:
        if self._serving.is_alive():
            self.gateway.shutdown()
        self.gateway.server_close()
        self.scheduler.stop()
        for poller in [*self.pollers, *self.queue_pollers]:
            poller.stop()
        if self._moto_started:
            self.moto.stop()
            self._moto_started = False


def _forget_iterator(iterator: str) -> None:
    """moto keeps every shard iterator it issues (~2 KB each, four a second per shard): drop used ones.

    moto's iterators start with the stream's ARN, which names the region and the account.
    """
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    _, _, _, region, account, *_ = iterator.split(":")
    dynamodbstreams_backends[account][region].shard_iterators.pop(iterator, None)


def register_admin_key(raw: str | None) -> str:
    """Register `raw` (or a new key) with the admin scope and return it; ValueError if malformed."""
    from contentflow.security.service import create_key

    return create_key("local-admin", ("admin",), raw=raw or None)[0]


def run_dev(host: str = "127.0.0.1", port: int = 8000, *, stream_window_s: float = 1.0) -> int:
    prepare_environment()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for chatty in ("botocore", "werkzeug"):  # credentials found, moto's line per request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        runtime = LocalRuntime(host, port, stream_window_s=stream_window_s)
    except OSError as error:
        print(f"contentflow dev: cannot listen on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        runtime.start()
        given = os.environ.get("CONTENTFLOW_ADMIN_KEY", "").strip()
        try:
            raw = register_admin_key(given)
        except ValueError as error:
            print(f"contentflow dev: CONTENTFLOW_ADMIN_KEY is not a usable key: {error}", file=sys.stderr)
            return 2
        print(f"Admin API key: {'the one in CONTENTFLOW_ADMIN_KEY' if given else raw}", flush=True)
        print(f"Embedded AWS: {os.environ['AWS_ENDPOINT_URL']} (AWS_ENDPOINT_URL for the CLI)", flush=True)
        if not stop.is_set():  # a signal during start-up: stop without ever announcing readiness
            runtime.serve()
            print(READY.format(host=host, port=runtime.port), flush=True)
        while not stop.wait(0.5):
            pass
        log.info("stopping")
    finally:
        for sig, handler in previous.items():  # a second Ctrl-C interrupts a stuck shutdown
            signal.signal(sig, handler)
        runtime.stop()
    return 0

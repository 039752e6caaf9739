"""`contentflow dev`: the whole system on one machine, with no AWS account and no Docker.

The order of start-up is what makes the ready line trustworthy: the HTTP port is bound first (a
taken port fails before anything else starts), then the embedded AWS (moto's server, in-process,
on a free loopback port), the catalog's resources, the state saved by the last run (before any
poller runs, so restored items are not processed again), the stream pollers (their iterators exist
before any request can write), the queue pollers and the scheduler, the admin key, and only then
the gateway serves and the ready line is printed. SIGINT and SIGTERM stop it all in the reverse
order, saving the state once nothing writes any more and before the embedded AWS stops, and
`run_dev` returns 0 (1 if that save failed). See `local/state.py` for what survives a restart.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

from contentflow.aws import reset_clients
from contentflow.defaults import setting
from contentflow.local.embedded import embedded_aws
from contentflow.local.gateway import Gateway
from contentflow.local.lambdas import Lambdas
from contentflow.local.queues import QueuePoller
from contentflow.local.scheduler import Scheduler, send_to_queue
from contentflow.local.state import LocalState, Snapshot, StateError
from contentflow.local.streams import StreamPoller
from contentflow.resources import QUEUES, TABLES, provision

READY = "ContentFlow ready at http://{host}:{port}"
LOCAL_ADMIN = "local-admin"  # the name of the admin key `contentflow dev` registers
STATE_DIR = Path(".contentflow/local-state")  # under the directory it runs in, where `.env` is read
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
    """Embedded AWS, gateway and stream pollers: `start()`, `serve()`, `stop()`; tests use it too.

    With a `state`, what the last run saved is loaded at start and saved again at stop.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        stream_window_s: float = 1.0,
        state: LocalState | None = None,
    ) -> None:
        self.host = host
        self.state = state
        self.restored: Snapshot | None = None
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
        """Embedded AWS with every catalog resource and the saved state, and the pollers; not serving yet.

        StateError if the state is in use by another run or cannot be loaded.
        """
        if self.state:
            self.state.open()
        self.moto.start()
        self._moto_started = True
        moto_host, moto_port = self.moto.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL"] = f"http://{moto_host}:{moto_port}"
        os.environ.setdefault("PUBLIC_BASE_URL", self.url)
        reset_clients()
        provision()
        if self.state:
            self.restored = self.state.load()
        for poller in [*self.pollers, *self.queue_pollers]:
            poller.start()
        self.scheduler.start()
        if self.state:
            self.state.autosave()

    def serve(self) -> None:
        self._serving.start()

    def stop(self) -> bool:
        """Stop everything; False if the state could not be saved (the previous save is kept)."""
        if self._serving.is_alive():
            self.gateway.shutdown()
        self.gateway.server_close()
        self.scheduler.stop()
        for poller in [*self.pollers, *self.queue_pollers]:
            poller.stop()
        saved = True
        if self.state:
            saved = self.state.close()  # saves only once loaded, so never without the embedded AWS
        if self._moto_started:
            self.moto.stop()
            self._moto_started = False
        return saved


def _forget_iterator(iterator: str) -> None:
    """moto keeps every shard iterator it issues (~2 KB each, four a second per shard): drop used ones.

    moto's iterators start with the stream's ARN, which names the region and the account.
    """
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    _, _, _, region, account, *_ = iterator.split(":")
    dynamodbstreams_backends[account][region].shard_iterators.pop(iterator, None)


def register_admin_key(given: str | None) -> tuple[str, bool]:
    """The admin key to announce, and whether the restored state held it already.

    `given` (CONTENTFLOW_ADMIN_KEY) is registered unless it is there. Without it, an active
    `local-admin` key of the restored state is kept (announced by its id only: only its hash is
    stored, and it was printed when it was made), or a new key is made and returned whole.
    ValueError if `given` is malformed, or the state holds its id revoked, expired or for another key.
    """
    from contentflow.security import repository
    from contentflow.security.service import KEY_FORMAT, authenticate, create_key

    if given:
        match = KEY_FORMAT.match(given)
        known = repository.get_key(match.group(1), consistent=True) if match else None
        if known is None:
            return create_key(LOCAL_ADMIN, ("admin",), raw=given)[0], False  # ValueError if malformed
        if authenticate(f"Bearer {given}") is None:
            status = known.status if known.status != "active" else "a different key with the same id"
            raise ValueError(f"the saved local state holds key {known.key_id}: {status}")
        return given, True
    kept = [
        key
        for key in _all_keys()
        if key.name == LOCAL_ADMIN and "admin" in key.scopes and key.status == "active"
    ]
    if kept:
        return f"cf_{max(kept, key=lambda k: k.created_at).key_id}_…", True
    return create_key(LOCAL_ADMIN, ("admin",))[0], False


def _all_keys():
    from contentflow.security import repository

    cursor = None
    while True:
        keys, cursor = repository.keys_page(100, cursor)
        yield from keys
        if not cursor:
            return


def run_dev(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    stream_window_s: float = 1.0,
    state_dir: Path | None = STATE_DIR,
    reset: bool = False,
) -> int:
    """`contentflow dev`; the state is kept in `state_dir/<stage>.jsonl` (None: not kept)."""
    prepare_environment()
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for chatty in ("botocore", "werkzeug"):  # credentials found, moto's line per request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    state = LocalState(state_dir / f"{setting('STAGE')}.jsonl", reset=reset) if state_dir else None
    try:
        runtime = LocalRuntime(host, port, stream_window_s=stream_window_s, state=state)
    except OSError as error:
        print(f"contentflow dev: cannot listen on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            runtime.start()
        except StateError as error:
            print(f"contentflow dev: {error}", file=sys.stderr)
            return 2
        if state:
            print(_state_line(state, runtime.restored), flush=True)
        given = os.environ.get("CONTENTFLOW_ADMIN_KEY", "").strip()
        try:
            key, kept = register_admin_key(given)
        except ValueError as error:
            print(f"contentflow dev: CONTENTFLOW_ADMIN_KEY is not a usable key: {error}", file=sys.stderr)
            return 2
        if given:
            print("Admin API key: the one in CONTENTFLOW_ADMIN_KEY", flush=True)
        elif kept:  # no new key: the one printed before still works
            print(f"Admin API key: kept with the local state ({key}, as printed before)", flush=True)
        else:
            print(f"Admin API key: {key}", flush=True)
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
        saved = runtime.stop()
    return 0 if saved else 1


def _state_line(state: LocalState, restored: Snapshot | None) -> str:
    if restored:
        return f"Local state: restored from {state.path}, saved {restored.saved_at} ({restored.describe()})"
    if state.forgotten:
        return f"Local state: starting clean (--reset deleted {state.path}); saved there at stop"
    return f"Local state: none saved yet; saved to {state.path} at stop (--reset starts clean)"

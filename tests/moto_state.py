"""moto's state just after `provision()`, copied once and put back before each test.

Provisioning every catalog resource over HTTP takes ~0.5 s (more on a loaded machine) and nearly every
integration test wants a fresh AWS; putting the provisioned backends back takes a few milliseconds.
The embedded moto server runs in this process, so its backends are Python objects: pickled once
(moto's locks are recreated, unheld), unpickled for each test. `tests/integration/test_moto_state.py`
holds a restored AWS equal to a freshly provisioned one. A moto whose state cannot be copied makes
`take` return None, and tests provision as before.
"""

from __future__ import annotations

import copyreg
import pickle
import threading

# The services `contentflow.resources.provision` creates resources in (STS is only read).
SERVICES = ("dynamodb", "sqs", "s3", "secretsmanager", "appconfig", "events")
# SSM's backend does not pickle (a lambda in it): its parameters (the flag store's ids) are read and
# put back through the API instead.


for _lock in (threading.Lock(), threading.RLock()):
    copyreg.pickle(type(_lock), lambda lock, make=type(_lock): (make, ()))  # a copy holds no lock


def take() -> dict | None:
    from moto.backends import get_backend

    from contentflow.aws import client

    try:
        backends = {name: pickle.dumps(dict(get_backend(name))) for name in SERVICES}
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    pages = client("ssm").get_paginator("get_parameters_by_path").paginate(Path="/", Recursive=True)
    parameters = [(p["Name"], p["Value"], p["Type"]) for page in pages for p in page["Parameters"]]
    return {"backends": backends, "parameters": parameters}


def restore(state: dict) -> None:
    """Put the provisioned backends back (after moto's reset, which empties every service)."""
    from moto.backends import get_backend

    from contentflow.aws import client

    for name, data in state["backends"].items():
        backends = get_backend(name)
        backends.clear()
        backends.update(pickle.loads(data))  # our own bytes, taken in this process
    for name, value, type_ in state["parameters"]:
        client("ssm").put_parameter(Name=name, Value=value, Type=type_, Overwrite=True)

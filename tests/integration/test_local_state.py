"""The local state file: what `contentflow dev` saves at stop comes back, whole, into a fresh AWS."""

import json
import time
import urllib.request

import pytest

from contentflow import flags
from contentflow.aws import reset_clients
from contentflow.local import state
from contentflow.local.state import LocalState, StateError
from contentflow.resources import TABLES, provision, queue_url, secret_name, table_name
from contentflow.security.service import authenticate, create_key

BINARY_ITEM = {
    "pk": {"S": "test#binary"},
    "sk": {"S": "1"},
    "blob": {"B": b"\x00\xff"},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "nested": {"M": {"base64": {"L": [{"B": b"\x03"}, {"N": "1.5"}, {"NULL": True}]}}},
}


def _fresh_aws(moto_endpoint: str) -> None:
    """What a restart gives: an empty embedded AWS, provisioned again."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    reset_clients()
    provision()


def _tables(aws) -> dict[str, list[dict]]:
    dynamodb = aws("dynamodb")
    return {
        name: sorted(
            (
                item
                for page in dynamodb.get_paginator("scan").paginate(TableName=table_name(name))
                for item in page["Items"]
            ),
            key=repr,
        )
        for name in TABLES
    }


def _secrets(aws) -> dict[str, str]:
    """Straight from Secrets Manager: `secret_value()` caches what it read before the restart."""
    return {
        name: aws("secretsmanager").get_secret_value(SecretId=secret_name(name))["SecretString"]
        for name in ("postback-signing-key", "click-hash-salt", "reddit-credentials")
    }


def _records(path) -> list[dict]:
    """The saved records, without what may differ between two saves of the same state."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        record.pop("saved_at", None)
        if "delay_s" in record:
            record["delay_s"] = round(record["delay_s"], -2)  # 300 s waits, give or take a second
    return sorted(records, key=repr)


def _fill(aws, make_link) -> dict:
    """Some of everything a restart must keep."""
    link = make_link(utm={"campaign": "spring"})
    raw, _ = create_key("someone", ("links:read",))
    aws("dynamodb").put_item(TableName=table_name("state"), Item=BINARY_ITEM)
    sqs = aws("sqs")
    attributes = {
        "correlation_id": {"DataType": "String", "StringValue": "c-1"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    sqs.send_message(QueueUrl=queue_url("job_heartbeat"), MessageBody="visible", MessageAttributes=attributes)
    sqs.send_message(QueueUrl=queue_url("job_metrics_pull"), MessageBody="deferred", DelaySeconds=300)
    sqs.send_message(QueueUrl=queue_url("click_buffer"), MessageBody="in flight")
    assert sqs.receive_message(QueueUrl=queue_url("click_buffer"), VisibilityTimeout=300)["Messages"]
    sqs.send_message(QueueUrl=queue_url("job_watchdog", dead_letter=True), MessageBody="dead")
    aws("secretsmanager").put_secret_value(
        SecretId=secret_name("reddit-credentials"), SecretString='{"client_id": "x"}'
    )
    flags.set_flag("kill_switch", True)
    return {"code": link.code, "key": raw}


def test_a_saved_state_comes_back_whole_after_a_restart(aws, moto_endpoint, make_link, tmp_path, monkeypatch):
    made = _fill(aws, make_link)
    tables, secrets = _tables(aws), _secrets(aws)
    saved = state.save(tmp_path / "test.jsonl")
    assert saved.items["links"] == 1 and saved.items["api_keys"] == 1 and saved.messages == 4
    with monkeypatch.context() as other_moto:  # tables read with a Scan save the same
        other_moto.setattr(state, "_items_in_memory", lambda table: {}.pop("moto changed"))
        state.save(tmp_path / "scanned.jsonl")
    assert _records(tmp_path / "scanned.jsonl") == _records(tmp_path / "test.jsonl")

    _fresh_aws(moto_endpoint)
    assert _tables(aws)["links"] == [] and _secrets(aws) != secrets  # a restart alone forgets
    restored = state.load(tmp_path / "test.jsonl")

    assert restored.items == saved.items and restored.messages == 4
    assert _tables(aws) == tables  # binary and nested values included
    assert _secrets(aws) == secrets  # signatures and visitor hashes still match
    assert flags.snapshot()["kill_switch"] is True
    sqs = aws("sqs")
    [visible] = sqs.receive_message(
        QueueUrl=queue_url("job_heartbeat"), MessageAttributeNames=["All"], AttributeNames=["All"]
    )["Messages"]
    assert visible["Body"] == "visible" and visible["Attributes"]["ApproximateReceiveCount"] == "1"
    assert visible["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01"
    assert visible["MessageAttributes"]["correlation_id"]["StringValue"] == "c-1"
    # The deferred and the in-flight message keep waiting (what was left of their wait), the dead one stays dead.
    for name in ("job_metrics_pull", "click_buffer"):
        assert "Messages" not in sqs.receive_message(QueueUrl=queue_url(name))
        depth = sqs.get_queue_attributes(QueueUrl=queue_url(name), AttributeNames=["All"])["Attributes"]
        assert depth["ApproximateNumberOfMessagesDelayed"] == "1"
    [dead] = sqs.receive_message(QueueUrl=queue_url("job_watchdog", dead_letter=True))["Messages"]
    assert dead["Body"] == "dead"

    sqs.change_message_visibility(
        QueueUrl=queue_url("job_heartbeat"), ReceiptHandle=visible["ReceiptHandle"], VisibilityTimeout=0
    )
    sqs.change_message_visibility(
        QueueUrl=queue_url("job_watchdog", dead_letter=True),
        ReceiptHandle=dead["ReceiptHandle"],
        VisibilityTimeout=0,
    )
    state.save(tmp_path / "again.jsonl")  # and what was restored saves the same again
    assert _records(tmp_path / "again.jsonl") == _records(tmp_path / "test.jsonl")
    assert authenticate(f"Bearer {made['key']}") is not None


def test_a_cut_short_state_is_refused_and_never_overwritten(aws, moto_endpoint, make_link, tmp_path):
    _fill(aws, make_link)
    path = tmp_path / "test.jsonl"
    state.save(path)
    whole = path.read_text()
    path.write_text("".join(whole.splitlines(keepends=True)[:-1]))  # the trailer is missing
    _fresh_aws(moto_endpoint)

    local = LocalState(path)
    local.open()
    with pytest.raises(StateError, match=r"cut short.*--reset"):
        local.load()
    assert _tables(aws)["links"] == []  # nothing half loaded
    assert local.close() is True
    assert path.read_text() == whole.removesuffix(whole.splitlines(keepends=True)[-1])  # not saved over


def test_a_failed_save_keeps_the_previous_one_and_no_temporary_file(aws, make_link, tmp_path, monkeypatch):
    path = tmp_path / "test.jsonl"
    state.save(path)
    before = path.read_text()
    make_link()

    def unreadable():
        raise RuntimeError("flags unreadable")

    monkeypatch.setattr(state, "_flags", unreadable)
    with pytest.raises(RuntimeError):
        state.save(path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.jsonl"]


def test_one_run_per_state_file_and_reset_deletes_it(aws, tmp_path):
    path = tmp_path / "test.jsonl"
    state.save(path)
    first = LocalState(path)
    first.open()
    try:
        with pytest.raises(StateError, match="used by another contentflow dev"):
            LocalState(path, reset=True).open()
        assert path.is_file()  # the refused run forgot nothing
    finally:
        assert first.close() is True  # never loaded: nothing saved, the lock released
    resetting = LocalState(path, reset=True)
    resetting.open()
    assert resetting.forgotten and not path.exists()
    assert resetting.load() is None
    started = time.monotonic()
    assert resetting.close() is True
    assert path.is_file() and time.monotonic() - started < 2  # a clean start saves at stop


def test_it_saves_every_so_often_while_running(aws, make_link, tmp_path):
    path = tmp_path / "test.jsonl"
    running = LocalState(path, every_s=0.1)
    running.open()
    try:
        assert running.load() is None
        running.autosave()
        code = make_link().code
        deadline = time.monotonic() + 5
        while code not in (path.read_text() if path.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert code in path.read_text()  # what a crash (no clean stop) would find
    finally:
        assert running.close() is True


def test_the_admin_key_of_a_restored_state_is_kept_not_replaced(aws):
    from contentflow.local.runtime import register_admin_key
    from contentflow.security.service import new_raw_key, revoke_key

    made, kept = register_admin_key(None)
    assert made.startswith("cf_") and not kept
    assert register_admin_key(None) == (f"{made.rsplit('_', 1)[0]}_…", True)  # its id, never the secret
    given = new_raw_key()
    assert register_admin_key(given) == (given, False)
    assert register_admin_key(given) == (given, True)  # CONTENTFLOW_ADMIN_KEY, restored: no conflict
    revoke_key(given.split("_")[1])
    with pytest.raises(ValueError, match="revoked"):
        register_admin_key(given)
    revoke_key(made.split("_")[1])
    fresh, kept = register_admin_key(None)
    assert not kept and authenticate(f"Bearer {fresh}") is not None  # a revoked one is replaced

"""A client that hangs up on the local gateway is one warning line, not a traceback."""

import logging
import socket
import struct
import threading
import time

from contentflow.local.gateway import Gateway
from contentflow.resources import PUBLIC, Route


class _SlowBigAnswer:
    """Answers with 8 MB once the test says the client is gone, so the response meets a closed socket."""

    def __init__(self) -> None:
        self.invoked, self.client_gone = threading.Event(), threading.Event()

    def invoke(self, function: str, event: dict) -> dict:
        self.invoked.set()
        self.client_gone.wait(5)
        return {"statusCode": 200, "body": "x" * 8 * 1024 * 1024}


def test_a_client_gone_mid_response_is_one_warning_line(caplog, capsys):
    lambdas = _SlowBigAnswer()
    gateway = Gateway("127.0.0.1", 0, lambdas, routes=(Route("GET", "/big", "f", PUBLIC),))
    serving = threading.Thread(target=gateway.serve_forever, daemon=True)
    serving.start()
    caplog.set_level(logging.INFO, logger="local.gateway")
    try:
        client = socket.create_connection(gateway.server_address)
        client.sendall(b"GET /big?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert lambdas.invoked.wait(5)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not FIN
        client.close()
        lambdas.client_gone.set()
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        gateway.shutdown()
        gateway.server_close()
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None
    message = record.getMessage()
    assert message.startswith("GET /big?x=1: client disconnected (")
    assert message.endswith(("(BrokenPipeError)", "(ConnectionResetError)"))
    assert "Traceback" not in capsys.readouterr().err


def test_a_connection_reset_between_requests_is_one_warning_line(caplog, capsys):
    gateway = Gateway("127.0.0.1", 0, _SlowBigAnswer(), routes=())
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError:
            gateway.handle_error(None, ("10.0.0.9", 50000))
    finally:
        gateway.server_close()
    assert [r.getMessage() for r in caplog.records] == ["client 10.0.0.9 disconnected: ConnectionResetError"]
    assert capsys.readouterr().err == ""

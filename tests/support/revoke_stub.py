"""A buyer's revocation endpoint on loopback (docs/buyer-protocol.md, "Revocation"): a real
HTTP server in a thread that records every call, answers 503 while ``down``, and acknowledges
each idempotency key once as an idempotent buyer would (a repeat is answered 200 again, and is
not a second revocation)."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.server import ServerProcess
from tests.support.system import System, workspace


class RevokeStub:
    def __init__(self) -> None:
        self.down = False
        self.calls: list[dict[str, Any]] = []  # every call: its key, body, and the answer
        self.revoked: dict[str, dict[str, Any]] = {}  # acknowledged, by idempotency key
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                key = self.headers.get("Idempotency-Key", "")
                with stub._lock:
                    status = 503 if stub.down else 200
                    stub.calls.append({"key": key, "body": body, "status": status})
                    if status == 200:
                        stub.revoked.setdefault(key, body)
                answer = json.dumps({"acknowledged": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/revoke"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def keys(self) -> list[str]:
        with self._lock:
            return [c["key"] for c in self.calls]


@contextmanager
def revoking_system(
    backend: str, fleet: ThreadedFleet, tmp_path: Path, stubs: dict[str, RevokeStub], every_s: str
) -> Iterator[tuple[System, dict[str, Any]]]:
    """A server over the fleet whose buyers in ``stubs`` have those stubs as ``revoke_url``;
    ``every_s``: how often its own worker delivers. Also the workspace it runs."""
    data = workspace(fleet.base_urls)
    for campaign in data["campaigns"]:
        for buyer in campaign["buyers"]:
            if buyer["id"] in stubs and buyer.get("mapping") is None:
                buyer["revoke_url"] = stubs[buyer["id"]].url
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(data))
    with deployment_urls(backend, tmp_path) as (database_url, redis_url):
        server = ServerProcess(
            path, database_url, tmp_path / "server.log", redis_url,
            env={"PICKPOST_REVOCATION_EVERY_S": every_s},
        )  # fmt: skip
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield System(server, fleet, database_url, http), data

"""``pickpost serve`` in a subprocess, on a free port, as a user would run it."""

import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from pickpost.bench.processes import free_port
from tests.support.databases import redis_prefix

ADMIN_TOKEN = "test-admin-token-not-a-secret"


class ServerProcess:
    def __init__(
        self,
        workspace: Path,
        database_url: str,
        log_path: Path,
        redis_url: str | None = None,
        *,
        workers: int = 1,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._args = [
            sys.executable,
            "-m",
            "pickpost",
            "serve",
            "--workspace",
            str(workspace),
            "--database",
            database_url,
            "--port",
            str(self.port),
        ]
        if redis_url:
            self._args += ["--redis", redis_url]
        if workers > 1:
            self._args += ["--workers", str(workers)]
        self._log_path = log_path
        self._database_url = database_url
        self._process: subprocess.Popen[bytes] | None = None
        self._env = env or {}

    def start(self, timeout_s: float = 30.0) -> None:
        env = {
            **os.environ,
            "PICKPOST_ADMIN_TOKEN": ADMIN_TOKEN,
            "PICKPOST_REDIS_PREFIX": redis_prefix(self._database_url),
            # Load shedding only where a test is about it (test_overload.py sets its own): a
            # test of selling once must not meet a busy refusal on a loaded CI machine.
            "PICKPOST_MIN_IN_FLIGHT": "256",
            "PICKPOST_MAX_QUEUE_MS": "10000",
            **self._env,
        }
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._args, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        until = time.monotonic() + timeout_s
        while time.monotonic() < until:
            if self._process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError(f"server did not come up:\n{self.log()}")

    @property
    def pid(self) -> int:
        """The server's process: with workers, their supervisor."""
        assert self._process is not None, "not started"
        return self._process.pid

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")

    def stop(self) -> int | None:
        """Stop with SIGTERM, as a service manager would; the exit code, if it was running."""
        if self._process is None or self._process.poll() is not None:
            return None
        self._process.terminate()
        return self._process.wait(timeout=30)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

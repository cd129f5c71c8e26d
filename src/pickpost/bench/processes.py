"""The processes a step runs against, each started as a user would: fleet, server, baseline."""

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import aiohttp
import psutil

from pickpost.bench.fleet import FleetPlan

_START_TIMEOUT_S = 60.0


class ServiceError(RuntimeError):
    """A process the bench needs did not start; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Service:
    """A child process with its output in a log file; stopped (SIGTERM, then kill) on exit."""

    def __init__(
        self, name: str, args: list[str], log_path: Path, stdout_pipe: bool = False
    ) -> None:
        self.name = name
        self._log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        env = {**os.environ, "PICKPOST_LOG_LEVEL": "warning", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
            env=env,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def failure(self, what: str) -> ServiceError:
        self._log.flush()
        tail = self._log_path.read_text(errors="replace")[-3000:]
        return ServiceError(f"{self.name}: {what}; its log ({self._log_path}):\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    async def wait_healthy(self, base_url: str) -> None:
        """Return once ``GET /healthz`` answers 200."""
        loop = asyncio.get_running_loop()
        until = loop.time() + _START_TIMEOUT_S
        async with aiohttp.ClientSession() as session:
            while loop.time() < until:
                if self.process.poll() is not None:
                    raise self.failure("exited")
                try:
                    async with session.get(f"{base_url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise self.failure("not healthy in time")


def _pickpost(*args: str) -> list[str]:
    return [sys.executable, "-m", "pickpost", *args]


async def start_fleet(plan: FleetPlan, workdir: Path) -> tuple[Service, dict[str, str]]:
    """The bench's fleet (``pickpost.bench.fleet_server``) for ``plan``, and
    ``{buyer_id: base_url}`` once all are bound."""
    args = [sys.executable, "-m", "pickpost.bench.fleet_server", "--buyers", str(plan.buyers)]
    args += ["--low-ms", str(plan.low_ms), "--high-ms", str(plan.high_ms)]
    args += ["--post-delay-ms", str(plan.post_delay_ms)]
    if plan.hanging:
        args.append("--hanging")
    fleet = Service("simulated fleet", args, workdir / "fleet.log", stdout_pipe=True)
    assert fleet.process.stdout is not None
    urls: dict[str, str] = {}
    try:
        while len(urls) < len(plan.buyer_ids()):
            line = await asyncio.wait_for(
                asyncio.to_thread(fleet.process.stdout.readline), _START_TIMEOUT_S
            )
            if not line:
                raise fleet.failure("exited")
            # "<buyer_id> ping=<base>/ping post=<base>/post"
            buyer_id, ping, _ = line.decode().split()
            urls[buyer_id] = ping.removeprefix("ping=").removesuffix("/ping")
    except BaseException:
        fleet.stop()
        raise
    return fleet, urls


def server_args(
    workspace: dict[str, object],
    workdir: Path,
    port: int,
    database: str,
    redis: str | None,
    workers: int,
) -> list[str]:
    """``pickpost serve`` with the workspace written to ``workdir``."""
    path = workdir / f"workspace-{port}.json"
    path.write_text(json.dumps(workspace))
    args = ["serve", "--workspace", str(path), "--database", database, "--port", str(port)]
    if redis:
        args += ["--redis", redis]
    if workers > 1:
        args += ["--workers", str(workers)]
    return _pickpost(*args)


def baseline_args(plan_urls: list[str], port: int, deadline_ms: int) -> list[str]:
    """The bare aiohttp fan-out (``pickpost.bench.baseline``) to the given ping URLs."""
    args = [sys.executable, "-m", "pickpost.bench.baseline", "--port", str(port)]
    args += ["--deadline-ms", str(deadline_ms)]
    for url in plan_urls:
        args += ["--buyer", url]
    return args


def serve_supports_workers() -> bool:
    """Whether this version of ``pickpost serve`` has ``--workers``."""
    help_text = subprocess.run(
        _pickpost("serve", "--help"),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    return "--workers" in help_text


class ProcessTree:
    """CPU time and memory of a process and all its descendants (workers, helpers).

    Finding the descendants reads every process's ``/proc/<pid>/stat``: sampled every 0.2 s
    it was a fifth of the generator's CPU. So they are found again only when CPU is read (at a
    step's start and end) or when one of them has gone, and memory samples use the last list.
    """

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._members = self._find()

    def _find(self) -> list[psutil.Process]:
        try:
            return [self._root, *self._root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_s(self) -> dict[int, float]:
        """User + system CPU seconds so far, by pid."""
        self._members = self._find()
        used = {}
        for process in self._members:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used[process.pid] = times.user + times.system
        return used

    def rss_bytes(self) -> int:
        total, gone = 0, False
        for process in self._members:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                gone = True
        if gone:
            self._members = self._find()
        return total


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two readings; a process born in between counts from zero."""
    return sum(used - before.get(pid, 0.0) for pid, used in after.items())

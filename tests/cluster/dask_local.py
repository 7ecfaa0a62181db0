"""A real Dask cluster on 127.0.0.1 for the tests: ``dask scheduler`` and ``dask worker``
processes of this venv, on free ports, torn down by pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalCluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path | None = None

    def add_worker(self, nthreads: int = 1) -> subprocess.Popen[bytes]:
        """A ``dask worker`` without a nanny: killing it kills the worker, nothing restarts it."""
        assert self.logs is not None
        command = [str(BIN / "dask"), "worker", self.address, "--nthreads", str(nthreads)]
        command += ["--no-nanny", "--no-dashboard", "--host", "127.0.0.1"]
        with open(self.logs / f"worker{len(self.workers)}.log", "wb") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_env())
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, n: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout)

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


@contextmanager
def local_cluster(logs: Path, workers: int = 2, nthreads: int = 1) -> Iterator[LocalCluster]:
    """A scheduler and ``workers`` worker processes of ``nthreads`` threads each."""
    port = free_port()
    command = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port)]
    with open(logs / "scheduler.log", "wb") as log:
        scheduler = subprocess.Popen(
            [*command, "--no-dashboard"], stdout=log, stderr=subprocess.STDOUT, env=_env()
        )
    cluster = LocalCluster(f"tcp://127.0.0.1:{port}", scheduler, logs=logs)
    try:
        _wait_for_port(port, scheduler)
        for _ in range(workers):
            cluster.add_worker(nthreads)
        if workers:
            cluster.wait_for_workers(workers)
        yield cluster
    finally:
        cluster.stop()


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, "the scheduler exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"no scheduler on port {port} after {timeout} s")

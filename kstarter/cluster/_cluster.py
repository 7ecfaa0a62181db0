"""The client side of ``--cluster tcp://HOST:PORT``: connect to an existing Dask distributed
scheduler, check its workers, and send a run's fold fits to them as tasks.

Checked at connect, each a sentence and a non-zero exit: a scheduler that does not answer, one
without workers, a worker whose kstarter, LightGBM, XGBoost, CatBoost (or scikit-learn, numpy,
pandas) version differs from this machine's, a worker that cannot read the project's prepared
data at the same path. A worker killed in the middle of a fit loses only that fit: the
scheduler runs it again on another worker (Dask's ``allowed-failures``); the run is written by
this process once every fold is back, as a local run is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstarter.cluster._task import SHARED_PATH, FitJob, can_read, fit_task, versions
from kstarter.errors import ClusterError

if TYPE_CHECKING:
    from kstarter.crossval import Prepared
    from kstarter.models import FoldOutput

__all__ = ["Cluster", "ClusterFits", "connect", "version_mismatch", "CONNECT_SECONDS"]

CONNECT_SECONDS = 10.0  # how long a scheduler may take to answer
_WORKERS_SECONDS = 10.0  # how long a scheduler without workers may take to get one


def version_mismatch(
    mine: dict[str, str | None], workers: dict[str, dict[str, str | None]]
) -> str | None:
    """The first worker library whose version differs from this machine's, as a sentence;
    None when every worker has this machine's versions."""
    for address in sorted(workers):
        for name, version in mine.items():
            theirs = workers[address].get(name)
            if theirs != version:
                return (
                    f"The Dask worker {address} has {name} {theirs or '(not installed)'}, "
                    f"this machine {version or '(not installed)'}: install the same versions "
                    "of kstarter and the model libraries on every machine, then run again."
                )
    return None


@dataclass
class Cluster:
    """A connected scheduler and what its workers offer."""

    address: str
    client: Any  # distributed.Client
    threads: dict[str, int]  # worker address -> its threads

    @property
    def workers(self) -> int:
        return len(self.threads)

    @property
    def cores(self) -> int:
        return sum(self.threads.values())

    def check_project(self, prep: Prepared) -> None:
        """Every worker can read the project's prepared data at the same path."""
        key = _cache_key(prep)
        seen = self.client.run(can_read, str(prep.project.root), key)
        blind = sorted(a for a, ok in seen.items() if not ok)
        if blind:
            raise ClusterError(
                f"The Dask worker {blind[0]} cannot read the project's prepared data under "
                f"{prep.project.root}: {SHARED_PATH}."
            )

    def job(self, prep: Prepared, **model: Any) -> FitJob:
        """A run's fits as tasks: the model's family, parameters, seed and limits."""
        return FitJob(
            root=str(prep.project.root),
            key=_cache_key(prep),
            folds_hash=prep.folds.hash,
            versions=versions(),
            **model,
        )

    def fits(self, job: FitJob, n_folds: int) -> ClusterFits:
        return ClusterFits(self, job, n_folds)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(address: str) -> Cluster:
    """The scheduler at ``address``, its workers checked."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "--cluster needs Dask distributed on this machine: pip install 'kstarter[dask]' "
            '(or pip install "distributed>=2024.1") in the clone.'
        ) from None
    if not address.startswith(("tcp://", "tls://")) or ":" not in address[6:]:
        raise ClusterError(
            f"--cluster {address!r} is not a scheduler address: give tcp://HOST:PORT, as "
            "`dask scheduler` prints it (its port is 8786 unless told otherwise)."
        )
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"No Dask scheduler answered at {address} within {CONNECT_SECONDS:g} s "
            f"({_first_line(exc)}): start one with `dask scheduler` on that machine, check "
            "the address and port, and that a firewall lets this machine through."
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=_WORKERS_SECONDS)
        except TimeoutError:
            raise ClusterError(
                f"The Dask scheduler at {address} has no workers: start `dask worker "
                f"{address}` on each machine that should train."
            ) from None
        found = version_mismatch(versions(), client.run(versions))
        if found is not None:
            raise ClusterError(found)
        threads = {a: int(n) for a, n in client.nthreads().items()}
    except BaseException:
        client.close()
        raise
    return Cluster(address, client, threads)


class ClusterFits:
    """One run's folds as Dask tasks, sent all at once and read back in fold order (the
    :class:`kstarter.crossval.Fits` a run's cross-validation takes). A worker that dies
    in the middle of one is replaced by the scheduler, which runs the task again elsewhere;
    the tasks still queued are cancelled when the run stops early."""

    def __init__(self, cluster: Cluster, job: FitJob, n_folds: int) -> None:
        self.cluster, self.job, self.n_folds = cluster, job, n_folds
        self.threads: int | None = None  # the threads the workers trained with (the first's)
        self.tag = uuid.uuid4().hex[:8]

    def folds(self) -> Iterator[tuple[FoldOutput, float]]:
        client = self.cluster.client
        futures = [
            client.submit(fit_task, self.job, k, key=f"kstarter-{self.tag}-fold{k}", pure=False)
            for k in range(self.n_folds)
        ]
        try:
            for future in futures:
                out, seconds, threads = self._result(future)
                self.threads = self.threads or threads
                yield out, seconds
        finally:
            client.cancel([f for f in futures if not f.done()])

    def refit(self, rounds: int) -> FoldOutput:
        client = self.cluster.client
        last = self.n_folds - 1
        key = f"kstarter-{self.tag}-refit"
        future = client.submit(fit_task, self.job, last, rounds, key=key, pure=False)
        out, _, _ = self._result(future)
        return out

    def _result(self, future: Any) -> tuple[FoldOutput, float, int]:
        from distributed import KilledWorker

        try:
            result: tuple[FoldOutput, float, int] = future.result()
        except KilledWorker:
            raise ClusterError(
                f"Dask workers died running {future.key} again and again (out of memory?): "
                "start workers with more memory each (`dask worker --memory-limit`), or fewer "
                "of them on one machine."
            ) from None
        except OSError as exc:  # the scheduler went away (CommClosedError is an OSError)
            raise ClusterError(
                f"The Dask scheduler at {self.cluster.address} stopped answering "
                f"({_first_line(exc)}): nothing of this run was written; start it again."
            ) from None
        return result


def _cache_key(prep: Prepared) -> str:
    store = prep.matrices.store
    if store is None:
        raise ClusterError(
            "The project's prepared data is not in its cache (.kstarter/cache), which the Dask "
            "workers read: check that the project folder is writable, then run again."
        )
    return store.name


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""The versions check of ``--cluster``: on this machine's real versions, and on real workers
handed a client that reports other ones."""

from __future__ import annotations

import pytest

from kstarter.cluster import FitJob, fit_task, version_mismatch, versions
from kstarter.errors import ClusterError

pytest.importorskip("distributed")


def test_the_same_versions_pass_and_any_other_one_is_named() -> None:
    mine = versions()
    assert mine["kstarter"] and mine["lightgbm"]  # read from the installed packages
    workers = {"tcp://10.0.0.2:4000": dict(mine), "tcp://10.0.0.3:4000": dict(mine)}
    assert version_mismatch(mine, workers) is None
    workers["tcp://10.0.0.3:4000"]["lightgbm"] = "4.6.0"
    found = version_mismatch(mine, workers)
    assert found is not None
    assert "tcp://10.0.0.3:4000 has lightgbm 4.6.0" in found
    assert f"this machine {mine['lightgbm']}" in found and "same versions" in found
    del workers["tcp://10.0.0.3:4000"]["catboost"]
    workers["tcp://10.0.0.3:4000"]["lightgbm"] = mine["lightgbm"]
    assert "catboost (not installed)" in (version_mismatch(mine, workers) or "")


@pytest.mark.slow
def test_real_workers_compare_their_versions_with_the_clients(tmp_path) -> None:
    """At connect every worker's versions are read (client.run); a task also checks them
    against the client's it carries, so a worker that joins later is checked too."""
    from dask_local import local_cluster
    from distributed import Client

    with local_cluster(tmp_path, workers=1) as c, Client(c.address, set_as_default=False) as cl:
        assert version_mismatch(versions(), cl.run(versions)) is None
        other = {**versions(), "lightgbm": "0.0.1"}
        job = FitJob(str(tmp_path), "nokey", "nohash", "lightgbm", {}, 0, versions=other)
        with pytest.raises(ClusterError, match="has lightgbm .* running kstarter 0.0.1"):
            cl.submit(fit_task, job, 0, pure=False).result()


def test_without_cluster_dask_is_never_imported() -> None:
    """train and auto import kstarter.cluster, which imports Dask only when it connects."""
    import subprocess
    import sys

    code = (
        "import sys, kstarter.cli, kstarter.train, kstarter.auto\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

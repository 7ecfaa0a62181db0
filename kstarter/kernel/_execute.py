"""Run one notebook in this (fresh) process with nbclient, as ``kstarter kernel check`` asks:
``python -m kstarter.kernel._execute NOTEBOOK WORKDIR TIMEOUT RESULT``.

The kernel talks to this process over Unix sockets (``transport="ipc"``), so it runs in a
network namespace with no interface up. Every exception is written to RESULT as data (its
class, message and the cell it came from), never raised: the caller classifies it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]


def main(argv: list[str]) -> int:
    notebook, workdir, timeout, result = Path(argv[0]), Path(argv[1]), float(argv[2]), argv[3]
    started = time.monotonic()
    out: dict[str, Any] = {"status": "ok"}
    try:
        out["peak_mb"] = _run(notebook, workdir, timeout)
    except Exception as exc:  # the notebook's failure, as data
        out = _failure(exc)
    out["seconds"] = round(time.monotonic() - started, 2)
    Path(result).write_text(json.dumps(out), encoding="utf-8")
    return 0


# run after the notebook's cells, then removed: the kernel's peak resident memory
_PEAK_CELL = """\
with open("/proc/self/status") as _status:
    print(next((l.split()[1] for l in _status if l.startswith("VmHWM")), "0"))
"""


def _run(notebook: Path, workdir: Path, timeout: float) -> float:
    """Execute the notebook; the kernel's peak memory in MB (0 where /proc has none)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_PEAK_CELL))
    km = KernelManager(kernel_name="python3", transport="ipc")
    km.connection_file = str(workdir / ".kernel-connection.json")
    km.ip = str(workdir / ".kernel-ipc")
    client = NotebookClient(
        nb,
        km=km,
        timeout=int(timeout),
        startup_timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute()
    finally:
        peak = nb.cells.pop()
        nbformat.write(nb, workdir / "notebook.executed.ipynb")
    text = "".join(o.get("text", "") for o in peak.get("outputs", []))
    try:
        return round(float(text.strip() or 0) / 1024, 1)
    except ValueError:
        return 0.0


def _failure(exc: Exception) -> dict[str, Any]:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(exc, CellTimeoutError):
        return {"status": "timeout", "message": str(exc).splitlines()[0] if str(exc) else ""}
    if isinstance(exc, CellExecutionError):
        return {"status": "exception", "ename": exc.ename, "evalue": exc.evalue}
    if isinstance(exc, DeadKernelError):
        return {"status": "exception", "ename": "DeadKernelError", "evalue": str(exc)}
    return {"status": "exception", "ename": type(exc).__name__, "evalue": str(exc)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

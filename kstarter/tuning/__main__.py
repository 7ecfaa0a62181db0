"""``python -m kstarter.tuning``: one tuning worker started by ``kstarter tune --workers``.

It reads its :class:`~kstarter.tuning.WorkerPlan` as JSON from stdin (so a storage
password never shows in the process list) and runs trials until the plan's budget is met.
Exit codes: 0 done, 1 a kstarter error or a disk's (its sentence is printed), 130
interrupted.
"""

from __future__ import annotations

import json
import signal
import sys


def main() -> int:
    from kstarter.errors import KstarterError, disk_error
    from kstarter.tuning._workers import WorkerPlan, run_worker

    # `kill` (and the parent stopping its workers) fails the trial in flight like Ctrl-C does
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run_worker(WorkerPlan(**json.loads(sys.stdin.read())))
    except KstarterError as exc:
        print(f"tuning worker: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk: the sentence the command itself would say
        print(f"tuning worker: {disk_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

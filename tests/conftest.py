"""Shared helpers: run the installed ``kstarter`` command, build Kaggle-shaped zips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def kstarter_command() -> str:
    """The installed console script next to this interpreter (not an in-process import)."""
    exe = BIN / "kstarter"
    if exe.exists():
        return str(exe)
    found = shutil.which("kstarter")
    if not found:
        pytest.fail("the kstarter command is not installed: pip install '.[test]' first")
    return found


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE_")}
    env["HOME"] = str(home)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


class Runner:
    def __init__(self, home: Path) -> None:
        self.env = clean_env(home)

    def __call__(
        self, *args: str, cwd: Path, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [kstarter_command(), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kstarter {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def start(self, *args: str, cwd: Path) -> subprocess.Popen[str]:
        """Start the command without waiting (to signal it, or to run two at once)."""
        return subprocess.Popen(
            [kstarter_command(), *args],
            cwd=cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


def edit_config(project: Path, changes: Mapping[str, Mapping]) -> None:
    """Merge ``changes`` (section -> values) into the project's kstarter.yaml."""
    import yaml

    path = project / "kstarter.yaml"
    cfg = yaml.safe_load(path.read_text())
    for section, values in changes.items():
        cfg.setdefault(section, {}).update(values)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def fast_practice(
    factory: pytest.TempPathFactory, comp: str, rounds: int = 150, stopping: int = 15
) -> Path:
    """A practice project made by the installed command, trained fast (``rounds`` LightGBM
    rounds at most, early stopping after ``stopping``, one thread): a template to copy per test."""
    where = factory.mktemp("template")
    Runner(factory.mktemp("home"))("init", f"practice/{comp}", cwd=where)
    fast = {"num_boost_round": rounds, "early_stopping_rounds": stopping, "threads": 1}
    edit_config(where / comp, {"model": fast})
    return where / comp


def copy_project(template: Path, tmp_path: Path) -> Path:
    """A copy of ``template`` in ``tmp_path``, under the same name."""
    dest = tmp_path / template.name
    shutil.copytree(template, dest)
    return dest


# A test that runs the installed command is end to end: `-m "not slow"` leaves it out.
SLOW_FIXTURES = {"ks", "practice_run"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def ks(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the installed command: ``ks("init", "practice/x", cwd=tmp_path)``."""
    return Runner(tmp_path_factory.mktemp("home"))


def assert_clean_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """A foreseeable problem: non-zero exit, one ``Error:`` sentence, no traceback."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def make_zip(path: Path, files: Mapping[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return path


def csv_text(header: list[str], rows: list[list]) -> str:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def practice_names() -> list[str]:
    from kstarter.sources import list_practice

    return [p.name for p in list_practice()]


@pytest.fixture(scope="session")
def practice_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, subprocess.CompletedProcess]]:
    """Every practice competition, made once by the installed command: (folder, processes)."""
    from kstarter.sources import list_practice

    names = [info.name for info in list_practice()]
    run = Runner(tmp_path_factory.mktemp("home"))
    cwd = tmp_path_factory.mktemp("practice")

    def init(name: str) -> subprocess.CompletedProcess:
        return run("init", f"practice/{name}", cwd=cwd, check=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = dict(zip(names, pool.map(init, names), strict=True))
    return cwd, procs


@pytest.fixture
def practice_project(
    practice_run: tuple[Path, dict[str, subprocess.CompletedProcess[str]]],
    request: pytest.FixtureRequest,
) -> tuple[Path, subprocess.CompletedProcess]:
    """One of :func:`practice_run`'s projects, by name: parametrize it with ``indirect=True``."""
    cwd, procs = practice_run
    name = request.param
    proc = procs[name]
    assert proc.returncode == 0, proc.stderr
    return cwd / name, proc

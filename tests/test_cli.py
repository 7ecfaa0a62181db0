"""The command line: every command has help with an example, ``python -m kstarter`` works, and
``--help`` imports nothing heavy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Runner

HEAVY = {"pandas", "numpy", "lightgbm", "sklearn", "optuna", "kaggle", "matplotlib"}


def test_every_command_has_help_with_an_example(ks: Runner, tmp_path: Path) -> None:
    from kstarter.cli import cli

    commands = sorted(cli.commands)
    assert {"init", "practice", "train", "runs", "submit"} <= set(commands)
    for args in ([], *([name] for name in commands)):
        for flag in ("--help", "-h"):
            proc = ks(*args, flag, cwd=tmp_path)
            usage = " ".join(["Usage: kstarter", *args])
            assert proc.stdout.startswith(usage), proc.stdout
            assert "Example" in proc.stdout, f"kstarter {' '.join(args)} --help has no example"
            assert proc.stderr == ""


@pytest.mark.slow  # runs the command
def test_python_dash_m_kstarter(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kstarter", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: kstarter ")
    assert "Example" in proc.stdout
    assert "init" in proc.stdout


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from kstarter.cli import cli\n"
        "for args in [[], *([name] for name in sorted(cli.commands))]:\n"
        "    assert cli.main([*args, '--help'], prog_name='kstarter', standalone_mode=False) == 0\n"
        f"heavy = {sorted(HEAVY)!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"

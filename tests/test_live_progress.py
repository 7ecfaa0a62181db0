"""At a terminal, `kstarter train` shows a live line while a fold trains: the fold, its round,
the time spent in it and an estimate of the time left, so a long run never looks hung. The
line is redrawn in place and cleared before each fold's own line; pipes get no live line."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess

import pytest
from conftest import clean_env, copy_project, fast_practice, kstarter_command

from kstarter.train import LiveLine


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _line(stream: io.StringIO) -> str:
    """What the terminal shows last: the text after the last carriage return."""
    return stream.getvalue().rsplit("\r", 1)[-1].replace("\x1b[K", "")


def test_the_first_fold_says_when_the_time_left_is_known() -> None:
    clock, out = Clock(), io.StringIO()
    live = LiveLine(5, refit=False, stream=out, clock=clock)
    clock.now += 3
    live.round(40)
    assert _line(out) == "  fold 1/5: round 40, 0:03 in it, time left known after fold 1"


@pytest.mark.parametrize(("refit", "left"), [(False, "0:36"), (True, "0:46")])
def test_the_time_left_is_the_mean_fold_for_each_fold_to_go(refit: bool, left: str) -> None:
    clock, out = Clock(), io.StringIO()
    live = LiveLine(5, refit=refit, stream=out, clock=clock)
    clock.now += 10
    live.fold_done()  # fold 1 took 10 s
    clock.now += 4
    live.round(7)
    # 4 folds to go (5 with the refit) at 10 s each, 4 s of the current one spent
    assert _line(out) == f"  fold 2/5: round 7, 0:04 in it, about {left} left"


def test_the_line_is_redrawn_at_most_twice_a_second_and_cleared_for_fold_lines() -> None:
    clock, out = Clock(), io.StringIO()
    live = LiveLine(2, refit=False, stream=out, clock=clock)
    for n in range(1, 101):  # 100 rounds in 0.99 s
        clock.now += 0.0099
        live.round(n)
    assert out.getvalue().count("\r") == 2
    live.fold_done()
    assert out.getvalue().endswith("\r\x1b[K") and _line(out) == ""
    live.clear()  # nothing drawn since: nothing written
    assert out.getvalue().count("\r") == 3


def test_past_the_folds_the_refit_is_named() -> None:
    clock, out = Clock(), io.StringIO()
    live = LiveLine(2, refit=True, stream=out, clock=clock)
    for _ in range(2):
        clock.now += 60
        live.fold_done()
    clock.now += 3700
    live.round(900)
    assert _line(out) == "  refit on all rows: round 900, 1:01:40 in it, about 0:00 left"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    return fast_practice(tmp_path_factory, "penguins-species")


def _on_a_terminal(args: list[str], cwd, env) -> tuple[int, str]:
    """Run the command with stdout and stderr on a pseudo-terminal, as a person would."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 300)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode()


@pytest.mark.slow  # runs the installed command
def test_train_at_a_terminal_shows_rounds_and_time_left(template, tmp_path) -> None:
    project = copy_project(template, tmp_path)
    env = clean_env(tmp_path)
    code, screen = _on_a_terminal([kstarter_command(), "train"], project, env)
    assert code == 0, screen
    assert "fold 1/5: round 1, 0:00 in it, time left known after fold 1" in screen
    assert "\x1b[K" in screen  # drawn in place
    # every fold's own line stays, each on a cleared line
    for k in range(1, 6):
        assert f"\r\x1b[Kfold {k}/5" in screen or f"\nfold {k}/5" in screen
    # and through a pipe, no live line at all
    piped = subprocess.run(
        [kstarter_command(), "train"], cwd=project, env=env, capture_output=True, text=True
    )
    assert piped.returncode == 0 and "\x1b[K" not in piped.stderr + piped.stdout

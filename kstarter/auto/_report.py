"""What ``kstarter auto`` prints at the end: its leaderboard, the final run and what to try
next."""

from __future__ import annotations

from kstarter.auto._budget import format_budget, format_seconds
from kstarter.auto._run import AutoResult, pack_line

__all__ = ["summary_lines"]


def summary_lines(result: AutoResult) -> list[str]:
    better = "higher" if result.direction == "maximize" else "lower"
    sign = 1.0 if result.direction == "maximize" else -1.0
    lines = [
        f"Leaderboard ({result.metric}, {better} is better; a blend's honest CV is its nested "
        "CV, its weights fitted without the fold they score):",
        f"  {'':1} {'run':<34} {'what':<24} {'CV mean ± std':>20} {'honest CV':>10} {'s':>7}",
    ]
    for e in sorted(result.entries, key=lambda e: -sign * e.honest):
        star = "*" if e.run == result.final else ""
        cv = f"{e.cv_mean:.5f} ± {e.cv_std:.5f}"
        sec = f"{e.seconds:.1f}" if e.seconds is not None else ""
        note = "" if e.status != "reused" else "  (reused)"
        lines.append(
            f"  {star:1} {e.run:<34} {e.what:<24} {cv:>20} {e.honest:>10.5f} {sec:>7}{note}"
        )
    if result.picking is not None and any(e.status == "blend" for e in result.entries):
        lines.append(
            f"  picking the single run with the best CV: nested CV {result.picking:.5f} (each "
            "fold scored by the run best on the other folds); a blend is final only if its "
            "nested CV beats that."
        )
    for step, why in result.skipped:
        lines.append(f"  skipped {step}: {why}")
    if result.pack is not None:
        lines.append(f"  {pack_line(result.pack, result.metric)}")
    took = (
        f"{format_seconds(result.seconds)} of a {format_seconds(result.budget)} budget "
        f"(+{result.loading_seconds:.1f} s loading the data)"
    )
    if result.interrupted:
        lines.append(f"Interrupted after {took}. Every run written is kept: run "
                     "`kstarter auto` again to continue from them.")  # fmt: skip
    else:
        lines.append(f"Done in {took}.")
    final = result.final_entry
    if final is None:
        lines.append("No run finished: give a larger --budget (the first run stopped because "
                     "its folds showed it could not end in time).")  # fmt: skip
        return lines
    honest = final.honest
    if final.status != "blend" and result.picking is not None:
        honest = result.picking
    lines.append(f"Final: run {final.run} ({final.what}), honest CV {honest:.5f}.")
    lines.append(
        f'  Submit it: kstarter submit {final.run} -m "auto {format_budget(result.budget)}"'
    )
    lines.extend(_next_steps(result))
    return lines


def _next_steps(result: AutoResult) -> list[str]:
    out = ["Next:"]
    if any(not why.startswith("stopped") for _, why in result.skipped) or result.interrupted:
        longer = format_budget(max(2 * result.budget, 600.0))
        out.append(
            f"  - more time: `kstarter auto --budget {longer}` reuses these runs and trains "
            "the steps that did not fit (more families, seed bags)."
        )
    singles = [e for e in result.entries if e.status != "blend"]
    if singles:
        sign = 1.0 if result.direction == "maximize" else -1.0
        best = max(singles, key=lambda e: sign * e.cv_mean)
        family = best.what.split(" ")[0]
        out.append(
            f"  - tune the strongest family: `kstarter tune --model {family} --timeout 1800`, "
            f"then `kstarter train --model {family} --params tuned`; auto blends tuned runs too."
        )
    out.append(
        "  - features: add them in features.py (`kstarter check` first); every run then "
        "changes, so run `kstarter auto` again."
    )
    out.append(
        "  - trust the CV, not the public board: `kstarter submit` records both side by side."
    )
    return out

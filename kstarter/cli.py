"""The command line: a thin shell over the library. The only module that imports click.

Each command parses its options, calls one library function and prints the result. Every
:class:`~kstarter.errors.KstarterError` becomes ``Error: <sentence>`` and exit code 1 here, in
one place (:class:`_Group`), and so does any ``OSError`` the library did not name itself (a full
or read-only disk: :func:`~kstarter.errors.disk_error`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kstarter import __version__, paths
from kstarter.errors import KstarterError, disk_error

if TYPE_CHECKING:
    from kstarter.submit import SubmitResult

PROJECT_DIR = click.option(
    "-C",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project folder (where kstarter.yaml is).",
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KstarterError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:  # `kstarter runs | head`: the reader left, nothing to say
            raise
        except OSError as exc:  # the last line of defence: a full or read-only disk, a bad path
            raise click.ClickException(str(disk_error(exc))) from None
        except KeyboardInterrupt:  # Ctrl-C: the shell's convention, 128 + SIGINT
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kstarter")
def cli() -> None:
    """From a Kaggle competition to a correct, reproducible CV baseline.

    \b
    Example:
      kstarter init practice/adult-income && cd adult-income && kstarter train
    """


@cli.command()
@click.argument("source")
@click.option(
    "--dir", "directory", type=click.Path(path_type=Path), help="Project folder [./NAME]."
)
@click.option("--metric", help="The competition's metric (short name or Kaggle's name).")
@click.option("--target", "targets", multiple=True, help="Target column; repeat for several.")
@click.option("--id", "id_col", help="The id column of test.")
@click.option("--force", is_flag=True, help="Replace DIR if it exists and is not empty.")
@click.option(
    "--code-competition",
    is_flag=True,
    help="Mark it a code competition (Kaggle scores only notebooks; see `kstarter kernel`).",
)
@click.option(
    "--original",
    metavar="PATH",
    help="The competition's original dataset (a CSV, zip, folder or practice/<name>): extra "
    "training rows, never validated, and target statistics.",
)
def init(
    source: str,
    directory: Path | None,
    metric: str | None,
    targets: tuple[str, ...],
    id_col: str | None,
    force: bool,
    code_competition: bool,
    original: str | None,
) -> None:
    """Make a project from a competition: SOURCE is a Kaggle name or URL,
    practice/<name>, a .zip or a folder.

    \b
    Examples:
      kstarter init practice/adult-income
      kstarter init ./titanic.zip --metric accuracy
      kstarter init ./my-comp --target price --id Id --dir work/my-comp
      kstarter init practice/penguins-species --code-competition
      kstarter init ./playground.zip --original ./original.csv
    """
    from kstarter.competition import Overrides
    from kstarter.project import init_project, summary_lines

    _sigterm_exits()  # a killed init removes its copy of the data on the way out
    overrides = Overrides(
        targets=tuple(targets), id=id_col, metric=metric, code_competition=code_competition
    )
    result = init_project(source, directory, overrides, force, original)
    for line in summary_lines(result):
        click.echo(line)


@cli.command()
def practice() -> None:
    """List the practice competitions (real data shipped with kstarter, scored locally).

    \b
    Example:
      kstarter practice && kstarter init practice/penguins-species
    """
    from kstarter.sources import list_practice, missing_install

    for info in list_practice(extra=True):
        click.echo(f"practice/{info.name:<22} {info.task:<11} {info.rows:>6} rows  {info.summary}")
        click.echo(f"{'':32}metric: {info.metric}; data: {info.source}")
        needs = missing_install(info)
        if needs:
            click.echo(f"{'':32}needs: {needs}")


def _sigterm_exits() -> None:
    """Let `kill` unwind like Ctrl-C, so half-written outputs are removed on the way out."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def _progress(quiet: bool) -> Callable[[str], None] | None:
    """Per-step lines on stderr for a person at a terminal; silent for pipes and --quiet."""
    import sys

    if quiet or not sys.stderr.isatty():
        return None
    return lambda line: click.echo(line, err=True)


CLUSTER = click.option(
    "--cluster",
    metavar="tcp://HOST:PORT",
    help="Fit the folds as tasks on this Dask scheduler's workers (pip install "
    "'kstarter[dask]'; the project at the same path on every machine).",
)


@cli.command()
@PROJECT_DIR
@click.option(
    "--params",
    default="default",
    show_default=True,
    help="default (kstarter.yaml), tuned (the model's best from `kstarter tune --model`) or a "
    "YAML file of parameters.",
)
@click.option(
    "--model",
    help="Model family: lightgbm, lightgbm-xt, xgboost, catboost, linear, random_forest, "
    "extra_trees or knn "
    "[kstarter.yaml's model.name].",
)
@click.option("--seed", type=int, help="Model seed [kstarter.yaml's train.seed].")
@click.option(
    "--seeds",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Models per fold, seeds SEED..SEED+N-1, their predictions averaged: one run.",
)
@click.option("--refold", is_flag=True, help="Make new folds (needed after changing cv:).")
@click.option(
    "-m", "--message", "note", help="What this run tries: kept in its record, shown by `runs`."
)
@click.option("--quiet", "-q", is_flag=True, help="No per-fold progress.")
@CLUSTER
def train(
    project_dir: Path,
    params: str,
    model: str | None,
    seed: int | None,
    seeds: int,
    refold: bool,
    note: str | None,
    quiet: bool,
    cluster: str | None,
) -> None:
    """Cross-validate on the saved folds and write runs/<run>/submission.csv.

    \b
    Examples:
      kstarter train
      kstarter train --model linear
      kstarter train --model catboost
      kstarter train --params tuned --seed 7
      kstarter train --seeds 3
      kstarter train -m "added edu_level"
      kstarter train -C adult-income --quiet
      kstarter train --cluster tcp://10.0.0.5:8786
    """
    import sys

    from kstarter.train import TrainOptions
    from kstarter.train import train as run_train

    _sigterm_exits()
    opts = TrainOptions(
        params=params,
        model=model,
        seed=seed,
        seeds=seeds,
        refold=refold,
        progress=_progress(quiet),
        note=note,
        live=sys.stderr if _progress(quiet) else None,
        cluster=cluster,
    )
    result = run_train(project_dir, opts)
    m = result.metrics
    click.echo(
        f"Run {result.run_id}: CV {m.metric} {m.cv_mean:.5f} ± {m.cv_std:.5f} "
        f"(OOF {m.oof_score:.5f}, {m.direction}), {m.seconds or 0:.1f} s"
    )
    click.echo(f"Submission: {result.path / paths.RunFiles.SUBMISSION} (matches the sample)")


@cli.command()
@PROJECT_DIR
@click.option("--trials", type=click.IntRange(min=0), help="Finished trials to add [tune.trials].")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    help="Seconds after which no new trial starts, counted once the data is loaded.",
)
@click.option(
    "--storage",
    envvar="KSTARTER_TUNE_STORAGE",
    help="Journal file, sqlite:///FILE or postgresql://... [.kstarter/optuna.journal].",
)
@click.option(
    "--model",
    help="Family to tune: lightgbm, lightgbm-xt, xgboost, catboost, linear, random_forest, "
    "extra_trees or knn [kstarter.yaml's model.name].",
)
@click.option("--study", "study_name", help="Study name [<competition>-<model>].")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes on this machine; the model's threads are split between them.",
)
@click.option("--show", is_flag=True, help="Print the study's trials and best, then exit.")
@click.option("--quiet", "-q", is_flag=True, help="No line per finished trial.")
def tune(
    project_dir: Path,
    trials: int | None,
    timeout: float | None,
    storage: str | None,
    model: str | None,
    study_name: str | None,
    workers: int,
    show: bool,
    quiet: bool,
) -> None:
    """Tune a model family with Optuna on the saved folds; save the best for --params tuned.

    Each trial is a `kstarter train --model MODEL` CV with parameters drawn from the family's
    search space, configs/search_space.yaml for LightGBM and configs/search_space_MODEL.yaml
    for the others (change it in kstarter.yaml: tune: search_space:, flat
    entries for LightGBM, a section such as xgboost: for another family), pruned after each
    fold when it falls behind (tune: pruner:). A new study's trial 0 is the default parameters
    (what `kstarter train --model MODEL` trains). The best trial's parameters go to
    tuned_params.yaml (LightGBM) or tuned_params_MODEL.yaml, which `kstarter train --model
    MODEL --params tuned` trains with: an ordinary run that blends like any other (a study
    named with --study NAME saves to tuning/NAME.yaml instead: --params tuning/NAME.yaml);
    the summary recommends it only when it beats the defaults, and says by how much.
    Ctrl-C or a killed process loses only the trial in flight: the next `kstarter tune` resumes
    the same study. --trials N adds N finished trials in total over all workers; without --trials or
    --timeout, kstarter.yaml's tune: section decides.

    The study lives in .kstarter/optuna.journal: Optuna's journal file is safe for several
    processes at once (an append-only log under a file lock, nothing to create, so workers
    cannot race) and about 5x faster than SQLite, which can fail when two processes create a
    new database. For workers on several machines, give every machine the same
    --storage postgresql://USER:PASSWORD@HOST/DB (or set KSTARTER_TUNE_STORAGE, which keeps the
    password out of the process list).

    \b
    Watch a study in the browser (pip install optuna-dashboard; in the project folder):
      optuna-dashboard .kstarter/optuna.journal
      optuna-dashboard postgresql://USER:PASSWORD@HOST/DB

    \b
    Examples:
      kstarter tune --timeout 3600
      kstarter tune --trials 200 --workers 2
      kstarter tune --show && kstarter train --params tuned
      kstarter tune --model xgboost --timeout 1800
      kstarter tune --model catboost --show
      kstarter train --model xgboost --params tuned
    """
    from kstarter.tuning import TuneOptions, summary_lines
    from kstarter.tuning import show as show_study
    from kstarter.tuning import tune as run_tune

    if show:
        for line in show_study(project_dir, storage, study_name, model):
            click.echo(line)
        return
    import signal

    # `kill` stops a tuning run like Ctrl-C: the trial in flight is marked failed, not left running
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    progress = _progress(quiet) is not None
    opts = TuneOptions(trials, timeout, storage, study_name, workers, progress, model)
    for line in summary_lines(run_tune(project_dir, opts)):
        click.echo(line)


@cli.command()
@PROJECT_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
@click.option("--private", is_flag=True, help="Show private scores (practice competitions).")
@click.option(
    "--plot", is_flag=True, help=f"Save a PNG of CV vs public score ({paths.LEDGER_PNG})."
)
def runs(project_dir: Path, as_json: bool, private: bool, plot: bool) -> None:
    """List every run: CV mean ± std, public (and private) score ± its standard error, where
    its parameters came from, time and note.

    Only runs on the same folds and metric are comparable: the best of those is marked *, and a
    run made on other folds (before a --refold) or with another metric is marked !, its CV not
    comparable. A score against your own answer key (`submit --answers`) shows as local.

    With --plot, also save a PNG of CV against the public score over the submitted runs, with
    their correlation: a public score that rises while CV does not means the public board is
    being overfitted.

    \b
    Examples:
      kstarter runs
      kstarter runs --plot
      kstarter runs --json | jq '.[] | select(.best)'
    """
    import json

    from kstarter.config import find_project
    from kstarter.runs import run_lines, runs_table

    lines = run_lines(find_project(project_dir))
    rows = [line.to_json() for line in lines]
    if not private:
        for row in rows:
            row.pop("private")
            row.pop("private_se")
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("No runs yet: run `kstarter train`.")
    else:
        for text in runs_table(lines, private):
            click.echo(text)
    if plot:
        from kstarter.runs import plot_ledger

        result = plot_ledger(find_project(project_dir), private)
        r = "n/a below 3 runs" if result.pearson is None else f"{result.pearson:.2f}"
        # with --json the path goes to stderr, so stdout stays one JSON document
        click.echo(
            f"Plot: {result.path} (CV vs public over {result.points} run(s), Pearson r = {r})",
            err=as_json,
        )


@cli.command()
@PROJECT_DIR
@click.argument("run", required=False)
@click.option("-m", "--message", help="What this submission tries (needed to upload).")
@click.option("--no-wait", is_flag=True, help="Do not wait for the score (Kaggle).")
@click.option("--force", is_flag=True, help="Submit even where kstarter advises against it.")
@click.option(
    "--dry-run", is_flag=True, help="Only check the submission against the sample: no upload."
)
@click.option(
    "--answers",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Score against your own answer key (a CSV of the id and target columns) instead: "
    "no upload, recorded as the run's local score.",
)
@click.option(
    "--kernel",
    is_flag=True,
    help="Code competitions: submit the output of the notebook `kstarter kernel push` pushed.",
)
def submit(
    project_dir: Path,
    run: str | None,
    message: str | None,
    no_wait: bool,
    force: bool,
    dry_run: bool,
    answers: Path | None,
    kernel: bool,
) -> None:
    """Validate a run's submission and submit it (RUN defaults to the newest run).

    On a practice competition it is scored against the held-back answer key's public part. A
    project made from a folder or a zip has no leaderboard: check it with --dry-run, or score
    it with --answers KEY.csv (any project can; no daily submission is used). A code
    competition takes a notebook's output: after `kstarter kernel push`, --kernel submits the
    pushed version's submission.csv (Kaggle's `competitions submit -k OWNER/SLUG -v VERSION`),
    waits for the score and records it on the run the notebook predicts with.

    \b
    Examples:
      kstarter submit -m "baseline"
      kstarter submit 20261125-101500-lightgbm -m "more leaves"
      kstarter submit --dry-run
      kstarter submit --answers solution.csv -m "baseline"
      kstarter submit --kernel -m "notebook baseline"
    """
    from kstarter.submit import SubmitOptions
    from kstarter.submit import submit as run_submit

    if message is None and not (dry_run or answers):
        raise click.UsageError("Missing option '-m' / '--message': say what this submission tries.")
    # the wait for Kaggle's score is shown even when piped: a silent wait looks hung
    options = SubmitOptions(
        run,
        message or "",
        not no_wait,
        force,
        progress=lambda line: click.echo(line, err=True),
        dry_run=dry_run,
        answers=answers,
        kernel=kernel,
    )
    result = run_submit(project_dir, options)
    for line in _submit_lines(result):
        click.echo(line)


def _submit_lines(result: SubmitResult) -> list[str]:
    e, cv = result.entry, result.run.metrics.cv_mean
    if e is None:
        return [
            f"Run {result.run.id}: {paths.RunFiles.SUBMISSION} matches the sample "
            f"({result.rows} rows); nothing uploaded, no submission used (--dry-run)."
        ]
    if e.is_local:
        se = f" ± {e.local_se:.5f} (standard error)" if e.local_se is not None else ""
        return [
            f"Scored run {result.run.id} against {e.answers}: {e.local:.5f}{se}   CV {cv:.5f}",
            "  nothing uploaded, no submission used; `kstarter runs` shows it as local",
        ]
    lines = [f"Submitted run {result.run.id} ({e.where or 'kaggle'}): {e.status}"]
    if e.kernel:
        lines.append(f"  the output of notebook {e.kernel}")
    if e.ref:
        lines.append(f"  Kaggle ref {e.ref}")
    if e.public is not None:
        se = f" ± {e.public_se:.5f} (standard error)" if e.public_se is not None else ""
        lines.append(f"  public score {e.public:.5f}{se}   CV {cv:.5f}")
    if e.where == "practice":
        lines.append("  (the private score stays hidden, as on Kaggle: `kstarter runs --private`)")
    if e.remaining_today is not None:
        lines.append(f"  {e.remaining_today} submission(s) left today")
    if e.status == "PENDING":
        slug = e.competition or ""
        lines.append(
            f"  not scored yet: see https://www.kaggle.com/competitions/{slug}/submissions "
            f"or `kaggle competitions submissions {slug}`"
        )
    return lines


@cli.command()
@PROJECT_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--brief", is_flag=True, help="Sample rows and rounds, as at the end of init.")
def check(project_dir: Path, as_json: bool, brief: bool) -> None:
    """Look for leaks, train/test drift and CV hazards before they cost a week.

    Adversarial validation (can a classifier tell test rows from train rows?), a column, an
    id or a row order that predicts the target, test rows copied from train, a group or time
    column that random folds leak across, class imbalance. Each finding says what it means and
    what to do; clean data gets no warning. The findings are kept in .kstarter/check.json (every
    run's report shows them); nothing else in the project is written.

    \b
    Examples:
      kstarter check
      kstarter check -C adult-income --json | jq '.findings[].title'
    """
    import json

    from kstarter.checks import BRIEF, check_project, report_lines
    from kstarter.config import load_project

    project = load_project(project_dir)
    report = check_project(project, BRIEF if brief else None)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    for line in report_lines(report, project.spec.name):
        click.echo(line)


@cli.command()
@PROJECT_DIR
@click.argument("run_ids", metavar="[RUN]...", nargs=-1)
@click.option(
    "--method",
    type=click.Choice(["mean", "rank", "weights", "hillclimb", "stack"]),
    default="weights",
    show_default=True,
    help="mean of the predictions, mean of their ranks, weights fitted on OOF, Caruana's "
    "hill climbing (greedy selection with replacement), or a ridge/logistic stacker on OOF.",
)
def blend(project_dir: Path, run_ids: tuple[str, ...], method: str) -> None:
    """Blend runs made on the same folds into a new run with its own submission.

    With no RUN, every eligible run is blended: trained (not a blend) on the current folds.csv
    with kstarter.yaml's metric. Everything is fitted on out-of-fold predictions only (never on
    the leaderboard); the blended CV is shown against each member's, and for weights, hillclimb
    and stack a nested CV too (fitted without the fold it scores), the honest one to compare.

    \b
    Examples:
      kstarter blend 20261125-101500-lightgbm 20261125-102000-linear
      kstarter blend RUN_A RUN_B RUN_C --method rank
      kstarter blend --method hillclimb
    """
    from kstarter.blend import BlendOptions, summary_lines
    from kstarter.blend import blend as run_blend

    _sigterm_exits()
    result = run_blend(project_dir, BlendOptions(tuple(run_ids), method))
    for line in summary_lines(result):
        click.echo(line)


@cli.command()
@PROJECT_DIR
@click.option(
    "--budget",
    required=True,
    help="Time for training and blending: seconds (600) or 90s, 10m, 1.5h. Loading the data "
    "comes on top.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Runs trained at once [the physical cores over the threads one run takes; with "
    "--cluster, enough for each worker to fit a fold].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines.")
@CLUSTER
def auto(
    project_dir: Path, budget: str, workers: int | None, quiet: bool, cluster: str | None
) -> None:
    """Train every model family on the saved folds, blend them: the best run a budget allows.

    Each member is an ordinary run (see `kstarter runs`); runs that already exist are reused, so
    a second auto continues where the first stopped, and Ctrl-C keeps every run written. Ends
    with the leaderboard of the members and blends, the final run and what to try next.

    \b
    Examples:
      kstarter auto --budget 10m
      kstarter auto --budget 600 -C adult-income
      kstarter auto --budget 1h --quiet
      kstarter auto --budget 1h --cluster tcp://10.0.0.5:8786
    """
    import sys

    from kstarter.auto import AutoOptions, parse_budget, summary_lines
    from kstarter.auto import auto as run_auto

    _sigterm_exits()
    seconds = parse_budget(budget)
    steps = None if quiet else (lambda line: click.echo(line, err=True))
    result = run_auto(
        project_dir,
        AutoOptions(
            budget=seconds,
            progress=steps,
            fold_progress=_progress(quiet),
            workers=workers,
            cluster=cluster,
        ),
    )
    for line in summary_lines(result):
        click.echo(line)
    if result.interrupted:
        sys.exit(130)


@cli.group()
def kernel() -> None:
    """Code competitions: build the notebook Kaggle reruns, check it offline, push it.

    \b
    Example:
      kstarter kernel build && kstarter kernel check && kstarter kernel push
      kstarter submit --kernel -m "notebook baseline"
    """


@kernel.command("build")
@PROJECT_DIR
@click.argument("run", required=False)
@click.option("--owner", help="Your Kaggle user name [$KAGGLE_USERNAME].")
@click.option(
    "--image",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Another image file than kstarter's configs/kernel.yaml (its packages and versions).",
)
def kernel_build(project_dir: Path, run: str | None, owner: str | None, image: Path | None) -> None:
    """Write kernel/artifacts (a dataset: the run's models, recipe, config, features.py and
    wheels) and kernel/notebook (the notebook and its kernel-metadata.json). RUN defaults to
    the newest run.

    \b
    Examples:
      kstarter kernel build
      kstarter kernel build 20261125-101500-lightgbm --owner my-kaggle-name
    """
    from kstarter.kernel import BuildOptions, build_kernel

    result = build_kernel(project_dir, BuildOptions(run, owner, image))
    click.echo(f"Artifacts: {result.artifacts} ({result.megabytes} MB; dataset-metadata.json)")
    click.echo(f"  wheels: {', '.join(result.wheels)}")
    click.echo(f"Notebook: {result.notebook} (kernel-metadata.json: no internet)")
    if not result.owner_known:
        click.echo("  note: no --owner or $KAGGLE_USERNAME: the metadata ids need your user name")
    click.echo("Next: kstarter kernel check, then kstarter kernel push")


@kernel.command("check")
@PROJECT_DIR
@click.option("--timeout", type=float, help="Run-time limit in seconds [Kaggle's usual 9 hours].")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Which test rows, in which order."
)
def kernel_check(project_dir: Path, timeout: float | None, seed: int) -> None:
    """Run the built notebook as Kaggle will: a fresh process without network, the data laid
    out under /kaggle/input, a test set of another size and row order, a time limit. Failures
    are named by Kaggle's error classes.

    \b
    Examples:
      kstarter kernel check
      kstarter kernel check --timeout 600 --seed 1
    """
    from kstarter.kernel import CheckOptions, check_kernel

    click.echo("Running the notebook offline (network cut) on a resampled test set...", err=True)
    result = check_kernel(project_dir, CheckOptions(timeout, seed))
    click.echo(
        f"Success: submission.csv with {result.rows} rows (test resampled from "
        f"{result.local_rows}), {result.seconds:.1f} s, peak memory {result.peak_mb:.0f} MB"
    )
    click.echo(f"  network cut by {result.network}; its submission: {result.submission}")
    click.echo("Next: kstarter kernel push")


@kernel.command("push")
@PROJECT_DIR
@click.option(
    "--no-dataset",
    is_flag=True,
    help="Push only the notebook, on the artifacts dataset already on Kaggle.",
)
@click.option(
    "--timeout",
    type=float,
    help="Seconds to wait for the dataset and for the notebook's run [3 hours]; on a practice "
    "competition, the simulated run's limit [9 hours].",
)
def kernel_push(project_dir: Path, no_dataset: bool, timeout: float | None) -> None:
    """Put the built notebook on Kaggle: create or version the artifacts dataset and wait until
    Kaggle has processed it, push the notebook, follow its run, and fetch its submission.csv
    and log into kernel/output/. On a practice competition the push is simulated: the notebook
    runs here, offline, as `kernel check` runs it, on the project's test file. Then
    `kstarter submit --kernel` submits that version's output.

    \b
    Examples:
      kstarter kernel push
      kstarter kernel push --no-dataset --timeout 7200
    """
    from kstarter.kernel import PushOptions, push_notebook

    progress = lambda line: click.echo(line, err=True)  # noqa: E731 - shown even when piped
    pushed = push_notebook(project_dir, PushOptions(not no_dataset, timeout, progress=progress))
    where = "simulated here (practice)" if pushed.simulated else pushed.url
    click.echo(f"Notebook {pushed.ref}: {pushed.status} ({where}), run {pushed.run}")
    if pushed.output:
        click.echo(f"  its output: {pushed.output}")
        click.echo('Next: kstarter submit --kernel -m "..."')


def main() -> None:
    cli(prog_name="kstarter")


if __name__ == "__main__":  # pragma: no cover
    main()

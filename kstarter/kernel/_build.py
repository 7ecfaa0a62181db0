"""``kstarter kernel build``: everything a Kaggle rerun of a run needs, inside the project.

``kernel/artifacts/`` is a Kaggle dataset folder (flat, with ``dataset-metadata.json``): the
run's fitted fold models and ``models.json``, its feature recipe, its ``kstarter.yaml`` and
``features.py``, its record (the decision rule), and the wheels of kstarter and of every
package the notebook needs at another version than Kaggle's image has (``configs/kernel.yaml``).
``kernel/notebook/`` holds the notebook and its ``kernel-metadata.json``: no internet, the
competition and the artifacts dataset as sources, the pinned image. Both folders are built
under a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstarter import __version__, paths
from kstarter.atomic import staging_dir, sweep_stale_staging
from kstarter.config import Project, load_project
from kstarter.errors import KstarterError
from kstarter.kernel._notebook import notebook_json
from kstarter.kernel._runtime import ARTIFACTS_MARKER
from kstarter.paths import RunFiles, RunModels
from kstarter.runs import RunRecord, get_run

__all__ = ["BuildOptions", "BuildResult", "build_kernel", "load_image", "KERNEL_DIR"]

KERNEL_DIR = "kernel"
OWNER_PLACEHOLDER = "YOUR-KAGGLE-USERNAME"


@dataclass(frozen=True)
class BuildOptions:
    run: str | None = None  # None: the newest run
    owner: str | None = None  # the Kaggle user; None: $KAGGLE_USERNAME, else a placeholder
    image: Path | None = None  # another configs/kernel.yaml


@dataclass(frozen=True)
class BuildResult:
    run_id: str
    artifacts: Path
    notebook: Path
    wheels: tuple[str, ...]
    megabytes: float
    owner_known: bool


def load_image(path: Path | None) -> dict[str, Any]:
    import yaml

    from kstarter.resources import load_config_yaml

    if path is None:
        loaded = load_config_yaml("kernel.yaml")
    elif not path.is_file():
        raise KstarterError(f"No image file {path}: give a copy of kstarter's configs/kernel.yaml.")
    else:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    needed = ("docker_image", "python", "packages", "runtime", "families")
    if not isinstance(loaded, dict) or any(k not in loaded for k in needed):
        where = path or "configs/kernel.yaml"
        raise KstarterError(f"{where} must be a mapping with the keys {', '.join(needed)}.")
    return loaded


def build_kernel(project_dir: Path | str | None, options: BuildOptions) -> BuildResult:
    project = load_project(project_dir)
    run = get_run(project.root, options.run)
    family = run.metrics.model or ""
    if run.metrics.original is not None:
        raise KstarterError(
            f"Run {run.id} used the original dataset (kstarter.yaml's original: section), "
            "which kernel build cannot ship yet: remove that section, train again, then build."
        )
    refit = _check_run(run.id, run.path, family, bool(run.metrics.features))
    image = load_image(options.image)
    owner = options.owner or os.environ.get("KAGGLE_USERNAME") or OWNER_PLACEHOLDER
    slug = _slug(project.spec.name)
    kernel = project.path(KERNEL_DIR)
    kernel.mkdir(exist_ok=True)
    sweep_stale_staging(kernel)  # a build killed before its rename
    staging = staging_dir(kernel, f".build.{os.getpid()}.")
    try:
        artifacts, notebook = staging / "artifacts", staging / "notebook"
        artifacts.mkdir()
        notebook.mkdir()
        _copy_run(run.path, artifacts, models=not refit)
        if refit:
            _refit(project, run, artifacts)
        wheels = _wheels(artifacts, family, image)
        dataset = f"{owner}/{slug}-kstarter-artifacts"
        _write_json(
            artifacts / "dataset-metadata.json",
            {
                "title": f"{slug} kstarter artifacts"[:50],
                "id": dataset,
                "licenses": [{"name": "CC0-1.0"}],
            },
        )
        _write_json(
            artifacts / ARTIFACTS_MARKER,
            {
                "kstarter": __version__,
                "run": run.id,
                "family": family,
                "competition": slug,
                "test": project.spec.files.test,
                "recipe": RunModels.RECIPE,
                "metrics": RunFiles.METRICS,
            },
        )
        (notebook / "notebook.ipynb").write_text(
            notebook_json(project.spec.title or slug, run.id), encoding="utf-8"
        )
        metadata: dict[str, Any] = {
            "id": f"{owner}/{slug}-kstarter",
            "title": f"{slug} kstarter"[:50],
            "code_file": "notebook.ipynb",
            "language": "python",
            "kernel_type": "notebook",
            "is_private": True,
            "enable_gpu": False,
            "enable_tpu": False,
            "enable_internet": False,
            "dataset_sources": [dataset],
            "competition_sources": [slug],
            "kernel_sources": [],
            "model_sources": [],
            "docker_image": image["docker_image"],
        }
        if image.get("docker_image_pinning_type"):
            metadata["docker_image_pinning_type"] = image["docker_image_pinning_type"]
        _write_json(notebook / "kernel-metadata.json", metadata)
        size = sum(f.stat().st_size for f in artifacts.iterdir()) / 1e6
        for name in ("artifacts", "notebook"):
            shutil.rmtree(kernel / name, ignore_errors=True)
            (staging / name).rename(kernel / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(
        run.id,
        kernel / "artifacts",
        kernel / "notebook" / "notebook.ipynb",
        tuple(wheels),
        round(size, 1),
        owner != OWNER_PLACEHOLDER,
    )


def _check_run(run_id: str, run_dir: Path, family: str, feature_pack: bool) -> bool:
    """Whether the run can be built; True when its models are to be trained again (a family
    whose runs keep none)."""
    from kstarter.models import MODELS

    if family == "blend":
        raise KstarterError(
            f"Run {run_id} is a blend: kernel build takes a trained run (its fold models are "
            "saved); name one with `kstarter kernel build RUN` (see `kstarter runs`)."
        )
    if feature_pack:
        raise KstarterError(
            f"Run {run_id} used the features: section of kstarter.yaml (the feature pack), "
            "which kernel build cannot rebuild on new rows yet: turn it off, train again, "
            "then build."
        )
    models = run_dir / RunModels.FOLDER
    if (models / RunModels.INDEX).is_file() and (models / RunModels.RECIPE).is_file():
        return False
    if family in MODELS and not MODELS[family].keeps_fitted:
        return True
    raise KstarterError(
        f"Run {run_id} kept no fitted models (it was trained by an older kstarter): train it "
        "again, then `kstarter kernel build`."
    )


def _refit(project: Project, run: RunRecord, artifacts: Path) -> None:
    """A forest's or k-NN's fold models, which its run does not keep (they are large): trained
    again on the run's folds with its parameters and seeds, and kept only if they predict the
    run's test rows as the run did."""
    import joblib
    import numpy as np
    import pandas as pd

    from kstarter.crossval import build_models, evaluate_model, prepare
    from kstarter.models import save_fold_models

    m = run.metrics
    snapshot = run.path / RunFiles.FEATURES
    features = project.path(paths.FEATURES)
    same_features = (snapshot.read_bytes() if snapshot.is_file() else b"") == (
        features.read_bytes() if features.is_file() else b""
    )
    if m.config_hash != project.config_hash() or not same_features:
        raise KstarterError(
            f"Run {run.id} is a {m.model} run, whose models kernel build trains again, but "
            "kstarter.yaml or features.py changed since: train it again, then build."
        )
    prep = prepare(project)
    if prep.folds.hash != m.folds_hash:
        raise KstarterError(
            f"Run {run.id} was trained on other folds than folds.csv holds now: train it "
            "again, then build."
        )
    seed = project.train.seed if m.seed is None else m.seed
    models = build_models(prep, dict(m.params or {}), seed, str(m.model), m.seeds or 1)
    cv = evaluate_model(prep, models, keep_models=True).cv
    frame = pd.read_csv(run.path / RunFiles.TEST_PRED)
    wanted = frame[[c for c in frame.columns if str(c).startswith("pred")]].to_numpy()
    if not np.allclose(cv.test.reshape(wanted.shape), wanted, rtol=1e-9, atol=1e-12):
        raise KstarterError(
            f"Trained again, run {run.id}'s {m.model} models predict other numbers than the "
            "run did: train it again with this kstarter, then build."
        )
    save_fold_models(artifacts, str(m.model), cv.fitted)
    joblib.dump(prep.matrices.recipe, artifacts / RunModels.RECIPE)


def _copy_run(run_dir: Path, artifacts: Path, models: bool = True) -> None:
    """The run's models and recipe, flat (a Kaggle dataset keeps no folders), its config
    snapshot as kstarter.yaml, its features.py and its record."""
    if models:
        for f in sorted((run_dir / RunModels.FOLDER).iterdir()):
            shutil.copy2(f, artifacts / f.name)
    shutil.copy2(run_dir / RunFiles.CONFIG, artifacts / paths.CONFIG)
    if (run_dir / RunFiles.FEATURES).is_file():
        shutil.copy2(run_dir / RunFiles.FEATURES, artifacts / paths.FEATURES)
    shutil.copy2(run_dir / RunFiles.METRICS, artifacts / RunFiles.METRICS)


def _wheels(folder: Path, family: str, image: dict[str, Any]) -> list[str]:
    """kstarter's wheel, and the wheel of each package the notebook imports at a version
    the image does not have (this machine's version: the one the models were made with)."""
    from importlib.metadata import PackageNotFoundError, version

    _kstarter_wheel(folder)
    wanted = [*image["runtime"], *image["families"].get(family, [])]
    names = image.get("kaggle_names") or {}
    pins = []
    for dist in dict.fromkeys(wanted):
        try:
            here = version(dist)
        except PackageNotFoundError:
            continue  # not installed here: nothing of it was used
        if str(image["packages"].get(names.get(dist, dist))) != here:
            pins.append(f"{dist}=={here}")
    if pins:
        platforms = [a for p in image.get("platforms") or [] for a in ("--platform", p)]
        _pip(
            "download", "--no-deps", "--only-binary=:all:", "--python-version",
            str(image["python"]), *platforms, "-d", str(folder), *pins,
        )  # fmt: skip
    return sorted(f.name for f in folder.glob("*.whl"))


def _kstarter_wheel(folder: Path) -> None:
    """Built from the folder kstarter was installed from (``pip install .`` or ``-e``)."""
    from importlib.metadata import distribution

    direct = distribution("kstarter").read_text("direct_url.json")
    url = json.loads(direct).get("url", "") if direct else ""
    if url.startswith("file://") and Path(url[7:]).is_dir():
        _pip("wheel", "--no-deps", "-w", str(folder), url[7:])
        return
    raise KstarterError(
        "kernel build needs kstarter's source folder to build its wheel, and this kstarter "
        "was not installed from one: install it with `pip install PATH-TO-KSTARTER`."
    )


def _pip(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise KstarterError(
            f"pip could not fetch the kernel's wheels ({last}): check pip's index "
            "(pip config list) or install the package at that version, then build again."
        )


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "competition"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

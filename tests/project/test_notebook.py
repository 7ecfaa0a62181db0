"""The generated EDA notebook: valid nbformat, the expected sections, and it runs top to bottom."""

from __future__ import annotations

import re
from pathlib import Path

import nbclient
import nbformat
import pytest

from kstarter.project import init_project
from kstarter.sources import list_practice

pytestmark = pytest.mark.slow  # the notebook of every practice project, executed

PRACTICE = [info.name for info in list_practice()]
SECTIONS = {
    "shapes": r"shape",
    "missing values": r"missing values",
    "target": r"target",
    "train vs test": r"train vs\.? test",
}
PLOTTING = re.compile(r"\bplt\.|\.plot\b|\.hist\(")


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    """Every practice competition made once, through the library (the CLI is test_init's)."""
    root = tmp_path_factory.mktemp("notebooks")
    return {name: init_project(f"practice/{name}", root / name).path for name in PRACTICE}


def execute(project: Path, backend: str | None) -> nbformat.NotebookNode:
    """Run the notebook as Jupyter does, from notebooks/, with MPLBACKEND set or unset."""
    nb = nbformat.read(project / "notebooks" / "eda.ipynb", as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        if backend is None:
            mp.delenv("MPLBACKEND", raising=False)
        else:
            mp.setenv("MPLBACKEND", backend)
        nbclient.NotebookClient(
            nb,
            timeout=180,
            kernel_name="python3",
            resources={"metadata": {"path": str(project / "notebooks")}},
        ).execute()
    return nb


class _Executed(dict):
    """Each notebook executed once with MPLBACKEND=Agg (a headless machine), when first asked."""

    def __init__(self, projects: dict[str, Path]) -> None:
        super().__init__()
        self.projects = projects

    def __missing__(self, name: str) -> nbformat.NotebookNode:
        nb = self[name] = execute(self.projects[name], "Agg")
        return nb


@pytest.fixture(scope="module")
def executed(projects) -> _Executed:
    return _Executed(projects)


def outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def png_count(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in out.get("data", {}) for out in outputs(nb))


def headings(nb: nbformat.NotebookNode) -> list[str]:
    return [
        line.lstrip("#").strip()
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("#")
    ]


@pytest.mark.parametrize("name", PRACTICE)
def test_notebook_is_valid_with_the_sections(projects, name: str) -> None:
    path = projects[name] / "notebooks" / "eda.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids)
    titles = headings(nb)
    for section, pattern in SECTIONS.items():
        assert any(re.search(pattern, t, re.IGNORECASE) for t in titles), (section, titles)
    code = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    assert any(PLOTTING.search(src) for src in code), "no plotting cell"
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")


@pytest.mark.parametrize("name", PRACTICE)
def test_notebook_reads_this_competitions_files(projects, name: str) -> None:
    from kstarter.config import load_project

    spec = load_project(projects[name]).spec
    nb = nbformat.read(projects[name] / "notebooks" / "eda.ipynb", as_version=4)
    source = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    for file_name in (spec.files.train, spec.files.test, spec.files.sample_submission):
        assert f'"{file_name}"' in source
    assert f"TARGETS = {list(spec.targets)!r}".replace("'", '"') in source


@pytest.mark.parametrize("name", PRACTICE)
def test_notebook_executes_without_error(executed, name: str) -> None:
    nb = executed[name]
    errors = [out for out in outputs(nb) if out.output_type == "error"]
    assert not errors, errors[0].get("ename", "") + ": " + errors[0].get("evalue", "")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    stderr = [out.text for out in outputs(nb) if out.get("name") == "stderr"]
    assert not stderr, stderr
    first = next(out for out in outputs(nb) if out.output_type == "stream")
    assert first.text.startswith("train (")  # the shapes line of the first cell


@pytest.mark.parametrize("name", PRACTICE)
def test_notebook_shows_plots_with_mplbackend_agg(executed, name: str) -> None:
    assert png_count(executed[name]) >= 1


@pytest.mark.parametrize("name", PRACTICE)
def test_notebook_shows_plots_in_a_default_kernel(projects, name: str) -> None:
    nb = execute(projects[name], backend=None)
    assert not [out for out in outputs(nb) if out.output_type == "error"]
    assert png_count(nb) >= 2  # the target and train vs test

"""Render ``templates/project`` into a new project folder.

Every ``*.j2`` file is rendered with Jinja (strict: an unknown variable is an error, never an
empty string). ``gitignore.j2`` becomes ``.gitignore``; ``*.py.j2`` under ``notebooks/`` is a
notebook in the percent format and becomes ``*.ipynb``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstarter.resources import templates_dir

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["render_project", "percent_to_notebook", "oneline"]

_CELL = re.compile(r"^# %%(?P<md> \[markdown\])?[^\n]*$", re.MULTILINE)


def render_project(dest: Path, context: dict[str, Any]) -> list[Path]:
    import jinja2

    root = templates_dir() / "project"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["oneline"] = oneline
    written: list[Path] = []
    for tpl in sorted(root.rglob("*.j2")):
        rel = tpl.relative_to(root).as_posix()
        text = env.get_template(rel).render(**context)
        out = dest / _output_name(rel)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".ipynb":
            import nbformat

            nbformat.write(percent_to_notebook(text), str(out))
        else:
            out.write_text(text, encoding="utf-8")
        written.append(out)
    return written


def oneline(value: object) -> str:
    """``value`` as one line of text: a line break or other control character (a source path
    may hold one) is written escaped (``\\n``), so it cannot start a line of its own in
    kstarter.yaml or the other files."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(value))


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


def _output_name(rel: str) -> str:
    rel = rel[: -len(".j2")]
    if rel == "gitignore":
        return ".gitignore"
    if rel.startswith("notebooks/") and rel.endswith(".py"):
        return rel[: -len(".py")] + ".ipynb"
    return rel


def percent_to_notebook(text: str) -> NotebookNode:
    """Cells from ``# %%`` / ``# %% [markdown]`` markers into an nbformat v4 notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    marks = list(_CELL.finditer(text))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[mark.end() : end].strip("\n")
        if mark.group("md"):
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in body.splitlines()]
            nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(body))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.validate(nb)
    return nb

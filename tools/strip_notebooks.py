"""Strip outputs from notebooks so that they are committed as sources (STYLE.md, Notebooks).

Usage::

    python tools/strip_notebooks.py                 # strip lectures/ and course/ in place
    python tools/strip_notebooks.py --check         # exit 1 and list the notebooks that have outputs
    python tools/strip_notebooks.py path.ipynb dir/ # strip the given notebooks or folders

Stripping clears every code cell's outputs and execution count, and drops the saved widget state
(``metadata.widgets``) and per-cell execution metadata; the cells themselves are untouched.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDERS = ("lectures", "course")


def notebooks(paths):
    """The ``.ipynb`` files among ``paths`` (folders are searched recursively, checkpoints skipped)."""
    for path in map(Path, paths):
        candidates = sorted(path.rglob("*.ipynb")) if path.is_dir() else [path]
        yield from (p for p in candidates if ".ipynb_checkpoints" not in p.parts)


def is_stripped(notebook):
    """Whether a notebook has no outputs, no execution counts and no saved widget state."""
    if "widgets" in notebook.metadata:
        return False
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None and "execution" not in cell.metadata
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def strip(notebook):
    """Clear outputs, execution counts, execution metadata and widget state, in place."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return notebook


def main(argv=None):
    """Strip (or with ``--check`` only report) the notebooks; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: lectures/ and course/)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a notebook has outputs")
    args = parser.parse_args(argv)
    paths = args.paths or [ROOT / folder for folder in DEFAULT_FOLDERS]
    dirty = []
    for path in notebooks(paths):
        notebook = nbformat.read(path, as_version=4)
        if is_stripped(notebook):
            continue
        dirty.append(path)
        if not args.check:
            nbformat.write(strip(notebook), path)
    verb = "have outputs" if args.check else "stripped"
    for path in dirty:
        print(f"{verb}: {path}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())

"""Course material: every solution passes its checks, every blank exercise fails them, notebooks are sources.

Exercises and solutions come in pairs, ``course/exercises/NN_name.ipynb`` and
``course/solutions/NN_name.ipynb``, with the same cells except the answers; cells that call a
check from ``course/checks.py`` carry the tag ``check``. The lectures are executed by nbval
(``--nbval-lax lectures course/solutions``); here they are checked for their structure.
"""

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
LECTURES = sorted((ROOT / "lectures").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((COURSE / "exercises").glob("[0-9][0-9]_*.ipynb"))
TIMEOUT = 300  # seconds per cell; a whole notebook runs in well under a minute

sys.path.insert(0, str(ROOT / "tools"))
from strip_notebooks import is_stripped  # noqa: E402


def _read(path):
    return nbformat.read(path, as_version=4)


def _run(path, allow_errors):
    notebook = _read(path)
    client = NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def _check_cells(notebook):
    return [cell for cell in notebook.cells if "check" in cell.metadata.get("tags", [])]


def _errors(cell):
    return [output for output in cell.get("outputs", []) if output.output_type == "error"]


def test_there_is_course_material():
    assert [path.name for path in LECTURES][:1] == ["01_convex_program.ipynb"]
    assert EXERCISES, "no exercise notebooks"
    assert (COURSE / "syllabus.md").is_file()


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda path: path.stem)
def test_exercise_and_solution_have_the_same_cells(exercise):
    solution = COURSE / "solutions" / exercise.name
    assert solution.is_file(), f"{exercise.name} has no solution"
    blank, full = _read(exercise), _read(solution)
    assert len(blank.cells) == len(full.cells)
    for left, right in zip(blank.cells, full.cells):
        assert left.cell_type == right.cell_type
        if left.cell_type == "markdown" or "check" in left.metadata.get("tags", []):
            assert left.source == right.source, "exercise and solution differ outside the answer cells"
    assert len(_check_cells(blank)) >= 3
    assert any("..." in cell.source for cell in blank.cells if cell.cell_type == "code")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda path: path.stem)
def test_blank_exercise_fails_every_check(exercise):
    notebook = _run(exercise, allow_errors=True)
    for cell in _check_cells(notebook):
        errors = _errors(cell)
        assert errors, f"check passed on a blank exercise: {cell.source!r}"
        assert errors[0].ename == "AssertionError", f"{cell.source!r} raised {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda path: path.stem)
def test_solution_passes_every_check(exercise):
    notebook = _run(COURSE / "solutions" / exercise.name, allow_errors=False)
    for cell in _check_cells(notebook):
        text = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
        assert text.startswith("✓"), f"{cell.source!r} printed {text!r}"


@pytest.mark.parametrize("path", LECTURES + EXERCISES + sorted((COURSE / "solutions").glob("*.ipynb")),
                         ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_notebooks_are_committed_without_outputs(path):
    assert is_stripped(_read(path)), f"{path} has outputs: run python tools/strip_notebooks.py"


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda path: path.stem)
def test_lecture_structure(lecture):
    """Opens with what the student will learn, asserts its claims, moves a slider, ends with exercises."""
    notebook = _read(lecture)
    first, last = notebook.cells[0], notebook.cells[-1]
    assert first.cell_type == "markdown" and "In this lecture you will" in first.source
    assert last.cell_type == "markdown" and "## Exercises" in last.source
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert sum("assert " in source for source in code) >= 3
    assert any(".value = " in source for source in code), "no cell moves a slider"
    assert not any("interact_manual" in source for source in code)
    assert any("random_state" in source for source in code)

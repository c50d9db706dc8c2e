"""The Binder environment: a fresh venv from binder/ runs every lecture and solution under nbval.

Marked ``binder`` (deselect with ``-m "not binder"``): it creates a virtual environment with the
Python of ``binder/runtime.txt``, installs ``binder/requirements.txt``, runs ``binder/postBuild``
(which installs the package with ``--no-deps``, so a missing pin fails here), adds the test tools,
and executes the notebooks on a copy of ``lectures/`` and ``course/``. It needs the package index,
and is skipped with a reason when that Python is not installed.
"""

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.binder

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
#: installed after the pinned requirements: what runs the notebooks (Binder's image has a kernel)
TEST_TOOLS = ["pytest", "nbval", "ipykernel"]
#: the runtime dependencies that must be pinned (pyproject's dependencies plus the course's)
RUNTIME = {"numpy", "scipy", "scikit-learn", "cvxpy", "clarabel", "tqdm", "threadpoolctl", "ipywidgets", "matplotlib"}


def _requirements():
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _python_version():
    match = re.fullmatch(r"python-(\d+\.\d+)", (BINDER / "runtime.txt").read_text().strip())
    assert match, "binder/runtime.txt must read python-X.Y"
    return match.group(1)


def test_binder_files_follow_the_rules():
    assert _python_version() == "3.12"
    requirements = _requirements()
    names = set()
    for line in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.]*)", line)
        assert match, f"{line!r} is not an exact pin name==version"
        names.add(match.group(1).lower())
    assert names == RUNTIME
    assert "jupyterlab" not in names
    assert not any("/" in line or line.startswith((".", "-e")) for line in requirements), "no local paths"
    post_build = (BINDER / "postBuild").read_text()
    assert "set -e" in post_build and "pip install --no-deps ." in post_build
    assert os.access(BINDER / "postBuild", os.X_OK)


def _find_python(version):
    """A working interpreter of ``version``: on PATH, or installed by pyenv but not activated."""
    candidates = [shutil.which(f"python{version}")]
    for root in filter(None, [os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")]):
        candidates += sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}")))
    candidates.append(f"/usr/bin/python{version}")
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run([candidate, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def _run(command, cwd, env, timeout):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def test_lectures_run_in_a_fresh_binder_environment(tmp_path):
    version = _python_version()
    python = _find_python(version)
    if python is None:
        pytest.skip(f"python{version} (binder/runtime.txt) is not installed on this machine")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["MPLBACKEND"] = "Agg"
    venv = tmp_path / "venv"
    _run([python, "-m", "venv", str(venv)], tmp_path, env, 300)
    bin_python = str(venv / "bin" / "python")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    _run([bin_python, "-m", "pip", "install", "-q", "-r", str(BINDER / "requirements.txt")], tmp_path, env, 1200)
    # postBuild runs from the repository root, as on Binder; copy the sources so no build files land in the tree
    source = tmp_path / "repo"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "build", "artifacts"))
    _run(["bash", str(source / "binder" / "postBuild")], source, env, 600)
    _run([bin_python, "-m", "pip", "install", "-q", *TEST_TOOLS], tmp_path, env, 600)
    # the package imports from the venv, not from the copied sources
    probe = _run([bin_python, "-c", "import sklearn_convexnn; print(sklearn_convexnn.__file__)"], tmp_path, env, 120)
    assert str(venv) in probe.stdout
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "lectures", notebooks / "lectures", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "course", notebooks / "course", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    result = _run([bin_python, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(notebooks),
                   "--nbval-lax", "--nbval-current-env", "-q", "lectures", "course/solutions"],
                  notebooks, env, 1200)
    assert re.search(r"\d+ passed", result.stdout) and "failed" not in result.stdout.splitlines()[-1]

"""One real-browser test: JupyterLab on localhost, Debian's Chromium driven by Playwright.

It opens a lecture, runs all its cells, drags the slider of the lecture's first view, and checks
that the view's output area re-renders (its screenshot changes) and that no cell or widget shows an
error. Screenshots go to ``artifacts/browser/`` (git-ignored). Marked ``browser``; skipped with a
reason when Chromium or Playwright is missing. Bounded: every wait has a deadline, the whole test
takes well under three minutes.

Debian's ``chromium`` package provides ``/usr/bin/chromium``; Playwright is the Python package only
(``playwright install`` is never run: it would download a browser build).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
#: the lecture opened in the browser (one line to change when another lecture should be used)
LECTURE = "02_duality.ipynb"
CHROMIUM = os.environ.get("CONVEXNN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
TOKEN = "convexnn-browser-test"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-extensions", "--disable-sync",
                 "--no-first-run", "--mute-audio"]
SERVER_START_TIMEOUT = 60
RUN_ALL_TIMEOUT = 120
REDRAW_TIMEOUT = 40


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_server(url, process, deadline):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                json.load(response)
                return True
        except OSError:
            time.sleep(0.5)
    return False


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 whose root holds a copy of the lecture; yields its base URL."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (the Python package) is not installed")
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(ROOT / "lectures" / LECTURE, root / LECTURE)
    state = tmp_path / "jupyter"
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.pop("MPLBACKEND", None)  # the kernel must use the inline backend, as for a student
    port = _free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}", "--ServerApp.password=",
               "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0", "--allow-root",
               "--LabApp.extension_manager=readonly",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log = open(tmp_path / "jupyter.log", "w")
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        if not _wait_for_server(f"{base}/api/status?token={TOKEN}", process, time.monotonic() + SERVER_START_TIMEOUT):
            log.flush()
            pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'jupyter.log').read_text()[-3000:]}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


# JavaScript run in the page (JupyterLab exposes itself as window.jupyterapp with expose_app_in_browser).
NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) { return null; }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  const errors = [];
  cells.forEach((cell, index) => {
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === 'error') { errors.push(`cell ${index}: ${output.ename}: ${output.evalue}`); }
    }
  });
  return {
    kernel: kernel ? kernel.status : 'none',
    executed: cells.filter(cell => cell.model.executionCount !== null).length,
    total: cells.length,
    errors: errors,
  };
}"""

PAGE_ERRORS = """() => {
  const texts = [];
  for (const node of document.querySelectorAll('.jp-OutputArea-output')) {
    const text = node.innerText || '';
    if (text.includes('Traceback') || text.includes('Error displaying widget') || text.includes('Model not found')) {
      texts.push(text.slice(0, 500));
    }
  }
  return texts;
}"""


def _poll(page, script, predicate, timeout, what):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if predicate(value):
            return value
        page.wait_for_timeout(500)
    pytest.fail(f"timed out after {timeout} s waiting for {what}; last state: {value}")


def test_lecture_runs_and_its_slider_redraws_in_chromium(lab):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(LECTURE).stem
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{lab}/lab/tree/{LECTURE}?token={TOKEN}", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            _poll(page, NOTEBOOK_STATE, lambda s: s is not None and s["kernel"] == "idle", 60, "an idle kernel")

            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            state = _poll(page, NOTEBOOK_STATE,
                          lambda s: s is not None and (s["errors"] or (s["executed"] == s["total"] and s["kernel"] == "idle")),
                          RUN_ALL_TIMEOUT, "all cells to run")
            page.screenshot(path=str(ARTIFACTS / f"{stem}_after_run_all.png"))
            assert not state["errors"], f"cells failed: {state['errors']}"

            view = page.locator(".convexnn-view").first
            view.scroll_into_view_if_needed()
            image = view.locator("img").first
            image.wait_for(state="visible", timeout=30_000)
            output = view.locator(".jupyter-widgets-output-area").first
            target = output if output.count() else view
            before_source = image.get_attribute("src")
            before = target.screenshot(path=str(ARTIFACTS / f"{stem}_slider_before.png"))

            # Drag the first slider's handle to a quarter of its track (continuous_update=False: on release).
            track = view.locator(".noUi-target").first
            handle = view.locator(".noUi-handle").first
            box, handle_box = track.bounding_box(), handle.bounding_box()
            page.mouse.move(handle_box["x"] + handle_box["width"] / 2, handle_box["y"] + handle_box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + box["height"] / 2, steps=12)
            page.mouse.up()

            deadline = time.monotonic() + REDRAW_TIMEOUT
            while time.monotonic() < deadline and image.get_attribute("src") == before_source:
                page.wait_for_timeout(250)
            image.wait_for(state="visible")
            _poll(page, NOTEBOOK_STATE, lambda s: s["kernel"] == "idle", 30, "the callback to finish")
            page.wait_for_timeout(500)  # let the new image paint
            after = target.screenshot(path=str(ARTIFACTS / f"{stem}_slider_after.png"))
            page.screenshot(path=str(ARTIFACTS / f"{stem}_final.png"), full_page=False)

            assert image.get_attribute("src") != before_source, "the widget's figure was not redrawn"
            assert after != before, "the widget area looks the same after moving the slider"
            assert not page.evaluate(PAGE_ERRORS), f"error output on the page: {page.evaluate(PAGE_ERRORS)}"
            assert not page.evaluate(NOTEBOOK_STATE)["errors"]
        finally:
            browser.close()

"""The Dagster UI journey in a real headless browser (Debian's chromium driven by Playwright), the way a
person does it: `make ui`, the asset graph, materialize one partition of a parsed asset through the UI
(partition picker, launch), wait for the run, open the asset's checks and read the findings. Then Ctrl-C
(SIGINT to the process group) stops everything: no webserver, daemon or code server left behind.

Screenshots go to tests/artifacts/ (not committed); the README shows one (docs/asset-graph.png).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import BUNDLED_PAGE, REPO

from dagster_project import pipeline

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = REPO / "tests" / "artifacts"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PARTITION = "2024-11-01"  # the month partition holding the bundled page (2024-11-28)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_processes(sid: int) -> list[str]:
    """Processes still alive in the session ``sid`` (what Ctrl-C should have stopped)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":  # field 6 of /proc/PID/stat is the session id
            alive.append(text[: text.rindex(")") + 1])
    return alive


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    data, home = tmp / "data", tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    # the raw layer holds the bundled page already; the UI run parses it
    pipeline.land_input(data, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    port = free_port()
    env = {**os.environ, "MDW_DATA_DIR": str(data), "DAGSTER_HOME": str(home), "PORT": str(port)}
    log = open(tmp / "ui.log", "w")  # noqa: SIM115  (the server writes to it until the fixture ends)
    proc = subprocess.Popen(["make", "--no-print-directory", "ui", f"PORT={port}"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            pytest.fail(f"make ui exited: {(tmp / 'ui.log').read_text()[-3000:]}")
    else:
        pytest.fail(f"the UI did not come up: {(tmp / 'ui.log').read_text()[-3000:]}")
    yield {"url": url, "data": data, "proc": proc, "log": tmp / "ui.log"}
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)


def _dismiss_dialogs(page, wait_ms: int = 0) -> None:
    """The first visit shows a community sign-up dialog: close it as a person would (it may come late)."""
    skip = page.get_by_role("button", name="Skip", exact=True)
    try:
        skip.wait_for(state="visible", timeout=max(wait_ms, 1))
    except Exception:
        return
    skip.click()
    skip.wait_for(state="hidden")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/ensure-chromium.sh installs it)")
def test_materialize_a_partition_through_the_ui_and_read_the_findings(ui):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1700, "height": 1000})
        page.set_default_timeout(60_000)

        page.goto(f"{ui['url']}/asset-groups")
        page.wait_for_load_state("networkidle")
        _dismiss_dialogs(page, wait_ms=8_000)
        for group in ("raw", "parsed", "models", "central_banks"):  # the central banks' 32 assets in a group of their own
            expect(page.get_by_text(group, exact=True).first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "asset-groups.png"))
        page.mouse.click(1200, 900, button="right")  # the graph's context menu
        page.get_by_role("menuitem", name="Expand all groups").click()
        page.wait_for_timeout(1_500)
        page.screenshot(path=str(ARTIFACTS / "asset-graph.png"))  # the graph draws the nodes in view only
        for asset in ("raw_ecb", "raw_page", "raw_fixer", "raw_ticker_csv", "ecb_rates", "fixer_rates", "page_rates",
                      "page_tickers", "ticker_csv_tickers", "fx_rates", "fx_daily_change", "fx_cross_rates", "ticker_quotes",
                      "ticker_daily_change", "raw_boe", "boe_rates", "raw_cbc", "cbc_rates", "fx_rates_consensus"):
            page.goto(f"{ui['url']}/assets/{asset}")
            expect(page.get_by_text(asset, exact=True).first).to_be_visible()

        page.goto(f"{ui['url']}/assets/page_rates")
        page.wait_for_load_state("networkidle")
        _dismiss_dialogs(page)
        page.get_by_role("button", name="Materialize").first.click()
        for _ in range(3):  # "page_tickers comes too (multi-asset)", "upstream raw_page not materialized": confirm
            confirm = page.get_by_role("dialog").last.get_by_role("button", name="Confirm")
            try:
                confirm.wait_for(timeout=3_000)
            except Exception:
                break
            confirm.click()
            page.wait_for_timeout(800)  # the dialog's closing animation
        dialog = page.get_by_role("dialog").filter(has_text="Partition selection")
        expect(dialog).to_be_visible()
        show_all = dialog.get_by_text("Show all partitions")
        if show_all.count():
            show_all.click()
        partitions = dialog.locator("input").first
        partitions.click()
        partitions.fill(PARTITION)
        partitions.press("Enter")
        launch = dialog.get_by_role("button", name="Launch 1 run")
        expect(launch).to_be_enabled()
        page.screenshot(path=str(ARTIFACTS / "materialize-dialog.png"))
        launch.click()
        expect(dialog).to_be_hidden(timeout=60_000)  # the launch went through before we leave the page

        page.goto(f"{ui['url']}/runs")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_text(PARTITION).first).to_be_visible()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # the run list refreshes itself slowly: reload as a person would
            if page.get_by_text("Success", exact=True).count():
                break
            assert not page.get_by_text("Failure", exact=True).count(), "the run failed"
            page.wait_for_timeout(3_000)
            page.reload()
            page.wait_for_load_state("networkidle")
        expect(page.get_by_text("Success", exact=True).first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "runs.png"))

        page.goto(f"{ui['url']}/assets/page_rates?view=checks")
        page.wait_for_load_state("networkidle")
        expect(page.get_by_text("defunct_codes").first).to_be_visible()
        page.get_by_text("defunct_codes").first.click()
        expect(page.get_by_text("(and 8 more finding(s))", exact=False).first).to_be_visible()  # the worst finding, and how many more
        page.screenshot(path=str(ARTIFACTS / "checks.png"))
        page.get_by_text("[Show Markdown]").first.click()  # the findings_table metadata
        findings = page.get_by_role("dialog").last
        for code in ("LTL", "LVL", "BYR", "ZMK", "HRK", "SLL", "STD", "ZWL", "CUC"):
            expect(findings.get_by_text(code, exact=True).first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "check-findings.png"))
        browser.close()
    assert (ui["data"] / "warehouse" / "rates" / "source=page" / "month=2024-11" / "data.parquet").exists()


def test_ctrl_c_stops_the_ui_and_everything_it_started(ui):
    proc = ui["proc"]
    assert session_processes(proc.pid), "the UI's processes should be running"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends: SIGINT to the foreground group
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make ui did not stop on SIGINT: {session_processes(proc.pid)}")
    deadline = time.monotonic() + 30
    while session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert session_processes(proc.pid) == [], ui["log"].read_text()[-2000:]

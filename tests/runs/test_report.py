"""runs/<run>/report.html opens in a real browser (headless Chromium) with its sections and
its images, offline; and `kstarter runs --plot` draws CV against the public score."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kstarter.project import init_project
from kstarter.runs import write_report
from kstarter.train import TrainOptions, train

pytestmark = pytest.mark.slow  # reports of real trainings, opened in Chromium

SECTIONS = ["Fold scores", "Out-of-fold predictions vs target", "Feature importance",
            "Check findings"]  # fmt: skip

# Appended to a copy of the report: once the page has loaded, write each image's decoded size
# into the DOM, which --dump-dom then prints.
PROBE = """<script>
window.addEventListener("load", () => {
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = Array.from(document.images)
    .map((img) => `${img.complete}:${img.naturalWidth}x${img.naturalHeight}`).join(" ");
  document.body.appendChild(pre);
});
</script>"""


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return found


def _chromium(binary: str, tmp: Path, *args: str) -> str:
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    proc = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class _Page(HTMLParser):
    """Headings, images and the probe's text from the DOM Chromium dumped."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.images: list[dict] = []
        self.probe = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2" or (tag == "pre" and attrs.get("id") == "probe"):
            self._in = "h2" if tag == "h2" else "probe"
            if tag == "h2":
                self.h2.append("")
        if tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag in ("h2", "pre"):
            self._in = None

    def handle_data(self, data):
        if self._in == "h2":
            self.h2[-1] += data
        elif self._in == "probe":
            self.probe += data


@pytest.mark.parametrize(
    ("name", "model", "images"),
    [("heart-disease", "lightgbm", 4), ("abalone-rings", "linear", 3)],
)  # binary: folds, calibration, confusion, importance; regression: folds, residuals, importance
def test_report_renders_in_chromium(chromium, tmp_path, name, model, images):
    project = init_project(f"practice/{name}", tmp_path / name).path
    run = train(project, TrainOptions(model=model)).path
    path = write_report(run)
    html = path.read_text()
    assert "http://" not in html and "https://" not in html and "<link" not in html  # offline
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"))
    page = _Page()
    page.feed(_chromium(chromium, tmp_path, "--dump-dom", probe.as_uri()))
    assert page.h2[: len(SECTIONS)] == SECTIONS
    assert len(page.images) == images
    for img in page.images:
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = page.probe.split()
    assert len(decoded) == images, page.probe
    for item in decoded:
        complete, size = item.split(":")
        width, height = map(int, size.split("x"))
        assert complete == "true" and width > 100 and height > 100, item
    text = path.read_text()
    assert "Nothing alarming" in text and run.name in text
    alts = [img["alt"] for img in page.images]
    if name == "heart-disease":
        assert alts == ["fold scores", "calibration", "confusion matrix", "feature importance"]
    else:
        assert alts == ["fold scores", "predicted vs actual and residuals", "feature importance"]
    # and it looks like a page: a screenshot that is not one flat colour
    shot = tmp_path / "shot.png"
    _chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", path.as_uri())
    from PIL import Image

    pixels = Image.open(shot).convert("L").getextrema()
    assert pixels[1] - pixels[0] > 100


def test_report_shows_check_findings(tmp_path):
    """A planted leak found by `kstarter check` appears in every later run's report, with
    what to do; the training itself does not re-run the check."""
    import pandas as pd

    from kstarter.checks import run_check

    project = init_project("practice/diabetes-progression", tmp_path / "d").path
    clean = train(project, TrainOptions(model="linear")).path
    assert "Nothing alarming" in (clean / "report.html").read_text()  # init's brief check
    data = project / "data" / "train.csv"
    frame = pd.read_csv(data)
    frame["copy"] = frame["progression"] * 2 + 1
    frame.to_csv(data, index=False)
    test = pd.read_csv(project / "data" / "test.csv").assign(copy=0.0)
    test.to_csv(project / "data" / "test.csv", index=False)
    run_check(project)
    run = train(project, TrainOptions(model="linear")).path
    text = (run / "report.html").read_text()
    assert "[warning]</b> Column &#39;copy&#39; alone predicts" in text
    assert "What to do:" in text and "competition.drop" in text
    assert write_report(run).read_text() == text


def test_runs_plot_draws_cv_against_public(ks, tmp_path):
    project = init_project("practice/diabetes-progression", tmp_path / "d").path
    proc = ks("runs", "--plot", cwd=project, check=False)
    assert proc.returncode == 1 and "No run has a public score yet" in proc.stderr
    from kstarter.submit import SubmitOptions, submit

    for model in ("lightgbm", "linear", "lightgbm"):
        run = train(project, TrainOptions(model=model, seed=len(model))).run_id
        submit(project, SubmitOptions(run, message=model, force=True))
    proc = ks("runs", "--plot", "--private", cwd=project)
    plot = project / "cv_vs_public.png"
    assert f"Plot: {plot} (CV vs public over 3 run(s), Pearson r = " in proc.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = proc.stdout.splitlines()
    head = ["run", "model", "params", "metric", "CV", "mean", "±", "std"]
    assert table[0].split()[:8] == head
    assert "public" in table[0] and "private" in table[0]
    assert len(table) == 6 and table[4].startswith("* best CV")  # 3 runs, the best, the plot
    # --json keeps stdout one JSON document; the plot line goes to stderr
    proc = ks("runs", "--json", "--plot", cwd=project)
    assert proc.stdout.lstrip().startswith("[") and "Plot:" in proc.stderr

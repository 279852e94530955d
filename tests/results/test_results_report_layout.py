"""The report as a browser lays it out (headless Chromium): no table wider than the page
unless its container scrolls, no image wider than the page; on the demo-like report and
on a report of the full 2018 data."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_results_report_science import make_demo_like

from lab.readers import read_trials
from results.plot_style import checking_overlaps
from results.report import write_report

#: run in the page after layout (folded parts opened): every table and image that sticks
#: out of the page without a container that scrolls
_CHECK = """
<script>
window.addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const page = document.documentElement.clientWidth;
  const out = {page: page, pageScroll: document.documentElement.scrollWidth, bad: []};
  for (const el of document.querySelectorAll('table, img')) {
    const box = el.getBoundingClientRect();
    let parent = el.parentElement, scrolls = false;
    while (parent && parent !== document.body) {
      const style = getComputedStyle(parent);
      if (style.overflowX === 'auto' || style.overflowX === 'scroll') { scrolls = true; break; }
      parent = parent.parentElement;
    }
    if (!scrolls && box.right > page + 1) {
      out.bad.push((el.id || el.tagName) + ' right=' + Math.round(box.right));
    }
    if (scrolls && parent.getBoundingClientRect().right > page + 1) {
      out.bad.push('container of ' + (el.id || el.tagName));
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless Chromium: install it (apt-get install chromium)")


def layout_problems(report: Path, tmp_path: Path, width: int = 1400) -> dict:
    """Lay ``report`` out at ``width`` px in headless Chromium and return what sticks out."""
    page = report.read_text(encoding="utf-8").replace("</body>", _CHECK + "</body>")
    probe = tmp_path / "probe.html"
    probe.write_text(page, encoding="utf-8")
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},2000",
         "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="layout-check">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.mark.slow
def test_demo_like_report_fits_the_page(tmp_path):
    """... and its figures draw no text over another (drawn here, so that the check sees
    them)."""
    data = make_demo_like(tmp_path / "data")
    with checking_overlaps() as overlaps:
        report = write_report(read_trials(data), tmp_path / "report", inputs=[str(data)],
                              workers=1)
    assert overlaps == []
    result = layout_problems(report, tmp_path)
    assert result["bad"] == [] and result["pageScroll"] <= result["page"], result


def test_the_check_finds_a_table_that_sticks_out(tmp_path):
    """The probe can fail: a wide table outside a scrolling container is reported."""
    cells = "".join(f"<td>{'x' * 40}</td>" for _ in range(30))
    page = tmp_path / "wide.html"
    page.write_text(f"<html><body><table id='wide'><tr>{cells}</tr></table>"
                    f"<div style='overflow-x:auto'><table id='ok'><tr>{cells}</tr></table>"
                    "</div></body></html>", encoding="utf-8")
    result = layout_problems(page, tmp_path)
    assert [b.split(" ")[0] for b in result["bad"]] == ["wide"]

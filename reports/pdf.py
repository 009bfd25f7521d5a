"""The report as an A4 PDF, printed by headless Chromium where it is installed.

Chromium opens the written HTML with ``#print`` appended, which makes the page open every
collapsed section and size its figures to the A4 content width before printing (see
:mod:`~hybridplan.reports.page`). No network is used: the page is one local file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .atomic import write_atomic
from .labels import ReportDataError

#: Executables tried in order (after the ``HYBRIDPLAN_CHROMIUM`` environment variable).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ChromiumNotFoundError(ReportDataError):
    """No headless Chromium to print the PDF with."""


def find_chromium() -> str:
    """Path of a Chromium executable, or :class:`ChromiumNotFoundError` saying how to get one."""
    given = os.environ.get("HYBRIDPLAN_CHROMIUM")
    if given:
        if Path(given).exists():
            return given
        raise ChromiumNotFoundError(
            f"HYBRIDPLAN_CHROMIUM={given!r} does not exist; point it at a Chromium "
            "executable or unset it"
        )
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFoundError(
        f"printing the PDF needs headless Chromium; none of {', '.join(CHROMIUM_NAMES)} is on "
        "PATH. Install it (Debian/Ubuntu: apt-get install chromium) or set "
        "HYBRIDPLAN_CHROMIUM; report.html is written either way and prints from any browser"
    )


def write_pdf(
    html_path: str | os.PathLike,
    pdf_path: str | os.PathLike,
    *,
    chromium: str | None = None,
    timeout_s: float = 180.0,
) -> Path:
    """Print ``html_path`` to an A4 PDF at ``pdf_path`` (atomic) with headless Chromium.

    Raises
    ------
    ChromiumNotFoundError
        No Chromium found (the message says how to install one).
    ReportDataError
        Chromium failed or wrote nothing (its last error line is quoted).
    """
    executable = chromium or find_chromium()
    url = Path(html_path).resolve().as_uri() + "#print"

    def run(tmp: Path) -> None:
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--no-pdf-header-footer",
            "--virtual-time-budget=5000",
            f"--print-to-pdf={tmp}",
            url,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise ReportDataError(
                f"Chromium did not print {html_path} within "
                f"{timeout_s:g} s; open the HTML and print it"
            ) from None
        if not tmp.exists() or tmp.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ReportDataError(
                f"Chromium wrote no PDF for {html_path} (exit {done.returncode}: {last})"
            )

    return write_atomic(pdf_path, run)

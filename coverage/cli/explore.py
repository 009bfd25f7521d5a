"""``hybridplan explore``: the local explorer app (Dash), served from 127.0.0.1.

Binding to any other address needs ``--public`` and prints a warning: the app runs the
planner on request and has no authentication. Full plans started from the app run as a
``hybridplan plan`` subprocess in ``--out``, with progress and cancel.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..errors import CoverageError

LOOPBACK = "127.0.0.1"
#: ``python -c`` text that runs the ``hybridplan`` command line in a subprocess.
PLAN_COMMAND = "import sys; from hybridplan.coverage.cli import main; sys.exit(main())"


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "explore",
        help="a local app: sliders change systems, window and costs; the map answers",
        description="Starts a local web app (needs the explore extra: pip install "
        "'hybridplan[explore]') on the scenario's region: systems, licences, "
        "minimum elevation, GSO exclusion, N, a Walker shell, the time window and "
        "the planning costs change the hexagon map within seconds; cost changes "
        "reuse the cached coverage. Served on 127.0.0.1 only unless --public. "
        "Example: hybridplan explore scenario.toml --port 8050",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default="default",
        metavar="SCENARIO.toml",
        help="scenario file (default: the bundled default scenario)",
    )
    p.add_argument("--port", type=int, default=8050, help="TCP port (default 8050)")
    p.add_argument(
        "--host", default=LOOPBACK, help="address to bind (default 127.0.0.1; others need --public)"
    )
    p.add_argument(
        "--public",
        action="store_true",
        help="allow binding to a non-loopback address (default then 0.0.0.0)",
    )
    p.add_argument(
        "--resolution",
        type=int,
        default=None,
        metavar="RES",
        help="H3 resolution of the explorer's grid (default: the scenario's, at "
        "most 6; 'run full plan' uses the scenario's own)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="engine worker processes kept warm (default 2)",
    )
    p.add_argument(
        "--out",
        default="explore-runs",
        metavar="DIR",
        help="folder for full plans started from the app (default explore-runs)",
    )
    p.set_defaults(handler=run_explore)


def bind_address(host: str, public: bool) -> str:
    """The address to bind: loopback unless ``public``; a refusal names the fix."""
    if not public:
        if not _is_loopback(host):
            raise CoverageError(
                f"--host {host}: the explorer binds to loopback only (it runs "
                "the planner on request, without authentication); add "
                "--public to serve it on other addresses"
            )
        return host
    return "0.0.0.0" if host == LOOPBACK else host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(app, host: str, port: int):
    """A threaded WSGI server for a Dash app (``serve_forever`` / ``shutdown``)."""
    from werkzeug.serving import make_server as werkzeug_server

    return werkzeug_server(host, port, app.server, threaded=True)


class FullPlanJob:
    """One ``hybridplan plan`` run at a time in a subprocess: start, status, cancel.

    Progress is the subprocess's own progress bar (run on a pseudo-terminal where the
    platform has one, so tqdm draws it) and the elapsed time.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self._proc: subprocess.Popen | None = None
        self._started = 0.0
        self._last = ""
        self._folder: Path | None = None
        self._lock = threading.Lock()

    def start(self, toml_text: str) -> str:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return "a full plan is already running"
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            self._folder = self.out_dir / f"plan-{stamp}"
            self._folder.mkdir(parents=True, exist_ok=True)
            scenario = self._folder / "scenario.toml"
            scenario.write_text(toml_text, encoding="utf-8")
            command = [
                sys.executable,
                "-c",
                PLAN_COMMAND,
                "plan",
                str(scenario),
                "--out",
                str(self._folder / "results"),
            ]
            env = {**os.environ, "PYTHONSAFEPATH": "1"}
            self._last = "building the ground and the coverage"
            self._started = time.monotonic()
            try:
                import pty

                master, slave = pty.openpty()
            except (ImportError, OSError):
                master = slave = None
            if master is not None:
                self._proc = subprocess.Popen(
                    command, stdout=slave, stderr=slave, cwd=self._folder, env=env
                )
                os.close(slave)
                threading.Thread(target=self._read_fd, args=(master,), daemon=True).start()
            else:
                self._proc = subprocess.Popen(
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    cwd=self._folder,
                    env=env,
                )
                threading.Thread(
                    target=self._read_fd, args=(self._proc.stdout.fileno(),), daemon=True
                ).start()
            return f"started in {self._folder}"

    def _read_fd(self, fd: int) -> None:
        buffer = ""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buffer = (buffer + chunk.decode("utf-8", "replace"))[-2000:]
            parts = [p.strip() for p in buffer.replace("\r", "\n").split("\n") if p.strip()]
            if parts:
                self._last = parts[-1]
        try:
            os.close(fd)
        except OSError:
            pass

    def status(self) -> dict:
        proc = self._proc
        if proc is None:
            return {"running": False, "text": "no full plan started"}
        elapsed = time.monotonic() - self._started
        code = proc.poll()
        if code is None:
            return {"running": True, "text": f"full plan running ({elapsed:.0f} s): {self._last}"}
        state = {0: "finished", -15: "cancelled"}.get(code, f"failed (exit status {code})")
        return {
            "running": False,
            "text": f"full plan {state} after {elapsed:.0f} s: {self._folder}\n{self._last}",
        }

    def cancel(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def run_explore(args: argparse.Namespace) -> int:
    host = bind_address(args.host, args.public)
    try:
        from hybridplan.reports.explorer import build_app
    except ImportError as exc:
        raise CoverageError(
            f"hybridplan explore needs Dash ({exc}); install the extra: "
            "pip install 'hybridplan[explore]'"
        ) from None
    from ..pipeline.explore_model import ExploreModel
    from ..scenario import scenario_from_argument
    from ._console import positive_workers

    if args.public:
        print(
            f"hybridplan: warning: serving on {host}:{args.port} for every machine that can "
            "reach this one; the explorer has no authentication",
            file=sys.stderr,
        )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    scenario = scenario_from_argument(args.scenario)
    workers = positive_workers(args.workers) or 1
    print("hybridplan explore: building the ground and warming the engine ...", file=sys.stderr)
    started = time.perf_counter()
    model = ExploreModel(scenario, resolution=args.resolution, workers=workers)
    try:
        model.compute(model.initial_view(), time.perf_counter)
        app = build_app(
            model, title=f"hybridplan explore: {scenario.name}", job=FullPlanJob(Path(args.out))
        )
        server = make_server(app, host, args.port)
        shown = LOOPBACK if host == "0.0.0.0" else host
        print(
            f"hybridplan explore: ready in {time.perf_counter() - started:.0f} s at "
            f"http://{shown}:{server.port}/ (Ctrl+C stops)",
            file=sys.stderr,
        )
        server.serve_forever()
    finally:
        model.close()
    return 0

"""How fast the portal answers over real HTTP: creating assignments, reading them, the image origin.

The image origin claims to answer hot images from memory on the event loop, close to what a bare
FastAPI endpoint returning the same bytes would do; reading an assignment and creating one with
an image have latency targets of their own. Only measurement over real sockets can back those
claims, so every server under test runs in its own process (uvicorn, one worker, the same
server configuration that `eduportal serve` uses) and the load comes from another process (wrk
when it is installed, else an asyncio client of our own), so no figure shares a GIL with the
thing it measures. The portal is started as a deployment would start it, `python -m eduportal
serve --no-ui`, on the embedded default (local files, SQLite, offline generators) in a fresh
temporary data directory, with accounts made by `eduportal users add`.

Targets measured together take turns (origin, bare, origin, bare, ...; the assignment read with
`/healthz`, the framework's floor on the same server) and the median of each is reported, so
slow moments of a shared 2-core machine fall on all alike. The server's CPU time per request is
recorded too: it is what a stolen core does not change. Figures are printed and written to
bench/results/portal.json; bench/portal_README.md explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import math
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import urlsplit

import httpx

# At module level, not in the server functions: with postponed annotations FastAPI resolves a
# route's `Request` and `Response` annotations in the module's globals.
from fastapi import FastAPI, Response
from tests.support.texts import GEOGRAPHY, HISTORY, LANGUAGE, SCIENCE, TEXT

from eduportal.loadtest.local_portal import portal_env

REPO: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = REPO / "bench" / "results"
HOST: Final = "127.0.0.1"
PASSWORD: Final = "correct horse battery"
TEACHER: Final = "benchteacher"
STUDENT: Final = "benchstudent"

CREATE_P95_MS: Final = 300.0
GET_P95_MS: Final = 20.0
IMAGE_P95_MS: Final = 20.0
ORIGIN_OVER_BARE: Final = 0.80
IMAGE_BYTES_RANGE: Final = (8_000, 500_000)
"""The realistic size of a generated WebP (the offline poster: about 14 KB since its encoding is
chosen per image, 30 KB at a fixed quality; a photograph up to a few hundred); an image outside
it would make the origin test lie."""

STARTUP_SECONDS: Final = 60.0
REQUEST_TIMEOUT_SECONDS: Final = 60.0
LOAD_TIMEOUT_SECONDS: Final = 10.0
"""Per-request timeout of the load generators: a request slower than this counts as an error."""

PROMPTS: Final = (SCIENCE, HISTORY, GEOGRAPHY, LANGUAGE, TEXT)
"""Classroom texts the offline question generator accepts (five sentences with a key term)."""


# -- the plan -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How much of each scenario to run; `--quick` shrinks every part for a smoke run."""

    create_warmups: int
    creates: int
    create_clients: int
    creates_per_client: int
    connections: int
    warmup_seconds: float
    seconds: float
    rounds: int
    max_requests: int
    """Cap on requests per asyncio-client run (wrk is bounded by its duration alone)."""


FULL: Final = Plan(
    create_warmups=3,
    creates=40,
    create_clients=4,
    creates_per_client=6,
    connections=50,
    warmup_seconds=5.0,
    seconds=8.0,
    rounds=5,
    max_requests=2_000_000,
)
QUICK: Final = Plan(
    create_warmups=1,
    creates=5,
    create_clients=4,
    creates_per_client=1,
    connections=50,
    warmup_seconds=1.0,
    seconds=3.0,
    rounds=1,
    max_requests=200_000,
)


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    """One fixed-duration run of the load generator against one URL."""

    requests: int
    seconds: float
    req_per_s: float
    mb_per_s: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    status_errors: int
    """Responses outside 2xx/3xx."""
    socket_errors: int
    """Connect, read, write errors and timeouts."""
    server_cpu_s: float | None = None
    """CPU seconds (user + system, all threads) the server process used during the run."""
    client_cpu_s: float | None = None
    kernel: Mapping[str, float] | None = None
    """What the kernel counted during the run (`Counters`): explains a run that went badly."""

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors

    @property
    def context_switches_per_request(self) -> float | None:
        if not self.kernel or not self.requests:
            return None
        return self.kernel["server_context_switches"] / self.requests

    def as_dict(self) -> dict[str, Any]:
        figures = asdict(self)
        figures["kernel"] = dict(self.kernel) if self.kernel else None
        figures["errors"] = self.errors
        if self.server_cpu_s is not None and self.requests:
            figures["server_cpu_ms_per_request"] = round(
                1000 * self.server_cpu_s / self.requests, 4
            )
            figures["server_cores_busy"] = round(self.server_cpu_s / self.seconds, 3)
        if self.client_cpu_s is not None:
            figures["client_cores_busy"] = round(self.client_cpu_s / self.seconds, 3)
        switches = self.context_switches_per_request
        if switches is not None:
            figures["server_context_switches_per_request"] = round(switches, 2)
        return figures


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile, so p99 of 40 samples is an observed value, not an interpolation."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies_ms, 0.50), 2),
        "p95_ms": round(percentile(latencies_ms, 0.95), 2),
        "p99_ms": round(percentile(latencies_ms, 0.99), 2),
        "max_ms": round(max(latencies_ms), 2),
        "mean_ms": round(statistics.fmean(latencies_ms), 2),
    }


def median_of(runs: Sequence[LoadResult]) -> dict[str, Any]:
    """Each figure's median over the measured rounds; errors are summed, never hidden."""
    keys = ("req_per_s", "mb_per_s", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")
    figures: dict[str, Any] = {
        key: round(statistics.median(getattr(run, key) for run in runs), 2) for key in keys
    }
    figures["requests"] = sum(run.requests for run in runs)
    figures["errors"] = sum(run.errors for run in runs)
    cpu = [run.server_cpu_s / run.requests for run in runs if run.server_cpu_s and run.requests]
    if cpu:
        figures["server_cpu_ms_per_request"] = round(1000 * statistics.median(cpu), 4)
    busy = [run.server_cpu_s / run.seconds for run in runs if run.server_cpu_s is not None]
    if busy:
        figures["server_cores_busy"] = round(statistics.median(busy), 3)
    switches = [run.context_switches_per_request for run in runs]
    if all(value is not None for value in switches):
        figures["server_context_switches_per_request"] = round(
            statistics.median(value for value in switches if value is not None), 2
        )
    return figures


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Counters:
    """Kernel counters of the server process and the machine, from /proc (Linux only).

    Read around every load run. Context switches per request show threads handing work (and
    the GIL) back and forth; steal and iowait show a machine that was busy elsewhere; major
    faults and bytes read from storage show a server that was not working from memory.
    """

    server_cpu_s: float
    server_context_switches: Mapping[str, int]
    """Per thread; threads that end between two readings take theirs along (an undercount)."""
    server_major_faults: int
    server_read_bytes: int
    machine_steal_s: float
    machine_iowait_s: float

    @classmethod
    def read(cls, pid: int) -> Counters | None:
        tick = os.sysconf("SC_CLK_TCK")
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            switches = {}
            for status in Path(f"/proc/{pid}/task").glob("*/status"):
                with contextlib.suppress(OSError):  # a thread may end while we read
                    switches[status.parent.name] = sum(
                        int(line.rsplit(None, 1)[1])
                        for line in status.read_text().splitlines()
                        if "ctxt_switches:" in line
                    )
            io = dict(
                line.split(": ", 1) for line in Path(f"/proc/{pid}/io").read_text().splitlines()
            )
            machine = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except (OSError, ValueError, IndexError):
            return None
        return cls(
            server_cpu_s=(int(stat[11]) + int(stat[12])) / tick,
            server_context_switches=switches,
            server_major_faults=int(stat[9]),
            server_read_bytes=int(io.get("read_bytes", 0)),
            machine_steal_s=int(machine[7]) / tick,
            machine_iowait_s=int(machine[4]) / tick,
        )

    def since(self, before: Counters) -> dict[str, float]:
        deltas = {
            name: round(getattr(self, name) - getattr(before, name), 3)
            for name in self.__dataclass_fields__
            if name != "server_context_switches"
        }
        deltas["server_context_switches"] = sum(
            count - before.server_context_switches.get(thread, 0)
            for thread, count in self.server_context_switches.items()
        )
        return deltas


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Server:
    """A server under test in its own process, with its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    log_file: IO[bytes] = field(repr=False)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def log_problems(self) -> list[str]:
        """Tracebacks and error lines the server wrote: a fast wrong answer is no result."""
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace")
            return [
                line
                for line in text.splitlines()
                if "Traceback" in line or '"level": "ERROR"' in line or "ERROR:" in line
            ]
        return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()


def start_server(
    name: str, command: Sequence[str], env: Mapping[str, str], port: int, log_path: Path
) -> Server:
    """Start `command` and wait (bounded) until its /healthz answers."""
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        list(command), cwd=REPO, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT
    )
    server = Server(name, process, f"http://{HOST}:{port}", log_path, log_file)
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                    return server
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer within {STARTUP_SECONDS:.0f} s")
    except BaseException:
        server.stop()
        raise


def server_env(extra_pythonpath: str | None) -> dict[str, str]:
    """The environment of both servers: the same Python path, so the same uvicorn extras."""
    env = dict(os.environ)
    if extra_pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (extra_pythonpath, env.get("PYTHONPATH")) if part
        )
    return env


def add_user(env: Mapping[str, str], name: str, role: str) -> None:
    """`eduportal users add`, the operator's way, with the password on standard input."""
    subprocess.run(
        [sys.executable, "-m", "eduportal", "users", "add", name, "--role", role],
        input=f"{PASSWORD}\n".encode(),
        env=dict(env),
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )


def login(base_url: str, username: str) -> str:
    response = httpx.post(
        f"{base_url}/api/login",
        json={"username": username, "password": PASSWORD},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def uvicorn_stack(env: Mapping[str, str]) -> dict[str, str | None]:
    """What uvicorn's `auto` picks in the servers' environment: the HTTP parser and the loop."""
    probe = (
        "import importlib.util as u, json, uvicorn, h11;"
        "print(json.dumps({'uvicorn': uvicorn.__version__, 'h11': h11.__version__,"
        "'httptools': bool(u.find_spec('httptools')), 'uvloop': bool(u.find_spec('uvloop'))}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=dict(env),
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
        text=True,
    ).stdout
    found = json.loads(out)
    return {
        "uvicorn": found["uvicorn"],
        "h11": found["h11"],
        "http": "httptools" if found["httptools"] else "h11",
        "loop": "uvloop" if found["uvloop"] else "asyncio",
    }


# -- the bare endpoint ----------------------------------------------------------------------------


def serve_bare(argv: Sequence[str]) -> int:
    """The yardstick: FastAPI returning the image's bytes from memory, nothing else.

    Same route shape as the origin (`/images/{key:path}`) and the same uvicorn server as
    `eduportal serve` (`eduportal.api.server.server_config`, header deadline included), so the
    difference between the two is what the origin does per request: middleware, cache lookup,
    ETag, Cache-Control and security headers.
    """
    import uvicorn

    from eduportal.api.server import server_config
    from eduportal.config import load_settings

    parser = argparse.ArgumentParser(prog="bench.portal _bare-server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--image", type=Path, required=True)
    args = parser.parse_args(argv)
    data = args.image.read_bytes()
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/images/{key:path}")
    async def image(key: str) -> Response:
        return Response(content=data, media_type="image/webp")

    uvicorn.Server(server_config(app, load_settings(), host=HOST, port=args.port)).run()
    return 0


# -- load generators ------------------------------------------------------------------------------

_WRK_SCRIPT: Final = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\\"requests\\": %.0f, \\"duration_us\\": %.0f, \\"bytes\\": %.0f, "
    .. "\\"connect\\": %.0f, \\"read\\": %.0f, \\"write\\": %.0f, \\"status\\": %.0f, "
    .. "\\"timeout\\": %.0f, \\"p50\\": %.1f, \\"p90\\": %.1f, \\"p95\\": %.1f, "
    .. "\\"p99\\": %.1f, \\"max\\": %.1f, \\"mean\\": %.1f}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""
"""wrk's `done` hook: the latency distribution as JSON (no per-response hook, it would slow
wrk down). Latencies are in microseconds, duration too."""


@dataclass(frozen=True)
class LoadSpec:
    url: str
    headers: Mapping[str, str]
    connections: int
    seconds: float
    max_requests: int


class LoadGenerator:
    """Runs one load test in a separate process and returns its figures."""

    name: str = ""

    def run(self, spec: LoadSpec, server_pid: int) -> LoadResult:
        before = Counters.read(server_pid)
        before_client = children_cpu_seconds()
        result = self._run(spec)
        after = Counters.read(server_pid)
        kernel = after.since(before) if after is not None and before is not None else None
        return replace(
            result,
            server_cpu_s=kernel["server_cpu_s"] if kernel else None,
            client_cpu_s=round(children_cpu_seconds() - before_client, 3),
            kernel=kernel,
        )

    def _run(self, spec: LoadSpec) -> LoadResult:
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


class Wrk(LoadGenerator):
    """wrk: C, epoll, one thread by default so it takes as little of the 2 cores as it can."""

    name = "wrk"

    def __init__(self, executable: str, script: Path, threads: int) -> None:
        self.executable = executable
        self.script = script
        self.threads = threads
        script.write_text(_WRK_SCRIPT)

    def describe(self) -> str:
        version = subprocess.run(
            [self.executable, "-v"], capture_output=True, text=True, timeout=10, check=False
        )
        first = (version.stdout or version.stderr).splitlines()
        return f"{first[0] if first else 'wrk'} (-t{self.threads})"

    def _run(self, spec: LoadSpec) -> LoadResult:
        command = [
            self.executable,
            f"-t{min(self.threads, spec.connections)}",
            f"-c{spec.connections}",
            f"-d{max(1, round(spec.seconds))}s",
            f"--timeout={LOAD_TIMEOUT_SECONDS:.0f}s",
            "-s",
            str(self.script),
        ]
        for name, value in spec.headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(spec.url)
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=spec.seconds + 2 * LOAD_TIMEOUT_SECONDS + 30,
            check=False,
        )
        match = re.search(r"^WRK_JSON (\{.*\})$", completed.stdout, re.MULTILINE)
        if completed.returncode != 0 or match is None:
            raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}")
        raw = json.loads(match.group(1))
        seconds = raw["duration_us"] / 1e6
        return LoadResult(
            requests=int(raw["requests"]),
            seconds=round(seconds, 3),
            req_per_s=round(raw["requests"] / seconds, 1),
            mb_per_s=round(raw["bytes"] / seconds / 1e6, 2),
            p50_ms=round(raw["p50"] / 1000, 3),
            p90_ms=round(raw["p90"] / 1000, 3),
            p95_ms=round(raw["p95"] / 1000, 3),
            p99_ms=round(raw["p99"] / 1000, 3),
            max_ms=round(raw["max"] / 1000, 3),
            mean_ms=round(raw["mean"] / 1000, 3),
            status_errors=int(raw["status"]),
            socket_errors=int(raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]),
        )


class AsyncioClient(LoadGenerator):
    """The fallback without wrk: raw asyncio streams in a child process, HTTP/1.1 keep-alive.

    Slower than wrk (it is Python, on the same two cores as the server), so its req/s are a
    floor; it is used for the origin and the bare endpoint alike, so their ratio stays fair.
    """

    name = "asyncio-client"

    def describe(self) -> str:
        return f"bench.portal asyncio client (Python {platform.python_version()})"

    def _run(self, spec: LoadSpec) -> LoadResult:
        command = [
            sys.executable,
            "-m",
            "bench.portal",
            "_load",
            "--url",
            spec.url,
            "--connections",
            str(spec.connections),
            "--seconds",
            str(spec.seconds),
            "--max-requests",
            str(spec.max_requests),
        ]
        for name, value in spec.headers.items():
            command += ["--header", f"{name}: {value}"]
        completed = subprocess.run(
            command,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=spec.seconds + 2 * LOAD_TIMEOUT_SECONDS + 30,
            check=False,
        )
        match = re.search(r"^LOAD_JSON (\{.*\})$", completed.stdout, re.MULTILINE)
        if completed.returncode != 0 or match is None:
            raise RuntimeError(f"load client failed ({completed.returncode}): {completed.stderr}")
        return LoadResult(**json.loads(match.group(1)))


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    bytes: int = 0
    status_errors: int = 0
    socket_errors: int = 0


async def _one_connection(
    host: str, port: int, request: bytes, deadline: float, max_requests: int, tally: _Tally
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        tally.socket_errors += 1
        return
    try:
        while time.perf_counter() < deadline and len(tally.latencies) < max_requests:
            started = time.perf_counter()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), LOAD_TIMEOUT_SECONDS)
            match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if match is None:
                tally.socket_errors += 1
                return
            body = await asyncio.wait_for(
                reader.readexactly(int(match.group(1))), LOAD_TIMEOUT_SECONDS
            )
            tally.latencies.append(time.perf_counter() - started)
            tally.bytes += len(head) + len(body)
            if not 200 <= int(head[9:12]) < 400:
                tally.status_errors += 1
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        tally.socket_errors += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _load(
    url: str, headers: Mapping[str, str], connections: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or HOST, parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    tally = _Tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.wait_for(
        asyncio.gather(
            *(
                _one_connection(host, port, request, deadline, max_requests, tally)
                for _ in range(connections)
            )
        ),
        seconds + 2 * LOAD_TIMEOUT_SECONDS,
    )
    elapsed = time.perf_counter() - started
    latencies_ms = [value * 1000 for value in tally.latencies] or [0.0]
    return {
        "requests": len(tally.latencies),
        "seconds": round(elapsed, 3),
        "req_per_s": round(len(tally.latencies) / elapsed, 1),
        "mb_per_s": round(tally.bytes / elapsed / 1e6, 2),
        "p50_ms": round(percentile(latencies_ms, 0.50), 3),
        "p90_ms": round(percentile(latencies_ms, 0.90), 3),
        "p95_ms": round(percentile(latencies_ms, 0.95), 3),
        "p99_ms": round(percentile(latencies_ms, 0.99), 3),
        "max_ms": round(max(latencies_ms), 3),
        "mean_ms": round(statistics.fmean(latencies_ms), 3),
        "status_errors": tally.status_errors,
        "socket_errors": tally.socket_errors,
    }


def load_main(argv: Sequence[str]) -> int:
    """The asyncio client's child process: one run, figures as one `LOAD_JSON` line."""
    parser = argparse.ArgumentParser(prog="bench.portal _load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--max-requests", type=int, required=True)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args(argv)
    headers = dict(header.split(": ", 1) for header in args.header)
    figures = asyncio.run(
        _load(args.url, headers, args.connections, args.seconds, args.max_requests)
    )
    sys.stdout.write(f"LOAD_JSON {json.dumps(figures)}\n")
    return 0


def pick_client(choice: str, work_dir: Path, threads: int) -> LoadGenerator:
    executable = shutil.which("wrk")
    if choice == "wrk" and executable is None:
        raise SystemExit("wrk is not on PATH (apt-get install -y wrk), or use --client asyncio")
    if choice != "asyncio" and executable is not None:
        return Wrk(executable, work_dir / "report.lua", threads)
    return AsyncioClient()


# -- scenarios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    assignment_id: str
    image_key: str
    image_url: str
    image_bytes: int


def _create(client: httpx.Client, index: int) -> tuple[float, Created]:
    text = f"{PROMPTS[index % len(PROMPTS)]} Lesson {index}."
    started = time.perf_counter()
    response = client.post("/api/assignments", json={"text": text, "with_image": True})
    elapsed_ms = (time.perf_counter() - started) * 1000
    if response.status_code != 201:
        raise RuntimeError(f"POST /api/assignments: {response.status_code} {response.text}")
    body = response.json()
    metadata = body["image_metadata"] or {}
    return elapsed_ms, Created(
        assignment_id=body["assignment_id"],
        image_key=body["s3_image_key"],
        image_url=body["cloudfront_url"] or "",
        image_bytes=int(metadata.get("optimized_size_bytes", 0)),
    )


_METERED: Final = ("image_optimize_seconds", "image_upload_seconds")


def metered_seconds(base_url: str) -> dict[str, tuple[float, float]]:
    """(sum, count) of the portal's own timing histograms, summed over labels, from /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    found: dict[str, tuple[float, float]] = {}
    for name in _METERED:
        total = count = 0.0
        for line in text.splitlines():
            if line.startswith(f"{name}_sum"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith(f"{name}_count"):
                count += float(line.rsplit(" ", 1)[1])
        found[name] = (total, count)
    return found


def scenario_create(base_url: str, token: str, plan: Plan) -> tuple[dict[str, Any], Created]:
    """POST /api/assignments with an image: sequential, then a few clients at once.

    Each request generates the illustration (1024 px PNG), optimizes it to WebP, writes it and
    saves the record, so this is CPU work in the server's thread pool, not I/O.
    """
    headers = {"Authorization": f"Bearer {token}"}
    index = 0
    sequential: list[float] = []
    last: Created | None = None
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS) as c:
        for _ in range(plan.create_warmups):
            _, last = _create(c, index)
            index += 1
        before = metered_seconds(base_url)
        for _ in range(plan.creates):
            elapsed_ms, last = _create(c, index)
            sequential.append(elapsed_ms)
            index += 1
        after = metered_seconds(base_url)
    assert last is not None
    # Where a sequential request's time goes, by the server's own histograms; the rest is the
    # offline illustration (not metered), the questions, SQLite and HTTP.
    server_ms = {
        name.removesuffix("_seconds"): round(
            1000 * (after[name][0] - before[name][0]) / (after[name][1] - before[name][1]), 2
        )
        for name in _METERED
        if after[name][1] > before[name][1]
    }
    server_ms["rest"] = round(statistics.fmean(sequential) - sum(server_ms.values()), 2)

    def client_run(first: int) -> list[float]:
        latencies = []
        with httpx.Client(
            base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
        ) as client:
            for offset in range(plan.creates_per_client):
                latencies.append(_create(client, first + offset)[0])
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(plan.create_clients) as pool:
        firsts = [index + n * plan.creates_per_client for n in range(plan.create_clients)]
        concurrent = [ms for run in pool.map(client_run, firsts) for ms in run]
    wall = time.perf_counter() - started
    figures = {
        "sequential": {
            "requests": len(sequential),
            **latency_summary(sequential),
            "mean_ms_by_step": server_ms,
        },
        "concurrent": {
            "clients": plan.create_clients,
            "requests": len(concurrent),
            "assignments_per_s": round(len(concurrent) / wall, 2),
            **latency_summary(concurrent),
        },
        "image_bytes": last.image_bytes,
    }
    return figures, last


def warm_image(origin: Server, created: Created, data_dir: Path) -> bytes:
    """Load the image into the origin's cache and check it is the stored WebP, byte for byte."""
    stored = (data_dir / "objects" / created.image_key).read_bytes()
    for _ in range(3):
        response = httpx.get(f"{origin.base_url}/images/{created.image_key}", timeout=30)
        response.raise_for_status()
        if response.content != stored or response.headers["content-type"] != "image/webp":
            raise RuntimeError("the origin did not answer the stored WebP")
    low, high = IMAGE_BYTES_RANGE
    if not low <= len(stored) <= high:
        raise RuntimeError(f"the image is {len(stored)} bytes, outside {low}-{high}")
    return stored


def load(client: LoadGenerator, server: Server, spec: LoadSpec) -> LoadResult:
    """One load run; if it fails, say whether the server under test is still alive."""
    try:
        return client.run(spec, server.process.pid)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        code = server.process.poll()
        state = "still running" if code is None else f"exited with {code}"
        raise RuntimeError(f"{exc}\n{server.name} {state}; its log:\n{server.log_tail()}") from exc


def measure(
    client: LoadGenerator,
    targets: Mapping[str, tuple[Server, LoadSpec]],
    plan: Plan,
    say: Callable[[str], None],
) -> dict[str, list[LoadResult]]:
    """Warm each target up, then run them in turn, round after round (A, B, A, B, ...)."""
    for name, (server, spec) in targets.items():
        say(f"  warm-up {name} ({plan.warmup_seconds:.0f} s)")
        load(client, server, replace(spec, seconds=plan.warmup_seconds))
    runs: dict[str, list[LoadResult]] = {name: [] for name in targets}
    for round_number in range(1, plan.rounds + 1):
        for name, (server, spec) in targets.items():
            result = load(client, server, spec)
            runs[name].append(result)
            say(
                f"  round {round_number} {name}: {result.req_per_s:,.0f} req/s, "
                f"p50 {result.p50_ms:.1f} / p95 {result.p95_ms:.1f} / p99 {result.p99_ms:.1f} ms"
                f", errors {result.errors}"
            )
    return runs


# -- report ---------------------------------------------------------------------------------------


def machine_info(client: LoadGenerator, stack: Mapping[str, str | None]) -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "fastapi": version("fastapi"),
        "starlette": version("starlette"),
        "pydantic": version("pydantic"),
        "pillow": version("pillow"),
        "server_stack": dict(stack),
        "load_generator": client.describe(),
        "caveat": "The load generator runs on the same cores as the server; with 2 cores it "
        "takes CPU the server could use, so req/s are a lower bound for a dedicated server.",
    }


def row(name: str, figures: Mapping[str, Any], target: str, passed: bool | None) -> str:
    rate = figures.get("req_per_s") or figures.get("assignments_per_s")
    rate_text = f"{rate:>9,.1f}" if rate is not None else f"{'-':>9}"
    verdict = "-" if passed is None else ("PASS" if passed else "FAIL")
    return (
        f"{name:<40} {figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f} "
        f"{figures['p99_ms']:>8.1f} {rate_text} {figures.get('errors', 0):>6} "
        f"{target:<16} {verdict}"
    )


def table(results: Mapping[str, Any]) -> str:
    scenarios = results["scenarios"]
    checks = results["targets"]
    create = scenarios["create_assignment_with_image"]
    lines = [
        f"{'scenario (medians of the rounds)':<40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'req/s':>9} {'errors':>6} {'target':<16} result",
        row("POST /api/assignments (sequential)", create["sequential"], "p95 < 300 ms",
            checks["create_p95"]["passed"]),
        row(f"POST /api/assignments ({create['concurrent']['clients']} clients)",
            create["concurrent"], "(info)", None),
        row("GET /api/assignments/{id} (50 conns)", scenarios["get_assignment"]["median"],
            "p95 < 20 ms", checks["get_assignment"]["passed"]),
        row("GET /healthz, same server (50 conns)", scenarios["healthz_floor"]["median"],
            "(floor)", None),
        row("GET /images/{key} origin (50 conns)", scenarios["image_origin"]["median"],
            "p95 < 20 ms", checks["image_origin"]["passed"]),
        row("bare FastAPI Response (50 conns)", scenarios["bare_endpoint"]["median"],
            "(yardstick)", None),
    ]  # fmt: skip
    ratio = checks["origin_over_bare"]
    lines.append(
        f"origin/bare req/s ratio: {ratio['value']:.3f} (rounds: "
        f"{', '.join(f'{value:.3f}' for value in ratio['per_round'])}; goal >= "
        f"{ORIGIN_OVER_BARE:.2f}) {'PASS' if ratio['passed'] else 'FAIL'}"
    )
    if ratio["by_server_cpu"] is not None:
        lines.append(
            f"same ratio from server CPU per request (bare/origin): {ratio['by_server_cpu']:.3f}"
        )
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.portal",
        description="Benchmark the portal over real HTTP on the embedded default: creating an "
        "assignment with an image (POST /api/assignments), reading one (GET "
        "/api/assignments/{id}, 50 connections), the image origin (GET /images/{key}, 50 "
        "connections) and, side by side, a bare FastAPI endpoint returning the same bytes. "
        "Servers run as separate uvicorn processes; the load comes from wrk when it is on PATH "
        "(else from an asyncio client in another process). Results: bench/results/portal.json.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: few creates, 1 s warm-ups, one 3 s round per target (~30 s in all; "
        "the full run takes about 4 minutes)",
    )
    parser.add_argument(
        "--seconds", type=float, help="length of each measured load run (default 8; quick 3)"
    )
    parser.add_argument(
        "--rounds", type=int, help="measured rounds per target, alternating (default 5; quick 1)"
    )
    parser.add_argument(
        "--connections", type=int, help="concurrent connections of the load tests (default 50)"
    )
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "asyncio"],
        default="auto",
        help="load generator: wrk if on PATH (auto), wrk only, or the asyncio client",
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=1, help="wrk threads (default 1: leave a core free)"
    )
    parser.add_argument(
        "--server-pythonpath",
        metavar="DIR",
        help="prepend DIR to both servers' PYTHONPATH, e.g. a `pip install --target DIR "
        "httptools uvloop` to see what uvicorn's optional extras would change",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the JSON (default bench/results/portal.json; a --quick run "
        "writes nothing unless given --output, so it never overwrites the full run's figures)",
    )
    parser.add_argument(
        "--keep-data", action="store_true", help="keep the temporary data dir and server logs"
    )
    return parser


def make_plan(args: argparse.Namespace) -> Plan:
    plan = QUICK if args.quick else FULL
    if args.seconds is not None:
        plan = replace(plan, seconds=max(1.0, args.seconds))
    if args.rounds is not None:
        plan = replace(plan, rounds=max(1, args.rounds))
    if args.connections is not None:
        plan = replace(plan, connections=max(1, args.connections))
    return plan


@contextlib.contextmanager
def work_directory(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="eduportal-bench-"))
    try:
        yield path
    finally:
        if keep:
            sys.stderr.write(f"kept {path}\n")
        else:
            shutil.rmtree(path, ignore_errors=True)


def start_portal(work: Path, base_env: Mapping[str, str]) -> Server:
    """`eduportal serve --no-ui` on a fresh data dir, with the two accounts made beforehand."""
    port = free_port()
    env = portal_env(base_env, work / "data", port)
    add_user(env, TEACHER, "teacher")
    add_user(env, STUDENT, "student")
    command = [sys.executable, "-m", "eduportal", "serve", "--no-ui", "--port", str(port)]
    return start_server("portal", command, env, port, work / "portal.log")


def start_bench_server(
    mode: str, work: Path, env: Mapping[str, str], *options: str
) -> tuple[Server, int]:
    port = free_port()
    command = [sys.executable, "-m", "bench.portal", mode, "--port", str(port), *options]
    return start_server(mode.strip("_"), command, env, port, work / f"{mode.strip('_')}.log"), port


def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = make_plan(args)

    def say(message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    def spec(server: Server, path: str, headers: Mapping[str, str] | None = None) -> LoadSpec:
        return LoadSpec(
            url=f"{server.base_url}{path}",
            headers=headers or {},
            connections=plan.connections,
            seconds=plan.seconds,
            max_requests=plan.max_requests,
        )

    servers: list[Server] = []
    with work_directory(args.keep_data) as work:
        try:
            client = pick_client(args.client, work, args.wrk_threads)
            base_env = server_env(args.server_pythonpath)
            stack = uvicorn_stack(base_env)
            machine = machine_info(client, stack)
            say(f"load generator: {machine['load_generator']}; servers: {stack}")

            origin = start_portal(work, base_env)
            servers.append(origin)
            teacher_token = login(origin.base_url, TEACHER)
            student = {"Authorization": f"Bearer {login(origin.base_url, STUDENT)}"}

            say(
                f"1. POST /api/assignments with an image: {plan.creates} sequential, then "
                f"{plan.create_clients} clients x {plan.creates_per_client}"
            )
            create, created = scenario_create(origin.base_url, teacher_token, plan)
            say(f"   {json.dumps(create)}")

            image = warm_image(origin, created, work / "data")
            (work / "image.webp").write_bytes(image)
            bare, _ = start_bench_server(
                "_bare-server", work, base_env, "--image", str(work / "image.webp")
            )
            servers.append(bare)
            image_path = f"/images/{created.image_key}"
            if httpx.get(f"{bare.base_url}{image_path}", timeout=30).content != image:
                raise RuntimeError("the bare endpoint did not answer the image")
            document_path = f"/api/assignments/{created.assignment_id}"
            document = httpx.get(f"{origin.base_url}{document_path}", headers=student, timeout=30)
            document.raise_for_status()

            say(
                f"2. GET /api/assignments/{{id}} as a student, {plan.connections} connections, "
                "alternating with GET /healthz (the framework's floor on the same server)"
            )
            get_runs = measure(
                client,
                {
                    "get": (origin, spec(origin, document_path, student)),
                    "healthz": (origin, spec(origin, "/healthz")),
                },
                plan,
                say,
            )

            say(f"3./4. GET /images/{{key}}: origin and bare endpoint, {plan.connections} conns")
            image_runs = measure(
                client,
                {
                    "origin": (origin, spec(origin, image_path)),
                    "bare": (bare, spec(bare, image_path)),
                },
                plan,
                say,
            )

            problems = {server.name: server.log_problems() for server in servers}
        finally:
            for server in servers:
                server.stop()

    return summarize(
        args,
        plan,
        machine,
        create,
        get_runs,
        image_runs,
        problems,
        {"image_bytes": len(image), "assignment_json_bytes": len(document.content)},
    )


def summarize(
    args: argparse.Namespace,
    plan: Plan,
    machine: Mapping[str, Any],
    create: Mapping[str, Any],
    get_runs: Mapping[str, list[LoadResult]],
    image_runs: Mapping[str, list[LoadResult]],
    problems: Mapping[str, list[str]],
    sizes: Mapping[str, int],
) -> dict[str, Any]:
    """The JSON document: settings, every run, the medians and the verdict on each target."""

    def scenario(runs: Sequence[LoadResult]) -> dict[str, Any]:
        return {"median": median_of(runs), "runs": [run.as_dict() for run in runs]}

    get_figures = median_of(get_runs["get"])
    origin_figures = median_of(image_runs["origin"])
    bare_figures = median_of(image_runs["bare"])
    ratio = origin_figures["req_per_s"] / bare_figures["req_per_s"]
    per_round = [
        round(origin.req_per_s / bare.req_per_s, 3)
        for origin, bare in zip(image_runs["origin"], image_runs["bare"], strict=True)
    ]
    # Server CPU per request, bare over origin: the same ratio measured without the noise of
    # whatever else the 2 cores run (a stolen millisecond slows both req/s, not CPU per request).
    origin_cpu = origin_figures.get("server_cpu_ms_per_request")
    bare_cpu = bare_figures.get("server_cpu_ms_per_request")
    cpu_ratio = round(bare_cpu / origin_cpu, 3) if origin_cpu and bare_cpu else None
    scenarios: dict[str, Any] = {
        "create_assignment_with_image": dict(create),
        "get_assignment": scenario(get_runs["get"]),
        "healthz_floor": scenario(get_runs["healthz"]),
        "image_origin": scenario(image_runs["origin"]),
        "bare_endpoint": scenario(image_runs["bare"]),
    }
    return {
        "machine": dict(machine),
        "settings": {
            "quick": args.quick,
            "plan": asdict(plan),
            "portal": "python -m eduportal serve --no-ui (uvicorn with eduportal.api.server's "
            "configuration, 1 worker, log_level warning, no access log); embedded default: "
            "local files + SQLite, offline generators, fresh temporary data dir; app log level "
            "INFO (its default)",
            "bare": "python -m bench.portal _bare-server: FastAPI, async GET /images/{key:path} "
            "-> Response(content=data, media_type='image/webp'); the same server configuration",
            "accounts": "created with `eduportal users add NAME --role ROLE` (password on stdin)",
            "server_pythonpath": args.server_pythonpath,
            **sizes,
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        },
        "scenarios": scenarios,
        "server_log_problems": dict(problems),
        "targets": {
            "create_p95": {
                "target_ms": CREATE_P95_MS,
                "value_ms": create["sequential"]["p95_ms"],
                "passed": create["sequential"]["p95_ms"] < CREATE_P95_MS,
            },
            "get_assignment": {
                "target_p95_ms": GET_P95_MS,
                "value_ms": get_figures["p95_ms"],
                "errors": get_figures["errors"],
                "passed": get_figures["p95_ms"] < GET_P95_MS and get_figures["errors"] == 0,
            },
            "image_origin": {
                "target_p95_ms": IMAGE_P95_MS,
                "value_ms": origin_figures["p95_ms"],
                "errors": origin_figures["errors"],
                "passed": origin_figures["p95_ms"] < IMAGE_P95_MS and origin_figures["errors"] == 0,
            },
            "origin_over_bare": {
                "goal": ORIGIN_OVER_BARE,
                "value": round(ratio, 3),
                "per_round": per_round,
                "by_server_cpu": cpu_ratio,
                "passed": ratio >= ORIGIN_OVER_BARE,
            },
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["_bare-server"]:
        return serve_bare(arguments[1:])
    if arguments[:1] == ["_load"]:
        return load_main(arguments[1:])
    args = build_parser().parse_args(arguments)
    results = run(args)
    sys.stdout.write(table(results) + "\n")
    output: Path | None = args.output or (None if args.quick else RESULTS / "portal.json")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n")
        sys.stdout.write(f"written to {output}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

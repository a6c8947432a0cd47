"""A local, real Neo4j server for development, tests and benchmarks (no Docker, no download but
Maven Central).

    python tools/neo4j_local.py start [--home DIR] [--heap 1g] [--pagecache 512m]
    python tools/neo4j_local.py stop  [--home DIR]
    python tools/neo4j_local.py env   [--home DIR]

``start`` builds ``tools/neo4j-server/pom.xml`` with Maven (Neo4j Community 5 LTS and the Graph
Data Science plugin from Maven Central: the classpath and the plugin jars, nothing compiled),
writes ``neo4j.conf`` under ``--home`` (data, logs and run files live there, never in the
repository), starts Neo4j's own server entry point (``org.neo4j.server.CommunityEntryPoint``,
what ``bin/neo4j console`` runs) on 127.0.0.1 at a free port, waits until it answers Bolt, sets
a generated password and prints ``NEO4J_URI=…``, ``NEO4J_USER=…``, ``NEO4J_PASSWORD=…``. The same
lines are kept in ``HOME/neo4j.env``: a second ``start`` of a running server only prints them.
``stop`` ends the server it started (by the pid in ``HOME/neo4j.pid``).

The tests' session fixture and ``benchmarks/graph_bench.py`` use :func:`start` and :func:`stop`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POM_DIR = ROOT / "tools" / "neo4j-server"
TARGET = POM_DIR / "target"
CLASSPATH = TARGET / "classpath.txt"
PLUGINS = TARGET / "plugins"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
USER = "neo4j"
INITIAL_PASSWORD = "neo4j"  # a fresh server's, expired until changed (Neo4j 5)

# What Neo4j's own launcher passes to the JVM that matters here (bin/neo4j's defaults).
JVM_FLAGS = [
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024", "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true", "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
]


class Neo4jUnavailable(RuntimeError):
    """The server cannot be built or started here (no Java, no Maven, a failed start): the reason."""


@dataclass(frozen=True)
class Server:
    """A running local server: where it listens and how to log in."""

    uri: str
    user: str
    password: str
    home: Path
    pid: int

    def env(self) -> dict[str, str]:
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user, "NEO4J_PASSWORD": self.password}

    def lines(self) -> str:
        return "".join(f"{k}={v}\n" for k, v in self.env().items())


def default_home() -> Path:
    """``$DOTS_HOME/neo4j`` (the project's data directory, ``./.dots`` by default)."""
    return Path(os.environ.get("DOTS_HOME") or ".dots").expanduser().resolve() / "neo4j"


def build(quiet: bool = True) -> list[str]:
    """Resolve Neo4j and GDS from Maven Central (once; Maven's local repository caches them) and
    return the server's classpath entries."""
    if _stale():
        mvn = shutil.which("mvn")
        if mvn is None:
            raise Neo4jUnavailable("Maven (mvn) is not installed: it fetches Neo4j from Maven Central")
        cmd = [mvn, "-B", *(["-q"] if quiet else []), "-f", str(POM_DIR / "pom.xml"), "package"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
            raise Neo4jUnavailable("mvn package failed in tools/neo4j-server: " + " | ".join(tail))
    return [str(PLUGINS / "*"), *CLASSPATH.read_text().strip().split(os.pathsep)]


def _stale() -> bool:
    if not CLASSPATH.exists() or CLASSPATH.stat().st_mtime < (POM_DIR / "pom.xml").stat().st_mtime:
        return True
    return not all(Path(p).exists() for p in CLASSPATH.read_text().strip().split(os.pathsep))


def running(home: Path) -> Server | None:
    """The server recorded under ``home`` if its process is alive."""
    pid_file, env_file = home / "neo4j.pid", home / "neo4j.env"
    if not pid_file.exists() or not env_file.exists():
        return None
    pid = int(pid_file.read_text())
    if not _alive(pid):
        return None
    env = _read_env(env_file)
    return Server(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], home, pid)


def start(home: Path | None = None, heap: str = "1g", pagecache: str = "512m", timeout: float = 180,
          java: str | None = None, settings: dict[str, str] | None = None) -> Server:
    """Start (or find running) a server whose data lives under ``home``; return it once it answers.
    ``settings`` are further ``neo4j.conf`` lines (e.g. ``db.memory.transaction.max``)."""
    home = Path(home or default_home()).resolve()
    found = running(home)
    if found is not None:
        return found
    java = java or os.environ.get("NEO4J_JAVA") or shutil.which("java")
    if not java:
        raise Neo4jUnavailable("Java is not installed (Neo4j 5 needs Java 17 or 21)")
    classpath = build()
    home.mkdir(parents=True, exist_ok=True)
    env_file = home / "neo4j.env"
    password = _read_env(env_file).get("NEO4J_PASSWORD") if env_file.exists() else None
    if password is None and (home / "data" / "databases").exists():
        raise Neo4jUnavailable(f"{home} holds a database but not its password (neo4j.env): remove the folder")
    port = _free_port()
    _write_conf(home, port, pagecache, settings or {})
    log = open(home / "console.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, "-cp", os.pathsep.join(classpath), ENTRY_POINT,
         f"--home-dir={home}", f"--config-dir={home / 'conf'}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, cwd=home)
    log.close()
    (home / "neo4j.pid").write_text(str(proc.pid))
    uri = f"bolt://127.0.0.1:{port}"
    try:
        password = _wait_and_login(proc, uri, password, timeout, home)
    except BaseException:
        _terminate(proc.pid)
        (home / "neo4j.pid").unlink(missing_ok=True)
        raise
    server = Server(uri, USER, password, home, proc.pid)
    tmp = env_file.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:  # a secret
        f.write(server.lines())
    tmp.replace(env_file)
    return server


def stop(home: Path | None = None, timeout: float = 60) -> bool:
    """Stop the server started under ``home``; False when none was running."""
    home = Path(home or default_home()).resolve()
    pid_file = home / "neo4j.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    was_alive = _alive(pid)
    if was_alive:
        _terminate(pid, timeout)
    pid_file.unlink(missing_ok=True)
    return was_alive


def _terminate(pid: int, timeout: float = 60) -> None:
    """SIGTERM (Neo4j shuts down cleanly on it), SIGKILL if it is still there after ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + wait
        while time.monotonic() < end:
            if not _alive(pid):
                return
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap our own child if it has ended
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(") ")[-1].startswith("Z"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_conf(home: Path, port: int, pagecache: str, extra: dict[str, str]) -> None:
    conf = home / "conf"
    conf.mkdir(exist_ok=True)
    (home / "plugins").mkdir(exist_ok=True)
    settings = {
        "server.default_listen_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "server.directories.data": str(home / "data"),
        "server.directories.logs": str(home / "logs"),
        "server.directories.run": str(home / "run"),
        "server.directories.import": str(home / "import"),
        "server.directories.plugins": str(PLUGINS),
        "server.memory.pagecache.size": pagecache,
        "dbms.security.auth_enabled": "true",
        "dbms.security.procedures.unrestricted": "gds.*",
        "dbms.usage_report.enabled": "false",
        "db.tx_log.rotation.retention_policy": "1 files",
        **extra,
    }
    (conf / "neo4j.conf").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))


def _wait_and_login(proc: subprocess.Popen, uri: str, password: str | None, timeout: float, home: Path) -> str:
    """Wait for Bolt; on a fresh database replace the expired initial password with a new one."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable

    end = time.monotonic() + timeout
    host, port = uri.rsplit("/", 1)[-1].split(":")
    while True:  # Bolt's port accepts connections once the databases are up
        if proc.poll() is not None:
            raise Neo4jUnavailable(f"Neo4j exited with {proc.returncode} while starting: {_log_tail(home)}")
        if time.monotonic() > end:
            raise Neo4jUnavailable(f"Neo4j did not answer Bolt at {uri} within {timeout:.0f} s")
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    try:
        if password is not None:
            with GraphDatabase.driver(uri, auth=(USER, password)) as d:
                d.verify_connectivity()
            return password
        with GraphDatabase.driver(uri, auth=(USER, INITIAL_PASSWORD)) as d:
            new = secrets.token_urlsafe(18)
            d.execute_query("ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
                            {"old": INITIAL_PASSWORD, "new": new}, database_="system")
        return new
    except (AuthError, ClientError, ServiceUnavailable) as exc:
        raise Neo4jUnavailable(f"cannot log in to the local Neo4j at {uri}: {exc}") from exc


def _log_tail(home: Path) -> str:
    for name in ("logs/neo4j.log", "console.log"):
        path = home / name
        if path.exists():
            lines = [ln for ln in path.read_text(errors="replace").splitlines()
                     if "ERROR" in ln or "Caused by" in ln or "Exception" in ln]
            if lines:
                return " | ".join(lines[-3:])
    return "(no log)"


def _read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["start", "stop", "env"])
    ap.add_argument("--home", type=Path, default=None, help="data, logs and run files (default $DOTS_HOME/neo4j)")
    ap.add_argument("--heap", default=os.environ.get("NEO4J_HEAP", "1g"), help="JVM heap (default 1g)")
    ap.add_argument("--pagecache", default=os.environ.get("NEO4J_PAGECACHE", "512m"),
                    help="page cache (default 512m)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a further neo4j.conf line")
    args = ap.parse_args(argv)
    home = (args.home or default_home()).resolve()
    try:
        if args.command == "start":
            extra = dict(kv.split("=", 1) for kv in args.set)
            server = start(home, heap=args.heap, pagecache=args.pagecache, settings=extra)
            print(f"# Neo4j running (pid {server.pid}, data in {home}); stop it with `make neo4j-stop`",
                  file=sys.stderr)
            sys.stdout.write(server.lines())
        elif args.command == "stop":
            print("stopped" if stop(home) else f"no Neo4j running from {home}", file=sys.stderr)
        else:
            server = running(home)
            if server is None:
                print(f"no Neo4j running from {home}", file=sys.stderr)
                return 1
            sys.stdout.write(server.lines())
    except Neo4jUnavailable as exc:
        print(f"neo4j: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

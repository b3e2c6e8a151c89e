"""A throw-away PostgreSQL server for the store tests.

Finds Debian's ``initdb``/``pg_ctl`` (``/usr/lib/postgresql/<version>/bin``),
creates a cluster in a fresh temporary folder (outside ``/root``; owned by
``postgres`` and run through ``runuser -u postgres --`` when we are root),
listens on 127.0.0.1 at a free port with its unix socket in the same folder,
and is stopped and deleted by :meth:`PgServer.stop` - called from a pytest
finalizer and from ``atexit``, so it also goes when tests fail.

Durability settings are off (fsync, synchronous_commit, full_page_writes): the
cluster lives for one test run.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.app_server import free_port

INSTALL_HINT = "apt-get install -y postgresql  (or: make system-deps)"


class PgServerError(RuntimeError):
    """The server could not be found or started; the message says how to fix it."""


def find_bindir() -> Path:
    """Directory holding initdb and pg_ctl (newest Debian version first)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
        reverse=True,
    )
    found = shutil.which("initdb")
    if found:
        candidates.append(found)
    for path in candidates:
        bindir = Path(path).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    raise PgServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; the store tests need them. "
        f"Install them with: {INSTALL_HINT}"
    )


class PgServer:
    """Start with :meth:`start`, stop with :meth:`stop` (idempotent)."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="paindiary-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self.user = "postgres"
        self._running = False
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._schema_template: str | None = None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PgServerError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}"
            )
        return proc

    def start(self) -> PgServer:
        try:
            return self._start()
        except BaseException:
            self._running = True  # a half-started server is stopped and its folder deleted
            self.stop()
            raise

    def _start_watchdog(self) -> None:
        """Stop the server when this process dies without running its finalizers.

        pytest's finalizer and ``atexit`` cover failing tests and normal exits; a
        SIGKILL (CI job cancelled, pytest-timeout's thread method) skips both. This
        detached shell polls our pid and then stops the cluster and deletes its folder.
        """
        stop = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        if self.as_root:
            stop = ["runuser", "-u", "postgres", "--", *stop]
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"{' '.join(stop)} >/dev/null 2>&1; rm -rf {self.root}"
        )
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not killed with our process group
        )

    def _start(self) -> PgServer:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        else:
            self.user = os.environ.get("USER") or "postgres"
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self._running = True
        atexit.register(self.stop)
        self._start_watchdog()
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres", autocommit=True
        ) as c:
            c.execute(sql)

    def create_database(self, *, schema: bool = False) -> str:
        """A new database, empty or (``schema``) with the newest schema; returns its URL.

        A database with the schema is a copy of one the migrations built once, for real,
        on this server (PostgreSQL copies a template database): migrating every test's
        database anew took most of a store test's time.
        """
        name = f"t_{uuid.uuid4().hex[:12]}"
        if schema:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template()}"')
        else:
            self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _template(self) -> str:
        if self._schema_template is None:
            from analytics.store import open_store

            name = "paindiary_schema"
            self._admin(f'CREATE DATABASE "{name}"')
            with open_store(self.url(name)):
                pass  # migrated; closing the store closes every connection to it
            self._schema_template = name
        return self._schema_template

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

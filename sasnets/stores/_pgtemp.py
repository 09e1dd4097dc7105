"""A throwaway local PostgreSQL server, for the tests and the benchmarks.

:class:`TemporaryPostgres` runs ``initdb`` into a fresh directory, starts
``postgres`` on a free port listening on 127.0.0.1 only (and on a Unix socket
in that directory), creates a database and gives its URL; :meth:`stop` shuts
the server down and removes the directory.  The server binaries refuse to run
as root, so when this process is root they run as the ``postgres`` user
through ``runuser``.  :func:`find_pg_bin` looks on ``PATH`` and then in
Debian's ``/usr/lib/postgresql/<version>/bin``.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

__all__ = ["find_pg_bin", "TemporaryPostgres", "PostgresUnavailable"]

_TOOLS = ("initdb", "pg_ctl", "postgres")


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL server binaries (the reason is the message)."""


def find_pg_bin() -> str:
    """Directory holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    found = shutil.which("initdb")
    candidates = [os.path.dirname(os.path.realpath(found))] if found else []
    if found:
        candidates.append(os.path.dirname(found))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for directory in candidates:
        if all(os.access(os.path.join(directory, t), os.X_OK) for t in _TOOLS):
            return directory
    raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH "
                              "or in /usr/lib/postgresql/*/bin; run scripts/setup.sh to install them")


def _version_key(path: str):
    part = path.split("/")[-2]
    return [int(x) for x in part.split(".") if x.isdigit()]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryPostgres:
    """Start with :meth:`start` (returns the database URL), end with :meth:`stop`."""

    def __init__(self, dbname: str = "sas_data", user: str = "sasnets"):
        self.dbname = dbname
        self.user = user
        self.bindir = find_pg_bin()
        self.base: str | None = None
        self.port: int | None = None
        self._prefix: list[str] = []

    def _run(self, *args, check=True):
        return subprocess.run(self._prefix + list(args), check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> str:
        self.base = tempfile.mkdtemp(prefix="sasnets-pg-")
        data = os.path.join(self.base, "data")
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server as") from None
            if not shutil.which("runuser"):
                raise PostgresUnavailable("running as root and 'runuser' is missing")
            os.chown(self.base, account.pw_uid, account.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        try:
            self._run(os.path.join(self.bindir, "initdb"), "-D", data, "-U", self.user, "-A", "trust",
                      "-E", "UTF8", "--no-locale", "--no-sync")
            last_error = None
            for _ in range(5):  # the free port may be taken between choosing and binding
                self.port = _free_port()
                options = (f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                           "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
                proc = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", data, "-o", options,
                                 "-l", os.path.join(self.base, "server.log"), "-w", "-t", "60", "start", check=False)
                if proc.returncode == 0:
                    break
                last_error = proc.stderr.strip() or proc.stdout.strip()
            else:
                raise PostgresUnavailable(f"pg_ctl start failed: {last_error}")
            import psycopg2

            conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.dbname}"')
            conn.close()
        except subprocess.CalledProcessError as exc:
            self.stop()
            raise PostgresUnavailable(f"{exc.cmd[len(self._prefix)]} failed: {(exc.stderr or exc.stdout).strip()}") from None
        except BaseException:
            self.stop()
            raise
        return self.url

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.dbname}"

    def stop(self) -> None:
        if self.base is None:
            return
        data = os.path.join(self.base, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            self._run(os.path.join(self.bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

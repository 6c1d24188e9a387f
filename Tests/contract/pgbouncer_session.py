#!/usr/bin/env python3
"""Itinera behind PgBouncer, at the version Debian ships (1.18), against the cluster a running
server made. docs/scaling.md documents session pooling; this checks it and the reason transaction
pooling is not documented:

- session mode: a second `itinera serve` connects only through PgBouncer; sign-up, customers,
  orders with Idempotency-Keys (a retry answers the first order) and 40 concurrent reads all
  succeed, and PgBouncer's own counters show the traffic passed through it;
- transaction mode: the same server, its pool of 8 connections over 2 server connections, fails as
  soon as a prepared statement meets a server connection it was not prepared on.

Usage: pgbouncer_session.py ITINERA_BINARY CLUSTER_DIR (the running server's <data-dir>/pg)."""
import concurrent.futures
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from blackbox import checker, client, sign_up

binary, cluster = sys.argv[1], Path(sys.argv[2])
check = checker("pgbouncer")
run_dir = cluster / "run"
sockets = [name for name in os.listdir(run_dir) if name.startswith(".s.PGSQL.") and not name.endswith(".lock")]
check(sockets, f"no PostgreSQL socket in {run_dir}")
pg_port = sockets[0].rsplit(".", 1)[1]
owner = pwd.getpwuid(os.stat(cluster).st_uid)  # the cluster's owner may reach its socket
version = subprocess.run(["pgbouncer", "--version"], capture_output=True, text=True).stdout.split("\n")[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pgbouncer(mode, pool_size):
    work = Path(tempfile.mkdtemp(prefix=f"itinera-pgbouncer-{mode}-"))
    port = free_port()
    (work / "users.txt").write_text('"itinera" ""\n')
    (work / "pgbouncer.ini").write_text(f"""[databases]
itinera = host={run_dir} port={pg_port} dbname=itinera user=itinera connect_query='SET lock_timeout = ''10s'''

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {work}/users.txt
pool_mode = {mode}
default_pool_size = {pool_size}
max_client_conn = 200
logfile = {work}/pgbouncer.log
pidfile = {work}/pgbouncer.pid
admin_users = itinera
; Itinera asks for lock_timeout in the `options` startup parameter, which PgBouncer refuses;
; connect_query above sets it on every server connection instead.
ignore_startup_parameters = options
""")
    os.chmod(work, 0o755)
    for name in os.listdir(work):
        os.chmod(work / name, 0o644)
    command = ["pgbouncer", str(work / "pgbouncer.ini")]
    if os.getuid() == 0:  # PgBouncer refuses to run as root; it runs as the cluster's owner
        shutil.chown(work, owner.pw_name)
        command[1:1] = ["-u", owner.pw_name]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, port, work
        time.sleep(0.1)
    sys.exit(f"pgbouncer: PgBouncer did not listen: {(work / 'pgbouncer.log').read_text()}")


def start_itinera(pgbouncer_port, log):
    port, data = free_port(), tempfile.mkdtemp(prefix="itinera-through-pgbouncer-")
    environment = dict(os.environ, ITINERA_SPARE_SCHEMAS="0", ITINERA_JOB_WORKERS="0", ITINERA_DB_CONNECTIONS="8",
                       ITINERA_TENANT_RATE="100000", ITINERA_TENANT_BURST="100000")
    process = subprocess.Popen(
        [binary, "serve", "--port", str(port), "--data-dir", data,
         "--database-url", f"postgres://itinera@127.0.0.1:{pgbouncer_port}/itinera?sslmode=disable"],
        stdout=open(log, "w"), stderr=subprocess.STDOUT, env=environment)
    url = f"https://127.0.0.1:{port}"
    call = client(url)
    for _ in range(120):
        try:
            if call("GET", "/readyz")[0] == 200:
                return process, call
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.5)
    return process, None


def stop(*processes):
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def traffic(call, prefix):
    """Sign-up, customers and orders (a retried key answers the first order), then 40 reads at once;
    the statuses."""
    token = sign_up(call, check, prefix)
    statuses = []
    for i in range(10):
        order = {"customer": {"email": f"guest{i}@example.com"}, "amount_minor": 100_000 + i, "currency": "CNY",
                 "product": {"name": "Lijiang 4 days"}, "ordered_at": "2026-11-01T10:00:00Z"}
        first = call("POST", "/v1/orders", order, token=token, headers={"Idempotency-Key": f"k-{i}"})
        again = call("POST", "/v1/orders", order, token=token, headers={"Idempotency-Key": f"k-{i}"})
        statuses += [first[0], again[0]]
        if first[0] == 201:
            check(again[0] == 201 and again[2] == first[2], f"the retried key {i} answered {again[0]}, not the first order")
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses += list(pool.map(lambda _: call("GET", "/v1/customers?limit=5", token=token)[0], range(40)))
    return statuses


# Session mode, the documented one.
bouncer, bouncer_port, bouncer_dir = start_pgbouncer("session", 20)
server, call = start_itinera(bouncer_port, bouncer_dir / "itinera.log")
try:
    check(call is not None, f"the server did not become ready through PgBouncer: {(bouncer_dir / 'itinera.log').read_text()[-2000:]}")
    statuses = traffic(call, "bouncer")
    check(all(200 <= status < 300 for status in statuses), f"through PgBouncer in session mode: {sorted(set(statuses))}")
    stats = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(bouncer_port), "-U", "itinera", "-d", "pgbouncer",
                            "-At", "-c", "SHOW STATS"], capture_output=True, text=True).stdout
    passed = [line for line in stats.splitlines() if line.startswith("itinera|")]
    queries = int(passed[0].split("|")[2]) if passed else 0  # total_xact_count
    check(queries > 50, f"PgBouncer counted {queries} transactions for itinera")
    lock_timeout = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(bouncer_port), "-U", "itinera", "-d", "itinera",
                                   "-At", "-c", "SHOW lock_timeout"], capture_output=True, text=True).stdout.strip()
    check(lock_timeout == "10s", f"lock_timeout through PgBouncer is {lock_timeout!r}, not 10s")
finally:
    stop(server, bouncer)
print(f"pgbouncer: {version}, session mode: {len(statuses)} requests all 2xx, "
      f"{queries} transactions through PgBouncer")

# Transaction mode: prepared statements meet server connections they were not prepared on.
bouncer, bouncer_port, bouncer_dir = start_pgbouncer("transaction", 2)
server, call = start_itinera(bouncer_port, bouncer_dir / "itinera.log")
try:
    failures = []
    if call is not None:
        try:
            failures = [status for status in traffic(call, "txbouncer") if status >= 500]
        except SystemExit as stopped:
            failures = [str(stopped)]
    log = (bouncer_dir / "itinera.log").read_text()
    check(call is None or failures, "transaction mode worked; docs/scaling.md says it does not")
    check("prepared statement" in log, "transaction mode failed without naming prepared statements")
finally:
    stop(server, bouncer)
print(f"pgbouncer: transaction mode fails as documented "
      f"({'the server never became ready' if call is None else f'{len(failures)} failed requests'}, "
      f"the log names prepared statements)")

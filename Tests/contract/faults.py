#!/usr/bin/env python3
"""Faults without loss, against a real server and a real PostgreSQL of the script's own (so that
either can be killed): 32 clients post orders, each with its own Idempotency-Key, and retry the
same key on any error until it is answered 2xx, while

1. the server is killed with SIGKILL (three times) and started again;
2. PostgreSQL is stopped and started again: /readyz turns 503 and back, requests during the outage
   are answered 503 problems within seconds (not left hanging), and the server's pool recovers
   without a restart.

After each: every key answered 2xx has exactly one order in the database (none lost, none twice),
there are no orders without a key's answer, and each key posted again answers its first order.

3. The embedded cluster's directory read-only: `itinera serve` exits at once with an error that
   names the cause, rather than starting and failing or restarting in a loop.

Usage: faults.py ITINERA_BINARY"""
import atexit
import concurrent.futures
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from blackbox import checker, client, sign_up

binary = os.path.abspath(sys.argv[1])
check = checker("faults")
pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
root = os.getuid() == 0
server = None
work = Path(tempfile.mkdtemp(prefix="itinera-faults-"))
os.chmod(work, 0o755)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(command):
    return ["runuser", "-u", "postgres", "--"] + command if root else command


# A PostgreSQL of the script's own, with Itinera's role and database.
pg_port, pg_data = free_port(), work / "pg"
pg_data.mkdir()
if root:
    shutil.chown(pg_data, "postgres")
subprocess.run(as_postgres([str(pg_bin / "initdb"), "-D", str(pg_data / "data"), "-U", "postgres", "--auth=trust",
                            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True)


def pg_ctl(*arguments):
    return subprocess.run(as_postgres([str(pg_bin / "pg_ctl"), "-D", str(pg_data / "data"), *arguments]),
                          capture_output=True, text=True)


def start_postgres():
    started = pg_ctl("-l", str(pg_data / "postgres.log"), "-w", "start", "-o",
                     f"-c listen_addresses=127.0.0.1 -c port={pg_port} -c unix_socket_directories={pg_data} "
                     "-c max_connections=100")
    check(started.returncode == 0, f"PostgreSQL did not start: {started.stderr}")


start_postgres()


@atexit.register
def clean_up():
    """Whatever happened, no server, cluster or mount is left behind."""
    if server is not None and server.poll() is None:
        server.kill()
    pg_ctl("-m", "immediate", "-w", "stop")
    if (work / "full").is_dir():
        subprocess.run(([] if root else ["sudo"]) + ["umount", "-l", str(work / "full")], capture_output=True)
    shutil.rmtree(work, ignore_errors=True)


subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-d", "postgres", "-q",
                "-c", "CREATE ROLE itinera LOGIN NOINHERIT CREATEROLE",
                "-c", "CREATE DATABASE itinera OWNER itinera"], check=True)
database_url = f"postgres://itinera@127.0.0.1:{pg_port}/itinera?sslmode=disable"
subprocess.run([binary, "migrate", "--database-url", database_url, "--data-dir", str(work / "migrate")], check=True,
               capture_output=True)

port = free_port()
url = f"https://127.0.0.1:{port}"
call = client(url)
server_log = open(work / "server.log", "a")


def start_server():
    global server
    environment = dict(os.environ, ITINERA_TENANT_RATE="100000", ITINERA_TENANT_BURST="100000",
                       ITINERA_KEY_RATE="100000", ITINERA_KEY_BURST="100000", ITINERA_SPARE_SCHEMAS="0",
                       ITINERA_DB_CONNECTIONS="20")
    server = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", str(work / "server"),
                               "--database-url", database_url], stdout=server_log, stderr=subprocess.STDOUT,
                              env=environment)
    for _ in range(200):
        if ready() == 200:
            return
        time.sleep(0.1)
    sys.exit("faults: the server did not become ready")


def ready():
    try:
        return call("GET", "/readyz")[0]
    except (OSError, http.client.HTTPException):
        return None


start_server()
token = sign_up(call, check, "faults")


def order(key):
    return {"customer": {"email": f"{key}@example.com"}, "amount_minor": 120_000, "currency": "CNY",
            "product": {"name": "Lijiang 4 days"}, "ordered_at": "2026-11-01T10:00:00Z", "external_id": key}


class Load:
    """32 clients, each posting its keys one after another and retrying a key until it is 2xx."""

    def __init__(self, round_name, keys_per_client=40):
        self.keys = [f"{round_name}-{c}-{k}" for c in range(32) for k in range(keys_per_client)]
        self.answers = {}
        self.statuses = []  # (status or error, seconds)
        self.lock = threading.Lock()
        self.stop = False

    def client(self, number):
        for key in self.keys[number::32]:
            deadline = time.time() + 120
            while time.time() < deadline:
                started = time.time()
                try:
                    status, _, body = call("POST", "/v1/orders", order(key), token=token,
                                           headers={"Idempotency-Key": key})
                except (OSError, http.client.HTTPException) as error:  # the server is gone or went mid-answer
                    status, body = type(error).__name__, b""
                with self.lock:
                    self.statuses.append((status, time.time() - started))
                if isinstance(status, int) and 200 <= status < 300:
                    with self.lock:
                        self.answers[key] = body
                    break
                time.sleep(0.05 + random.random() * 0.1)

    def run(self, fault):
        with concurrent.futures.ThreadPoolExecutor(max_workers=33) as pool:
            clients = [pool.submit(self.client, n) for n in range(32)]
            pool.submit(fault).result()
            for done in clients:
                done.result()

    def verify(self, name):
        check(len(self.answers) == len(self.keys), f"{name}: {len(self.keys) - len(self.answers)} keys never answered")
        rows = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-d", "itinera", "-At", "-c",
             "SELECT t.schema_name FROM itinera.tenants t"], capture_output=True, text=True).stdout.split()
        counts = {}
        for schema in rows:
            out = subprocess.run(
                ["psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-d", "itinera", "-At", "-F", " ",
                 "-c", f"SELECT external_id, count(*) FROM {schema}.orders WHERE external_id LIKE '{name}-%' "
                       "GROUP BY external_id"], capture_output=True, text=True).stdout
            for line in out.split("\n"):
                if line:
                    key, count = line.split()
                    counts[key] = counts.get(key, 0) + int(count)
        lost = [key for key in self.keys if counts.get(key, 0) == 0]
        twice = [key for key, count in counts.items() if count > 1]
        check(not lost, f"{name}: {len(lost)} acknowledged orders are not in the database: {lost[:5]}")
        check(not twice, f"{name}: {len(twice)} orders are in the database more than once: {twice[:5]}")
        check(len(counts) == len(self.keys), f"{name}: {len(counts)} orders for {len(self.keys)} keys")
        for key in self.keys:
            ids = {json.loads(self.answers[key])["id"]}
            status, _, body = call("POST", "/v1/orders", order(key), token=token, headers={"Idempotency-Key": key})
            check(200 <= status < 300 and json.loads(body)["id"] in ids,
                  f"{name}: the key {key} posted again answered {status}, not its first order")
        errors = [s for s, _ in self.statuses if not (isinstance(s, int) and 200 <= s < 300)]
        return len(self.keys), len(errors)


# 1. SIGKILL of the server, three times, under load.
def kill_three_times():
    for _ in range(3):
        time.sleep(1.5)
        server.send_signal(signal.SIGKILL)
        server.wait()
        time.sleep(0.5)
        start_server()


load = Load("kill")
load.run(kill_three_times)
keys, errors = load.verify("kill")
print(f"faults: SIGKILL ×3 under 32 clients: {keys} orders acknowledged, each once in the database, "
      f"{errors} failed attempts retried, every key answers its first order")

# 2. PostgreSQL stopped and started under load.
outage = {}


def database_outage():
    time.sleep(1.5)
    stopped = pg_ctl("-m", "fast", "-w", "stop")
    check(stopped.returncode == 0, f"PostgreSQL did not stop: {stopped.stderr}")
    began = time.time()
    while ready() != 503 and time.time() - began < 15:
        time.sleep(0.1)
    outage["unready_after"] = time.time() - began
    outage["unready"] = ready()
    # A request during the outage: a 503 problem, within seconds.
    started = time.time()
    status, headers, body = call("GET", "/v1/customers?limit=1", token=token)
    outage["during"] = (status, headers.get("content-type"), time.time() - started)
    time.sleep(3)
    start_postgres()
    began = time.time()
    while ready() != 200 and time.time() - began < 30:
        time.sleep(0.1)
    outage["ready_after"] = time.time() - began
    outage["ready"] = ready()


load = Load("outage")
pid = server.pid
load.run(database_outage)
check(outage["unready"] == 503, f"/readyz answered {outage['unready']} with the database down")
status, content_type, seconds = outage["during"]
check(status == 503 and content_type.startswith("application/problem+json") and seconds < 10,
      f"a request during the outage answered {status} ({content_type}) after {seconds:.1f} s")
check(outage["ready"] == 200, f"/readyz answered {outage['ready']} after the database came back")
check(server.pid == pid and server.poll() is None, "the server restarted or stopped during the outage")
keys, errors = load.verify("outage")
slowest = max(seconds for _, seconds in load.statuses)
print(f"faults: PostgreSQL stopped and started under 32 clients: /readyz 503 after {outage['unready_after']:.1f} s, "
      f"a request during the outage 503 problem in {seconds:.2f} s, ready again {outage['ready_after']:.1f} s after "
      f"the restart, same process; {keys} orders each once, {errors} failed attempts retried, slowest answer "
      f"{slowest:.1f} s")
server.terminate()
server.wait()
pg_ctl("-m", "fast", "-w", "stop")

# 3. The embedded cluster's directory read-only: a clear error, and no loop.
embedded = work / "embedded"
first = subprocess.run([binary, "migrate", "--data-dir", str(embedded)], capture_output=True, text=True, timeout=120)
check(first.returncode == 0, f"making the embedded cluster failed: {first.stdout[-500:]}{first.stderr[-500:]}")
subprocess.run(["chmod", "-R", "a-w", str(embedded / "pg" / "data")], check=True)
began = time.time()
try:
    # As root the cluster runs as `postgres`, which the mode keeps out as it keeps out its owner.
    refused = subprocess.run([binary, "serve", "--port", str(free_port()), "--data-dir", str(embedded)],
                             capture_output=True, text=True, timeout=60)
finally:
    subprocess.run(["chmod", "-R", "u+w", str(embedded / "pg" / "data")], check=True)
said = refused.stdout + refused.stderr
check(refused.returncode != 0, "the server started on a read-only cluster")
check("did not start" in said and "Permission denied" in said,
      f"the error does not name the cause: {said[-800:]}")
reason = next(line for line in said.splitlines() if "did not start" in line)
print(f"faults: a read-only embedded cluster: `itinera serve` exits {refused.returncode} after "
      f"{time.time() - began:.1f} s: {reason.strip()[:300]}")

# 4. A full disk under the embedded cluster (a tmpfs of 160 MB): while serving, writes are refused
#    with a problem and the process stays up; freed, it writes again without a restart; and a
#    start on the full disk exits with the cause.
full = work / "full"
full.mkdir()
subprocess.run(([] if root else ["sudo"]) + ["mount", "-t", "tmpfs", "-o", "size=160m,mode=0755", "tmpfs", str(full)], check=True)
try:
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    call = client(url)
    environment = dict(os.environ, ITINERA_SPARE_SCHEMAS="0", ITINERA_TENANT_RATE="100000",
                       ITINERA_TENANT_BURST="100000")
    with open(work / "full.log", "w") as full_log:
        server = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", str(full / "itinera")],
                                  stdout=full_log, stderr=subprocess.STDOUT, env=environment)
        for _ in range(300):
            if ready() == 200:
                break
            time.sleep(0.1)
        check(ready() == 200, f"the server on the tmpfs did not start: {(work / 'full.log').read_text()[-800:]}")
        token = sign_up(call, check, "full")
        filler = full / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
        statuses, slowest = [], 0.0
        for i in range(20):
            started = time.time()
            try:
                status, headers, body = call("POST", "/v1/orders", order(f"full-{i}"), token=token,
                                             headers={"Idempotency-Key": f"full-{i}"})
            except (OSError, http.client.HTTPException) as error:
                status, headers, body = type(error).__name__, {}, b""
            slowest = max(slowest, time.time() - started)
            statuses.append(status)
        refused = [s for s in statuses if s == 503]
        check(refused and all(s == 503 or (isinstance(s, int) and s < 300) for s in statuses),
              f"writes on a full disk answered {statuses}")
        check(server.poll() is None and call("GET", "/healthz")[0] == 200, "the server went down with the disk")
        filler.unlink()
        began, recovered = time.time(), None
        while time.time() - began < 60:
            status, _, _ = call("POST", "/v1/orders", order("full-after"), token=token,
                                headers={"Idempotency-Key": "full-after"})
            if status == 201 or status == 200:
                recovered = time.time() - began
                break
            time.sleep(0.5)
        check(recovered is not None and server.poll() is None, "the server did not write again once space was freed")
        server.terminate()
        server.wait()
    print(f"faults: a full disk: {len(refused)} of 20 orders refused 503 (slowest {slowest:.1f} s), the process "
          f"stayed up, and wrote again {recovered:.1f} s after space was freed")
    subprocess.run(["dd", "if=/dev/zero", f"of={full / 'filler'}", "bs=1M"], capture_output=True)
    began = time.time()
    refused = subprocess.run([binary, "serve", "--port", str(free_port()), "--data-dir", str(full / "itinera")],
                             capture_output=True, text=True, timeout=120)
    said = refused.stdout + refused.stderr
    check(refused.returncode != 0 and "did not start" in said and "No space left on device" in said,
          f"a start on a full disk: exit {refused.returncode}, {said[-800:]}")
    reason = next(line for line in said.splitlines() if "did not start" in line)
    print(f"faults: a start on a full disk exits {refused.returncode} after {time.time() - began:.1f} s: "
          f"{reason.strip()[:300]}")
finally:
    subprocess.run(([] if root else ["sudo"]) + ["umount", "-l", str(full)])
shutil.rmtree(work, ignore_errors=True)

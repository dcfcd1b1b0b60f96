"""A real S3-protocol server on loopback for the store tests: moto's server in its own process.

`S3Server` starts `python tests/store/s3_server.py` on a free port and waits until the child says
it listens (it prints the port only after bind+listen), so a test never sleeps and hopes. It runs
in its own process so that the tests' clients, the app processes of the two-process tests and the
benchmark talk to it over real TCP, as they would to MinIO, without sharing its interpreter lock.

moto checks If-Match / If-None-Match and then writes in two steps; a real S3 does both at once.
The server therefore runs one request at a time (a lock around moto's WSGI app), which gives the
atomic compare-and-swap of the real service while keeping HTTP keep-alive.

`CuttableProxy` stands between clients and the server: `cut()` makes the storage unreachable
(refused connections, open ones closed) and `restore()` brings it back on the same address with
everything it held, which a restarted moto (state in memory) could not do.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

STARTUP_SECONDS = 60
ACCESS_KEY = "testing-key"
SECRET_KEY = "testing-secret"
REGION = "us-east-1"


AGE_PATH = "/_test/age"


def _age(query: str) -> int:
    """Move the last write of every object under a bucket's prefix back in time: a test's week passing."""
    from datetime import timedelta
    from urllib.parse import parse_qs

    from moto.s3.models import s3_backends

    asked = {name: values[0] for name, values in parse_qs(query).items()}
    shift, aged = timedelta(seconds=float(asked["seconds"])), 0
    for account in list(s3_backends):
        for backend in s3_backends[account].values():
            bucket = backend.buckets.get(asked["bucket"])
            if bucket is None:
                continue
            for name in list(bucket.keys):
                if name.startswith(asked.get("prefix", "")):
                    for key in bucket.keys.getlist(name):
                        key.last_modified -= shift
                        aged += 1
    return aged


def _serialised(app):
    lock = threading.Lock()

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == AGE_PATH:  # the test harness's own call, never S3's
            with lock:
                aged = _age(environ.get("QUERY_STRING", ""))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [str(aged).encode()]
        with lock:
            # Consume the whole response under the lock: the write has happened when it is released.
            return [b"".join(app(environ, start_response))]

    return wsgi


def _serve(port: int) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        def setup(self) -> None:
            super().setup()
            # Headers and body leave in separate writes: without this, Nagle's algorithm and the
            # client's delayed ACK add some 20 ms to every request, which S3 or MinIO do not.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # S3's app itself, not moto's dispatcher: that one looks up the service of every request on
    # disk (thousands of stat calls), which would dominate the latency the benchmark measures.
    server = make_server("127.0.0.1", port, _serialised(create_backend_app("s3")),
                         threaded=True, request_handler=Handler)
    print(server.server_address[1], flush=True)  # listening from here on: the parent may connect
    server.serve_forever()


class S3Server:
    """moto's S3 server in a child process on a free loopback port."""

    def __init__(self, log_path: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "S3Server":
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
               "AWS_DEFAULT_REGION": REGION, "PYTHONUNBUFFERED": "1", **self.extra_env}
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve())], stdout=subprocess.PIPE,
                                        stderr=log, env=env)
        if log is not subprocess.DEVNULL:
            log.close()
        line = _read_line(self.process, STARTUP_SECONDS)
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the S3 test server did not start (said {line!r}); see {self.log_path}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def new_bucket(self) -> str:
        name = f"alchemist-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def age(self, bucket: str, prefix: str, seconds: float) -> int:
        """Make every object under `prefix` look last written `seconds` earlier; how many were aged."""
        from urllib.parse import urlencode
        from urllib.request import urlopen

        query = urlencode({"bucket": bucket, "prefix": prefix, "seconds": seconds})
        with urlopen(f"{self.endpoint}{AGE_PATH}?{query}", data=b"", timeout=30) as answer:
            return int(answer.read())

    def options(self, endpoint: str | None = None) -> dict:
        """The store options an app would read from its secrets' [store_options] table."""
        return {"endpoint_url": endpoint or self.endpoint, "key": ACCESS_KEY, "secret": SECRET_KEY, "region": REGION}

    def __enter__(self) -> "S3Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    # Wait for the child's first line or its exit, whichever comes first, at most `timeout`.
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return ""
    return process.stdout.readline().decode(errors="replace")


class CuttableProxy:
    """A TCP relay on a loopback port to `target_port` that a test can cut and restore."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._drop_answers = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "CuttableProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        """Storage unreachable: new connections refused, open ones dropped."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, set()
        if listener is not None:
            _close(listener)
        for sock in sockets:
            _close(sock)

    def drop_next_answer(self) -> None:
        """The server's next answer never reaches the client: the request was done, the reply is
        lost with its connection, as when a network fails at the worst moment."""
        with self._lock:
            self._drop_answers += 1

    def restore(self) -> None:
        """Reachable again, on the same port, with everything the server held."""
        self.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:
                    _close(client), _close(upstream)
                    return
                self._open.update((client, upstream))
            for source, sink, answers in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self._pump, args=(source, sink, answers), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, answers: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if answers and not chunk.startswith(b"HTTP/1.1 100"):  # an interim "Continue" is no answer
                    with self._lock:
                        drop, self._drop_answers = self._drop_answers > 0, max(0, self._drop_answers - 1)
                    if drop:
                        break
                sink.sendall(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            _close(sock)
            with self._lock:
                self._open.discard(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)

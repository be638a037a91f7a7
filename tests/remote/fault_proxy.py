"""A reverse proxy in front of the real llama.cpp server that breaks its answers on purpose, the
way gateways and misconfigured servers do: the first path segment picks the fault."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FAULTS = ("pass", "http503", "malformed", "nologprobs", "slow")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes
    upstream = ""

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:
        _, fault, rest = self.path.split("/", 2)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if fault == "http503":
            self._send(503, b'{"error": {"message": "model overloaded, retry later"}}')
            return
        if fault == "slow":  # never reaches llama.cpp: a late request there would interrupt
            time.sleep(3)  # (llama-cpp-python stops a stream when a new request arrives) the
            self._send(504, b'{"error": {"message": "gateway timeout"}}')  # next test's requests
            return
        headers = {k: self.headers.get(k, "") for k in ("Authorization", "Content-Type")}
        with httpx.stream(
            "POST", f"{self.upstream}/{rest}", content=body, headers=headers, timeout=30
        ) as resp:
            self.send_response(resp.status_code)
            self.send_header("Content-Type", resp.headers.get("content-type", ""))
            self.end_headers()
            try:
                for line in resp.iter_lines():
                    self.wfile.write((self._break(fault, line) + "\n").encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, httpx.HTTPError):
                pass  # the client closed the stream (line done, or cancelled)

    @staticmethod
    def _break(fault: str, line: str) -> str:
        if not line.startswith("data: {"):
            return line
        if fault == "malformed":
            return line[: len(line) // 2]  # cut mid-object
        if fault == "nologprobs":
            chunk = json.loads(line[6:])
            for c in chunk.get("choices", []):
                c["logprobs"] = None
            return "data: " + json.dumps(chunk)
        return line

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FaultProxy:
    """``url(fault)`` is a base URL whose answers have that fault."""

    def __init__(self, upstream: str) -> None:
        handler = type("Handler", (_Handler,), {"upstream": upstream})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, fault: str) -> str:
        assert fault in FAULTS
        return f"http://127.0.0.1:{self.server.server_address[1]}/{fault}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""Serving an ASGI app (the fake WeChat; tests serve the app too) with uvicorn on a local
port in a daemon thread."""

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

STARTUP_SECONDS = 10.0


@dataclass
class Running:
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def serve_in_thread(app, *, host: str = "127.0.0.1", port: int = 0, lifespan: str = "off"
                    ) -> Running:
    """Start ``app`` on ``host:port`` (0: a free port, bound before uvicorn starts, so no
    other process can take it in between); returns once it accepts connections. No access
    log: WeChat's URLs carry the AppSecret and codes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan,
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="fake-wechat", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"fake WeChat did not start on {host}:{port}")
        time.sleep(0.02)
    return Running(f"http://{host}:{sock.getsockname()[1]}", server, thread, sock)

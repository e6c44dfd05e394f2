"""Open an HTML file in headless Chromium and report what a person would see (test helper).

Talks to Chromium over the DevTools protocol with a minimal websocket
client (standard library only: no Playwright or Selenium).  :func:`inspect`
loads a page and returns its console errors and uncaught exceptions, any
JavaScript dialog it opened (``alert``), the state of every image, the
number of script elements, the title, the page's visible text and a screenshot
(PNG bytes).

The browser is started with its networking switched off as far as flags
allow (``--disable-background-networking`` etc.) and a throw-away profile.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["find_chromium", "PageReport", "inspect", "FLAGS"]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars")

_PAGE_STATE = """JSON.stringify({
  images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth})),
  scripts: document.scripts.length,
  title: document.title,
  h1: (document.querySelector('h1') || {}).textContent || null,
  marker: window.__xss_ran === true,
  text: document.body ? document.body.innerText : "",
  height: document.documentElement.scrollHeight
})"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    scripts: int = 0
    title: str = ""
    h1: str | None = None
    marker: bool = False
    text: str = ""
    screenshot: bytes = b""


# --------------------------------------------------------------- websocket
class _WebSocket:
    """Just enough of RFC 6455 for DevTools: text frames, client masking, no extensions."""

    def __init__(self, url: str, timeout: float):
        assert url.startswith("ws://")
        host_port, _, path = url[5:].partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake failed")
            response += chunk
        if b" 101 " not in response.split(b"\r\n", 1)[0]:
            raise ConnectionError(response.split(b"\r\n", 1)[0].decode(errors="replace"))
        self.buffer = response.split(b"\r\n\r\n", 1)[1]

    def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack(">Q", n))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def recv(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode in (0x9, 0xA):  # ping / pong: ignore
                continue
            message += data
            if b0 & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


class _DevTools:
    def __init__(self, ws: _WebSocket):
        self.ws = ws
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return True
        while time.monotonic() < deadline:
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                continue
            self.events.append(msg)
            if msg.get("method") == "Page.javascriptDialogOpening":  # an alert blocks the page: dismiss it
                self.call("Page.handleJavaScriptDialog", accept=True)
            if msg.get("method") == method:
                return True
        return False


# ------------------------------------------------------------------ browser
def _start(binary: str, profile: str, timeout: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                             "--remote-debugging-address=127.0.0.1", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = Path(profile) / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text().split()[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode}")
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError("chromium did not open its DevTools port")


def _page_ws(port: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.1)
    raise TimeoutError("no page target")


def _collect(report: PageReport, events: list[dict]) -> None:
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            report.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                  for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            report.console_errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            report.console_errors.append(params["entry"].get("text", ""))
        elif method == "Page.javascriptDialogOpening":
            report.dialogs.append(params.get("message", ""))


def inspect(binary: str, html_path: str | Path, timeout: float = 60.0, width: int = 1200,
            full_page: bool = False) -> PageReport:
    """Load ``html_path`` in a fresh headless Chromium and report on it.

    The screenshot is of the first 900 px, or with ``full_page`` of the whole
    page (up to 20 000 px tall; for looking at a report, not for tests).
    """
    profile = tempfile.mkdtemp(prefix="ppl-chromium-")
    proc, port = _start(binary, profile, timeout)
    ws = None
    try:
        ws = _WebSocket(_page_ws(port, timeout), timeout)
        dt = _DevTools(ws)
        for domain in ("Page", "Runtime", "Log"):
            dt.call(f"{domain}.enable")
        dt.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        dt.call("Page.navigate", url=Path(html_path).resolve().as_uri())
        if not dt.wait_for("Page.loadEventFired", timeout):
            raise TimeoutError("the page did not finish loading")
        state = json.loads(dt.call("Runtime.evaluate", expression=_PAGE_STATE, returnByValue=True)["result"]["value"])
        if full_page:
            dt.call("Emulation.setDeviceMetricsOverride", width=width, height=min(int(state["height"]), 20000),
                    deviceScaleFactor=1, mobile=False)
        shot = dt.call("Page.captureScreenshot", format="png")
        report = PageReport(images=state["images"], scripts=state["scripts"], title=state["title"], h1=state["h1"],
                            marker=state["marker"], text=state["text"],
                            screenshot=base64.b64decode(shot["data"]))
        _collect(report, dt.events)
        return report
    finally:
        if ws is not None:
            ws.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)

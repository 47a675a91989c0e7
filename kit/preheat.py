"""How a preheated kernel learns the request of the page it was given, proving it is that kernel.

Voilà hands a page's request (its headers, among them the page's `X-Kit-Session`) to
the preheated kernel waiting for it over the websocket `/voila/query/<kernel id>`,
which Voilà itself leaves open to anyone: a stranger could take a page's request or
knock the waiting kernel off. kit's server (kit.voila_auth) answers that websocket
only with the kernel's proof: an HMAC of the kernel's id under the key of its own
connection file, which only the server and that kernel hold.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import threading
from urllib.parse import quote

PROOF_CONTEXT = b"kit/voila-query/"
PROOF_ARGUMENT = "proof"


def proof(key: bytes, kernel_id: str) -> str:
    """The proof that the asker holds the connection key of kernel `kernel_id`."""
    return hmac.new(key, PROOF_CONTEXT + kernel_id.encode(), hashlib.sha256).hexdigest()


def _kernel_key() -> bytes:
    from IPython import get_ipython

    shell = get_ipython()
    return bytes(shell.kernel.session.key)


def _query_url(kernel_id: str, key: bytes) -> str:
    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    ip = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{ip}:{port}{base}voila/query/{quote(kernel_id)}?{PROOF_ARGUMENT}={proof(key, kernel_id)}"


async def _receive(url: str) -> str | None:
    import websockets

    async with websockets.connect(url, open_timeout=10) as socket:
        message = await socket.recv()
    return message if isinstance(message, str) else message.decode("utf-8")


def wait_for_request() -> None:
    """Wait (in a preheated kernel) for the page's request, then put it into the environment."""
    kernel_id = os.environ.get("VOILA_KERNEL_ID", "")
    if not kernel_id:
        return
    url = _query_url(kernel_id, _kernel_key())
    answer: list[str | None] = []

    def receive() -> None:  # its own loop: the kernel's own is busy running this cell
        answer.append(asyncio.new_event_loop().run_until_complete(_receive(url)))

    thread = threading.Thread(target=receive, name="kit-wait-for-request")
    thread.start()
    thread.join()
    if answer and answer[0] is not None:
        for name, value in json.loads(answer[0]).items():
            os.environ[name] = value

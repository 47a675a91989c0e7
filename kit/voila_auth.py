"""What kit adds to the Voilà server: who a page belongs to, and that nobody else reaches it.

- Voilà's login page in Chinese, and a token typed into it that actually logs in; the
  checked `?token=` dropped from the request (kernels get the request's address), the
  access log masking it (`log_request`), and no start without a token.
- The page's verified user handed to its kernel (below), each kernel bound to that user
  (`KitKernelManager`, `OWNERS`): every request about a kernel from anyone else is 403.
- `/voila/query/<kernel id>` answering only the kernel itself (`guard_request_info`).
- No template or theme chosen by the address.
- The index lists to each user only the folders their roles open (`page_roles`).

For every authenticated request the server mints a token for the user the page
belongs to (the operator on one machine; the proxy's user header behind a proxy),
signed with the data service's key, and puts it in the `X-Kit-Session` header, which
Voilà hands to the kernel (`http_header_envs`). Whatever the browser sent under that
name is dropped first. The kernel shows that token to the data service on every
request; it never holds the key.

Loaded only inside the Voilà server (see kit/share/voila/voila.py).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import default
from voila.request_info_handler import RequestInfoSocketHandler
from voila.treehandler import VoilaTreeHandler
from voila.voila_identity_provider import VoilaIdentityProvider, VoilaLoginHandler

from kit import access, config, db, identity, preheat, serve
from kit.errors import KitError
from kit.serve import SESSION_HEADER
from kit.service import client, tokens

log = logging.getLogger(__name__)
# Where each preheated kernel's page request went, in Voilà's own log (its "Voila" logger writes
# INFO): a page left with its title only, its kernel still waiting for the request, was seen
# under load; these lines tell whether the request was sent, kept for later, or its socket closed.
handover_log = logging.getLogger("Voila").getChild("kit")

# Voilà would render with another template or theme named in the address (ones that fetch
# from CDNs), with a kernel started outside the pool: refused on every route.
REFUSED_ARGUMENTS = ("template", "theme")
# Requests about one kernel: its REST resource and channels, Voilà's shutdown and execution routes.
KERNEL_PATH = re.compile(r"/(?:api/kernels|voila/api/shutdown|voila/execution)/(?P<kernel_id>[^/?]+)")
# Whose page each kernel serves: set when a page gets the kernel, checked on every kernel request.
OWNERS: dict[str, str] = {}
# When each kernel was given to its page (monotonic seconds). Until the page's browser has
# connected, the kernel has no connection and may have been idle for long in the pool: the
# culler leaves it alone for PAGE_GRACE_S (or the idle time, if longer) after it was given.
# Without this, a culler passing between the hand-over and the page's first websocket shut
# the kernel down, and the page stayed a bare text with "kernel of another page" refusals.
GIVEN: dict[str, float] = {}
PAGE_GRACE_S = 30.0


def _given(kernel_id: str, owner: str) -> None:
    OWNERS[kernel_id] = owner
    GIVEN[kernel_id] = time.monotonic()


def _owner_of_request(env: dict[str, str]) -> str | None:
    """The user a page's request was minted for (its X-Kit-Session), or None."""
    token = env.get(identity.header_env(SESSION_HEADER), "")
    secret = tokens.read_secret(config.secret_path(config.db_path()))
    if not token or secret is None:
        return None
    try:
        return tokens.verify(secret, token)
    except KitError:
        return None


class KitKernelManager(AsyncMappingKernelManager):
    """Jupyter's kernel manager, remembering whose page each kernel started for serves."""

    @default("kernel_manager_class")
    def _default_kernel_manager_class(self) -> str:
        return "kit.kernel_ports.KitServerKernelManager"  # ports no connection takes by chance

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        kernel_id = str(await super().start_kernel(*args, **kwargs))
        env = kwargs.get("env") or {}
        if env.get("VOILA_PREHEAT") == "False":  # started for a page (a preheated one is bound when given)
            owner = _owner_of_request(env)
            if owner is not None:
                _given(kernel_id, owner)
        return kernel_id

    async def shutdown_kernel(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        kernel_id = str(kwargs.get("kernel_id", args[0] if args else ""))
        OWNERS.pop(kernel_id, None)
        GIVEN.pop(kernel_id, None)
        await super().shutdown_kernel(*args, **kwargs)  # type: ignore[no-untyped-call]

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Jupyter's culling, except for a kernel whose page may still be on its way (`GIVEN`)."""
        given = GIVEN.get(kernel_id)
        grace = max(PAGE_GRACE_S, float(self.cull_idle_timeout))
        if given is not None and time.monotonic() - given < grace:
            return
        await super().cull_kernel_if_idle(kernel_id)  # type: ignore[no-untyped-call]


def guard_request_info() -> None:
    """Voilà's /voila/query/<kernel id> answers only the kernel itself (kit.preheat), one at a time.

    Voilà's own handler answers anyone, and a socket closed on an unknown id removed
    another kernel's waiter (every page then hung). Here a socket without the
    kernel's proof is refused before it opens, and a closed one removes only itself.
    Giving a preheated kernel its page binds the kernel to the page's user.
    """
    handler = RequestInfoSocketHandler
    if getattr(handler, "_kit_guarded", False):
        return
    upgrade = handler.get
    send = handler.send_updates.__func__

    async def get(self: Any, kernel_id: str, *args: Any, **kwargs: Any) -> Any:
        given = self.get_argument(preheat.PROOF_ARGUMENT, default="")
        try:
            key = bytes(self.settings["kernel_manager"].get_kernel(kernel_id).session.key)
        except (KeyError, web.HTTPError):  # no such kernel: refused alike, nothing told
            key = b""
        if not key or not hmac.compare_digest(given.encode(), preheat.proof(key, kernel_id).encode()):
            log.warning("refused /voila/query for kernel %s without its proof", kernel_id)
            raise web.HTTPError(403)
        kept = kernel_id in handler._cache
        handover_log.info("kernel %s waits for its page's request (one kept for it: %s)", kernel_id, kept)
        return await upgrade(self, kernel_id, *args, **kwargs)

    def on_close(self: Any) -> None:
        for kernel_id in [k for k, waiter in handler._waiters.items() if waiter is self]:
            handover_log.info("kernel %s no longer waits for a page's request", kernel_id)
            del handler._waiters[kernel_id]

    def send_updates(cls: Any, msg: dict[str, Any]) -> None:
        payload = msg.get("payload")  # the page's request, as a dict (a JSON text in other versions)
        try:
            request = payload if isinstance(payload, dict) else json.loads(str(payload))
        except ValueError:
            request = {}
        owner = _owner_of_request(request)
        if owner is not None:
            _given(msg["kernel_id"], owner)
        where = "sent" if msg["kernel_id"] in cls._waiters else "kept until it asks"
        handover_log.info("page's request for kernel %s %s", msg["kernel_id"], where)
        send(cls, msg)

    handler.get = get
    handler.on_close = on_close
    handler.send_updates = classmethod(send_updates)
    handler._kit_guarded = True


def log_request(handler: Any) -> None:
    """Tornado's access log line for a request, with `?token=` and the like masked (Jupyter's scrubbing)."""
    from jupyter_server.log import log_request as jupyter_log_request

    jupyter_log_request(handler, record_prometheus_metrics=False)  # type: ignore[no-untyped-call]


def _forget_token(request: Any) -> None:
    """Drop `?token=` from a request once it has been checked.

    Voilà hands the page's address and query string to its kernel (VOILA_REQUEST_URL,
    QUERY_STRING): with the token left in, every kernel's environment would hold it.
    """
    if "token" not in request.query_arguments:
        return
    kept = [(k, v) for k, v in parse_qsl(request.query, keep_blank_values=True) if k != "token"]
    request.query = urlencode(kept)
    request.uri = request.path + (f"?{request.query}" if request.query else "")
    request.query_arguments.pop("token", None)
    request.arguments.pop("token", None)


def page_roles(page_user: str | None) -> frozenset[str]:
    """The roles of the user an index page is built for, as the data service knows them.

    None under JupyterHub (the server is that user's: the Hub token proves who). A user
    the service refuses (unregistered, disabled), or a service that cannot answer now,
    gets no role: the index then lists the apps, which say why in Chinese, and no folder
    kept for a role.
    """
    path = config.db_path()
    try:
        with client.session(path, kind="read", action="查看首页", actor=page_user, wait_s=5.0) as remote:
            return access.user(db.RemoteConnection(remote)).roles
    except KitError as e:
        log.info("index for %r without roles: %s", page_user, e)
        return frozenset()


class KitLoginHandler(VoilaLoginHandler):  # type: ignore[misc]
    """Renders `login.html` from Voilà's template path, where the kit template comes first."""

    def get_template(self, name: str) -> jinja2.Template:
        env: jinja2.Environment = self.settings["voila_jinja2_env"]
        return env.get_template(name)


class KitIdentityProvider(VoilaIdentityProvider):  # type: ignore[misc]
    """Voilà's token identity, with the Chinese login page."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["login_handler_class"] = KitLoginHandler
        super().__init__(**kwargs)
        self._secret: bytes | None = None
        # Read now (the file kit serve wrote is removed once the server answers); an empty
        # token would switch authentication off: refuse to start instead.
        if not str(self.token or "").strip():
            raise RuntimeError("监督台拒绝在没有访问令牌的情况下启动（JUPYTER_TOKEN_FILE 为空或缺失）")

    async def _get_user(self, handler: Any) -> Any:
        user = await super()._get_user(handler)
        _forget_token(handler.request)  # checked: from here on (a kernel's request URL) it is not there
        refused = [name for name in REFUSED_ARGUMENTS if name in handler.request.arguments]
        if refused:
            handler.current_user = user  # the error page is rendered for whoever asked
            raise web.HTTPError(400, "refused query arguments: %s", ", ".join(refused))
        headers = handler.request.headers
        for name in [n for n in headers if n.lower() == SESSION_HEADER.lower()]:
            del headers[name]  # never the browser's own
        page_user = self._page_user(headers) if user is not None else None
        if user is not None:
            self._check_kernel_owner(handler, page_user)
        if page_user is not None:
            if self._secret is None:
                self._secret = tokens.read_secret(config.secret_path(config.db_path()))
            if self._secret is not None:
                headers[SESSION_HEADER] = tokens.mint(self._secret, page_user)
        if user is not None and isinstance(handler, VoilaTreeHandler):
            serve.PAGE_ROLES.set(await asyncio.to_thread(page_roles, page_user))
        return user

    @staticmethod
    def _check_kernel_owner(handler: Any, page_user: str | None) -> None:
        """A request about a kernel comes from the user whose page the kernel serves.

        Raises:
            HTTPError: 403 for anyone else, for a kernel no page was given, and for a
                request whose user is not known (a bare token behind a proxy).
        """
        found = KERNEL_PATH.search(handler.request.path)
        if found is None or identity.mode() == "hub":  # under JupyterHub the whole server is one user's
            return
        owner = OWNERS.get(found["kernel_id"])
        if page_user is None or owner is None or not hmac.compare_digest(owner.encode(), page_user.encode()):
            log.warning("refused %s %s to %r", handler.request.method, handler.request.path, page_user)
            raise web.HTTPError(403, "kernel of another page")

    @staticmethod
    def _page_user(headers: Any) -> str | None:
        """Whose page this is: the operator on one machine, the proxy's user behind a proxy.

        Under JupyterHub the kernel shows the user's own Hub token instead.
        """
        how = identity.mode()
        if how == "header":
            return identity.clean(headers.get(identity.header_name(), ""))
        return config.operator() if how == "local" else None

    def process_login_form(self, handler: Any) -> Any:
        """The token typed into the form (Jupyter Server's own version fails with a 500 here)."""
        typed = handler.get_argument("password", default="")
        if self.token and hmac.compare_digest(typed.encode(), str(self.token).encode()):
            return self.generate_anonymous_user(handler)
        return None

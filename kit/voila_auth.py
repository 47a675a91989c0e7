"""Voilà's login page in Chinese, a token typed into it that actually logs in, the page's
verified user handed to its kernel, and no template or theme chosen by the address.

For every authenticated request the server mints a token for the user the page
belongs to (the operator on one machine; the proxy's user header behind a proxy),
signed with the data service's key, and puts it in the `X-Kit-Session` header, which
Voilà hands to the kernel (`http_header_envs`). Whatever the browser sent under that
name is dropped first. The kernel shows that token to the data service on every
request; it never holds the key.

Loaded only inside the Voilà server (see kit/share/voila/voila.py).
"""

from __future__ import annotations

import hmac
from typing import Any

import jinja2
from tornado import web
from voila.voila_identity_provider import VoilaIdentityProvider, VoilaLoginHandler

from kit import config, identity
from kit.serve import SESSION_HEADER
from kit.service import tokens

# Voilà would render with another template or theme named in the address (ones that fetch
# from CDNs), with a kernel started outside the pool: refused on every route.
REFUSED_ARGUMENTS = ("template", "theme")


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

    async def _get_user(self, handler: Any) -> Any:
        user = await super()._get_user(handler)
        refused = [name for name in REFUSED_ARGUMENTS if name in handler.request.arguments]
        if refused:
            handler.current_user = user  # the error page is rendered for whoever asked
            raise web.HTTPError(400, "refused query arguments: %s", ", ".join(refused))
        headers = handler.request.headers
        for name in [n for n in headers if n.lower() == SESSION_HEADER.lower()]:
            del headers[name]  # never the browser's own
        page_user = self._page_user(headers) if user is not None else None
        if page_user is not None:
            if self._secret is None:
                self._secret = tokens.read_secret(config.secret_path(config.db_path()))
            if self._secret is not None:
                headers[SESSION_HEADER] = tokens.mint(self._secret, page_user)
        return user

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

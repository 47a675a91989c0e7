"""Voilà's login page in Chinese, and a token typed into it that actually logs in.

Loaded only inside the Voilà server (see kit/share/voila/voila.py).
"""

from __future__ import annotations

import hmac
from typing import Any

import jinja2
from voila.voila_identity_provider import VoilaIdentityProvider, VoilaLoginHandler


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

    def process_login_form(self, handler: Any) -> Any:
        """The token typed into the form (Jupyter Server's own version fails with a 500 here)."""
        typed = handler.get_argument("password", default="")
        if self.token and hmac.compare_digest(typed.encode(), str(self.token).encode()):
            return self.generate_anonymous_user(handler)
        return None

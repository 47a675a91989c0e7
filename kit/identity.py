"""Who is acting: decided by the deployment, never by anything typed into a form.

`KIT_AUTH` says where the name comes from (DESIGN.md, decision 2):

- `local` (default on one machine): the configured operator, `KIT_OPERATOR`;
- `hub`: `JUPYTERHUB_USER`, which JupyterHub sets for each user's server
  (chosen automatically when that variable is present and `KIT_AUTH` is unset);
- `header`: a header set by an authenticating reverse proxy, named by
  `KIT_AUTH_HEADER` (default `X-Kit-User`) and handed to the kernel by Voilà's
  `http_header_envs` as `HTTP_X_KIT_USER`. Trusted only in this mode: the proxy
  must overwrite whatever the browser sent (see docs/deployment.md).

The name is read at every action, because a preheated Voilà kernel learns its
request's headers only after it has started.
"""

from __future__ import annotations

import os
import unicodedata
from urllib.parse import unquote

from kit import config
from kit.errors import PermissionDenied

MODES = ("local", "hub", "header")
DEFAULT_HEADER = "X-Kit-User"
UNKNOWN = "（未能确定的用户）"


def mode() -> str:
    """The configured identity mode."""
    raw = os.environ.get("KIT_AUTH", "").strip().lower()
    if raw in MODES:
        return raw
    if raw:
        raise PermissionDenied(f"部署配置有误：KIT_AUTH 的值“{raw}”无效，应为 local、hub 或 header 之一。")
    return "hub" if os.environ.get("JUPYTERHUB_USER") else "local"


def header_name() -> str:
    """The proxy header that carries the user's name."""
    return os.environ.get("KIT_AUTH_HEADER", "").strip() or DEFAULT_HEADER


def header_env(name: str | None = None) -> str:
    """The environment variable Voilà sets in the kernel for a header (RFC 3875, 4.1.18)."""
    return "HTTP_" + (name or header_name()).upper().replace("-", "_")


def current() -> str:
    """The acting user's name.

    Raises:
        PermissionDenied: the deployment says where the name comes from, but it is not there.
    """
    how = mode()
    if how == "local":
        return config.operator()
    source = "JUPYTERHUB_USER" if how == "hub" else header_env()
    name = clean(os.environ.get(source, ""))
    if name is None:
        where = "JupyterHub" if how == "hub" else f"反向代理的请求头 {header_name()}"
        raise PermissionDenied(f"未能从{where}确定当前用户，操作未执行。请重新登录；如仍不行，请联系管理员。")
    return name


def clean(raw: str) -> str | None:
    """A user name as a proxy or JupyterHub sends it, or None if it cannot be one."""
    # Proxies send non-ASCII names percent-encoded (headers are Latin-1 on the wire).
    name = unicodedata.normalize("NFC", unquote(raw))
    # Checked before trimming: "luru01%0a" is not luru01, it is a name nobody was given.
    if any(unicodedata.category(ch).startswith("C") or unicodedata.category(ch) in ("Zl", "Zp") for ch in name):
        return None
    name = name.strip(" ")
    if not name or name != name.strip() or len(name) > 100:
        return None
    return name


def known() -> bool:
    """Whether the acting user can be determined now (a preheated kernel cannot yet)."""
    try:
        current()
    except PermissionDenied:
        return False
    return True

"""Verified identities for the data service: signed tokens and JupyterHub's own.

The service never trusts a user name it is told. A request carries either

- a token signed with the service's key (`<db>.secret`, readable only by the
  service's system user): minted by the serving layer for the user a page was
  opened by, or by the local operator, who can read the key; it names the user and
  expires; or
- a JupyterHub API token, which the service asks the Hub about.

Whoever can read the key can act as anyone, exactly as whoever can read the
database file can read everything: both belong to the service's system user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path

from kit.errors import PermissionDenied

PREFIX = "kit1"
HUB_PREFIX = "hub "
# A page's token lives as long as a working day; the operator's for a month.
PAGE_TTL_S = 12 * 3600
OPERATOR_TTL_S = 30 * 24 * 3600
_HUB_CACHE_S = 60.0
_MAX_TOKEN = 2048


def load_or_create_secret(path: Path) -> bytes:
    """The service's signing key, created (readable by its owner only) when missing."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return _read_secret(path)
    with os.fdopen(fd, "wb") as f:
        f.write(fresh)
        f.flush()
        os.fsync(f.fileno())
    return fresh


def _read_secret(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise PermissionDenied(f"数据服务的密钥文件 {path.name} 已损坏，请删除它后重新启动数据服务。")
    return key


def read_secret(path: Path) -> bytes | None:
    """The key if this process may read it (it is the local operator), else None."""
    try:
        return _read_secret(path)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).digest())


def mint(secret: bytes, user: str, *, ttl_s: float = PAGE_TTL_S, now: float | None = None) -> str:
    """A token that names `user` until `ttl_s` from now."""
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{PREFIX}.{_b64(user.encode('utf-8'))}.{expires}.{secrets.token_hex(4)}"
    return f"{payload}.{_signature(secret, payload)}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> str:
    """The user a token names, if the service's key signed it and it has not expired.

    Raises:
        PermissionDenied: the token is malformed, forged or expired (`action` says which).
    """
    parts = token.split(".")
    if len(token) > _MAX_TOKEN or len(parts) != 5 or parts[0] != PREFIX:
        raise PermissionDenied("身份凭据格式不正确，请求未执行。请重新打开页面。", action="身份凭据无效")
    payload, signature = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_signature(secret, payload), signature):
        raise PermissionDenied("身份凭据无法核实，请求未执行。", action="身份凭据伪造")
    try:
        user = unicodedata.normalize("NFC", _unb64(parts[1]).decode("utf-8"))
        expires = int(parts[2])
    except (ValueError, UnicodeDecodeError) as e:
        raise PermissionDenied("身份凭据格式不正确，请求未执行。", action="身份凭据无效") from e
    if expires < (time.time() if now is None else now):
        raise PermissionDenied("身份凭据已过期，请求未执行。请刷新页面后重试。", action="身份凭据过期")
    return user


class HubUsers:
    """Asks JupyterHub whose API token this is (`GET <hub api>/user`), remembering answers for a minute."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self._known: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def user(self, token: str) -> str:
        """
        Raises:
            PermissionDenied: the Hub does not know the token, or cannot be asked.
        """
        if not self.api_url:
            raise PermissionDenied(
                "数据服务未配置 JupyterHub（KIT_HUB_API_URL），不能核实该凭据。", action="身份凭据无效"
            )
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        with self._lock:
            cached = self._known.get(digest)
            if cached and time.monotonic() - cached[0] < _HUB_CACHE_S:
                return cached[1]
        request = urllib.request.Request(f"{self.api_url}/user", headers={"Authorization": f"token {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                name = str(json.loads(response.read().decode("utf-8"))["name"])
        except urllib.error.HTTPError as e:
            raise PermissionDenied("JupyterHub 不认可该凭据，请求未执行。请重新登录。", action="身份凭据伪造") from e
        except (OSError, ValueError, KeyError) as e:
            raise PermissionDenied(
                "暂时无法向 JupyterHub 核实身份，请求未执行。请稍后重试。", action="身份核实失败"
            ) from e
        with self._lock:
            self._known[digest] = (time.monotonic(), name)
        return name

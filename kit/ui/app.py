"""What every app shares: its header with the acting user, its status line, start-up."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import ipywidgets as w
import traitlets as t

from kit import access, identity
from kit.db import Connection
from kit.errors import KitError, describe
from kit.markup import Markup, html, join
from kit.ui.forms import ERROR, status_html, unsaved_mark
from kit.ui.widgets import Html

log = logging.getLogger(__name__)

APP_CSS = html(
    """
<style>
.kit-app { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; max-width: 1100px; }
.kit-header { display:flex; justify-content:space-between; align-items:baseline;
              border-bottom:2px solid #b71c1c; margin-bottom:10px; }
.kit-brand { font-size:14px; color:#b71c1c; font-weight:bold; padding:4px 0; }
.kit-user { color:#555; font-size:13px; }
.kit-nav { font-size:13px; margin:-6px 0 8px; }
.kit-nav a, .kit-nav span { margin-right:14px; }
.kit-nav a { color:#1565c0; text-decoration:none; }
.kit-nav span { color:#333; font-weight:bold; }
.kit-hint { color:#777; font-size:12px; margin:0 8px; white-space:nowrap; }
.kit-section-title { font-weight:bold; font-size:15px; margin:14px 0 6px;
                     border-left:4px solid #b71c1c; padding-left:6px; }
.kit-low { color:#b71c1c; font-weight:bold; }
.kit-total { font-size:16px; margin:8px 0; }
.kit-info { background:#fafafa; border:1px solid #eee; padding:6px 10px; border-radius:4px; font-size:13px; }
.kit-download { display:inline-block; padding:6px 14px; background:#1565c0; color:#fff !important;
                border-radius:3px; text-decoration:none; font-size:13px; }
</style>
"""
)


# The apps (notebooks/<name>.ipynb) by their titles, in the index's order: every app's bar links them.
APPS = (("score_entry", "年度考核评分"), ("results", "考核结果"), ("rounds", "巡察组织"), ("inspection", "巡察整改"))


class AppModel(t.HasTraits):
    """What every app's model has: its database file and the acting user, as the header shows them."""

    user_label = t.Unicode("")
    user_name = t.Unicode("")  # the acting user's login (a request they made is not theirs to review)
    analyst = t.Bool(False)  # the user holds 分析员: the bar also links the analysis notebooks

    def __init__(self, db_path: str | Path | None = None) -> None:
        super().__init__()
        self.db_path = db_path

    def identify(self, con: Connection) -> access.User:
        """The acting user with their roles (the bare name stays shown if the database refuses them).

        Raises:
            PermissionDenied: the user is not registered, disabled or without a role.
        """
        self.user_label = con.actor
        me = access.user(con)
        self.user_name = me.name
        self.analyst = "analyst" in me.roles
        self.user_label = me.label
        return me


def nav_html(title: str, *, analyst: bool = False) -> Markup:
    """首页 and the other apps (this one named, not linked); the analysis notebooks for 分析员 only.

    Links are relative to the app's own address (…/voila/render/<app>.ipynb), so they hold
    under `kit serve` and under a JupyterHub user's prefix alike.
    """
    links = [html('<a href="../../">首页</a>')]
    for name, app_title in APPS:
        if app_title == title:
            links.append(html("<span>{}</span>", app_title))
        else:
            links.append(html('<a href="{}.ipynb">{}</a>', name, app_title))
    if analyst:
        links.append(html('<a href="../tree/analysis">分析笔记本</a>'))
    return html('<nav class="kit-nav" aria-label="应用">{}</nav>', join(links))


def header_html(title: str, user_label: str = "", *, analyst: bool = False) -> Markup:
    """The app's title and who is acting with which roles, as the deployment and the database say."""
    return html(
        '{}<div class="kit-header"><span class="kit-brand">监督台 · {}</span>'
        '<span class="kit-user">当前用户：{}</span></div>{}',
        APP_CSS,
        title,
        user_label or "正在确认…",
        nav_html(title, analyst=analyst),
    )


def frame(title: str, *children: w.Widget) -> w.VBox:
    """The app: its header (user not yet known in a preheated kernel), then its widgets."""
    return w.VBox([Html(header_html(title)), *children, unsaved_mark()], layout=w.Layout(padding="4px 12px")).add_class(
        "kit-app"
    )


def show_user(box: w.VBox, title: str, user_label: str, *, analyst: bool = False) -> None:
    """Put the acting user and their roles into the header of an app built by `frame`."""
    box.children[0].value = header_html(title, user_label, analyst=analyst)


@contextmanager
def errors_shown_in(status: Html) -> Iterator[None]:
    """Run a widget callback; show any failure in `status` instead of losing it."""
    try:
        yield
    except Exception as e:
        if not isinstance(e, KitError):
            log.exception("widget callback failed")
        title, message = describe(e)
        status.value = status_html(ERROR, title, message)
    else:
        status.value = ""


def in_preheated_kernel() -> bool:
    return os.environ.get("VOILA_PREHEAT", "").lower() == "true"


def stacks_on_request() -> None:
    """`kill -USR1 <kernel pid>` writes where every thread of this kernel is to its stderr (Voilà's log).

    For a page that never finishes loading: it shows whether the kernel waits for the page's
    request, for the data service, or for something else (docs/deployment.md).
    """
    stderr = sys.__stderr__
    if hasattr(signal, "SIGUSR1") and stderr is not None and threading.current_thread() is threading.main_thread():
        faulthandler.register(signal.SIGUSR1, file=stderr, all_threads=True)


if "ipykernel" in sys.modules:  # an app's kernel, from the moment its notebook imports the app
    stacks_on_request()


def start(load: Callable[[], None], status: Html, *, prepare: Callable[[], None] | None = None) -> None:
    """Load the app's data once a user has asked for the page.

    A preheated Voilà kernel runs the notebook before anyone connects; data read
    then would be stale by the time the page is opened, so we wait for the
    request first (DESIGN.md, known traps). `prepare` runs before the wait: work
    that does not depend on current data (building widgets) is done ahead.
    """
    # Behind a proxy, a preheated kernel learns who its user is only with the request.
    if prepare is not None and identity.known():
        try:
            prepare()
        except Exception:  # load() reports the same problem to the user
            log.warning("app preparation failed", exc_info=True)
    if in_preheated_kernel():
        from kit import preheat

        preheat.wait_for_request()
    with errors_shown_in(status):
        load()

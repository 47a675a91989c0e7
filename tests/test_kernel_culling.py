"""A kernel just given to a page is not culled before the page's browser has connected to it.

CI saw a page stay a bare text ("VBox(children=…") with "kernel of another page" refusals:
a preheated kernel, idle in the pool for longer than the idle limit, was given to a page
and the culler passed before the browser's first websocket, so it shut the kernel down.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kit import voila_auth
from kit.voila_auth import KitKernelManager


def test_a_kernel_given_to_a_page_waits_for_its_browser_then_is_culled_when_idle(tmp_path: Path) -> None:
    async def run() -> tuple[bool, bool, bool, bool]:
        manager = KitKernelManager(connection_dir=str(tmp_path), cull_idle_timeout=1)
        kernel_id = await manager.start_kernel(kernel_name="python3")
        try:
            kernel = manager.get_kernel(kernel_id)
            kernel.last_activity = datetime.now(UTC) - timedelta(hours=1)  # long idle in the pool, no browser
            voila_auth._given(kernel_id, "page-user")
            await manager.cull_kernel_if_idle(kernel_id)
            kept = kernel_id in manager.list_kernel_ids()
            bound = voila_auth.OWNERS.get(kernel_id) == "page-user"
            voila_auth.GIVEN[kernel_id] = time.monotonic() - voila_auth.PAGE_GRACE_S - 1  # no browser came
            await manager.cull_kernel_if_idle(kernel_id)
            culled = kernel_id not in manager.list_kernel_ids()
            forgotten = kernel_id not in voila_auth.OWNERS and kernel_id not in voila_auth.GIVEN
            return kept, bound, culled, forgotten
        finally:
            if kernel_id in manager.list_kernel_ids():
                await manager.shutdown_kernel(kernel_id, now=True)

    kept, bound, culled, forgotten = asyncio.run(run())
    assert kept, "culled while its page was still on its way"
    assert bound
    assert culled, "a kernel whose page never came is still running"
    assert forgotten

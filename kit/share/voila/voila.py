# Voilà configuration of 监督台, loaded by `kit serve` (see kit/serve.py for the options
# given on the command line). Values that are Python objects or lists live here.
from kit import voila_auth
from kit.serve import CONTENT_SECURITY_POLICY, IOPUB_TIMEOUT_S, cull_timing, page_config_hook, pool_settings

c = get_config()  # noqa: F821 - provided by traitlets when Voilà loads this file
c.VoilaConfiguration.page_config_hook = page_config_hook
# Only our offline template and theme, whatever a notebook or an address asks for
# (kit.voila_auth also refuses ?template= and ?theme= outright).
c.VoilaConfiguration.allow_template_override = "NO"
c.VoilaConfiguration.allow_theme_override = "NO"
# Voilà's executor reads a cell's output until the kernel says it is idle, but gives up 4 s
# (nbclient's default) after the kernel's reply: on a loaded machine an app's cell, which opens
# hundreds of widgets, can take longer, and the page was rendered without the cell's output,
# showing only its title (seen in CI and in browser tests on a busy 2-core machine, with
# "Timeout waiting for IOPub output" in the log). The wait ends as soon as the kernel is idle.
c.VoilaExecutor.iopub_timeout = IOPUB_TIMEOUT_S
# Serve no files from the notebooks folder, only the apps themselves.
c.VoilaConfiguration.file_allowlist = []
# Analysts' notebooks are opened rarely: no kernel waits for them.
c.VoilaKernelManager.preheat_denylist = ["analysis/"]
# Kernels of tabs that were closed or lost are shut down once idle and unattended.
# (Closing a tab asks Voilà to stop its kernel at once, but that request is refused
# unless the page came from the index: XSRF protection stays on, culling does the rest.)
idle_s, every_s = cull_timing()
c.MappingKernelManager.cull_idle_timeout = idle_s
c.MappingKernelManager.cull_interval = every_s
# The page shown when the address is opened without its token, in Chinese; every request
# about a kernel checked against the user whose page the kernel serves (kit/voila_auth.py).
c.Voila.identity_provider_class = "kit.voila_auth.KitIdentityProvider"
c.VoilaConfiguration.multi_kernel_manager_class = "kit.voila_auth.KitKernelManager"
# A preheated kernel's page request goes only to that kernel (kit/preheat.py).
voila_auth.guard_request_info()
# How soon a used preheated kernel is replaced (kit.serve.pool_settings; the pool's size is
# on the command line).
c.VoilaKernelManager.fill_delay = pool_settings()[1]
# An uploaded evidence file (up to 20 MB, kit.rectification.MAX_EVIDENCE_BYTES) or Excel
# ledger (up to 30 MB, kit.excel.MAX_BYTES) reaches the kernel as one websocket message:
# tornado's default limit of 10 MiB would drop the connection instead.
# Every page carries kit's Content-Security-Policy (kit/serve.py); the access log masks tokens.
c.Voila.tornado_settings = {
    "websocket_max_message_size": 64 * 1024 * 1024,
    "headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    "log_function": voila_auth.log_request,
}

# jupyter_server_config.py — for the per-user servers JupyterHub starts (docs/deployment.md, 模式三).
# Install as /etc/kit/jupyter/jupyter_server_config.py; jupyterhub_config.py puts /etc/kit/jupyter
# on JUPYTER_CONFIG_PATH. (`kit serve` does not need this file: kit/share/voila/voila.py does the same.)
from kit.serve import CONTENT_SECURITY_POLICY  # this file is read by the server in kit's venv

c = get_config()  # noqa: F821 - provided by traitlets

# Voilà with kit's offline Chinese template.
c.VoilaConfiguration.template = "kit"
c.VoilaConfiguration.show_tracebacks = False
c.ServerApp.tornado_settings = {
    # As a server extension Voilà would tell the page to load MathJax from cdnjs (standalone
    # Voilà does not): no MathJax, as with `kit serve`. Offices are offline.
    "mathjax_url": None,
    "mathjax_config": None,
    # Every page carries the Content-Security-Policy of `kit serve` (docs/security.md): only this
    # origin (the hub's paths and the websockets to this server included), no inline event
    # handlers, no eval. Without it JupyterHub sends only "frame-ancestors 'none'".
    "headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    # No "log_function": jupyterhub-singleuser installs JupyterHub's access log, which already
    # masks ?token= and the like ("[secret]"); naming one here would replace it.
}

# Same culling as `kit serve` (kit/serve.py CULL_IDLE_S): idle kernels with no browser go within 90 s.
c.MappingKernelManager.cull_idle_timeout = 60
c.MappingKernelManager.cull_interval = 30

# Users of the apps get no JupyterLab and no terminals. (They can still reach the
# Jupyter Server REST API of their own server: see docs/deployment.md.)
c.ServerApp.jpserver_extensions = {"jupyterlab": False, "jupyter_lsp": False, "notebook_shim": False}
c.ServerApp.terminals_enabled = False

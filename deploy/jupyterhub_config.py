# jupyterhub_config.py — 监督台 served by JupyterHub: one Jupyter Server with Voilà per user.
# See docs/deployment.md ("模式三"). Tried with JupyterHub 6.1.1 in its own venv; the
# single-user servers run from kit's venv (/opt/kit/.venv), where the same jupyterhub
# version is installed for `jupyterhub-singleuser`.
#
# Trial settings, NOT for production: DummyAuthenticator (one shared password) and
# SimpleLocalProcessSpawner (every user's server runs as the OS user running the hub).
#
# Run as the user owning the database (tried exactly so, with the hub in a virtual environment of its own):
#   cd /var/lib/kit/hub && /opt/jupyterhub/bin/jupyterhub -f /etc/kit/jupyterhub_config.py
# configurable-http-proxy (npm install -g configurable-http-proxy) must be on PATH.

KIT = "/opt/kit"
KIT_DB = "/var/lib/kit/kit.duckdb"

c = get_config()  # noqa: F821 - provided by traitlets

# The hub listens on loopback; put nginx with TLS in front of it for other machines.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.cookie_secret_file = "/var/lib/kit/hub/jupyterhub_cookie_secret"
c.JupyterHub.db_url = "sqlite:////var/lib/kit/hub/jupyterhub.sqlite"

# --- who: trial authenticator. Replace with LDAP/OAuth/PAM in production.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "change-me"
# Hub names are the names kit knows (`kit user add NAME …`); kit refuses anyone else.
c.Authenticator.allowed_users = {"zhangwei", "李娜", "stranger"}

# --- each user's server: Jupyter Server + Voilà extension, from kit's venv.
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = "/var/lib/kit/hub/home/{username}"
c.Spawner.cmd = [f"{KIT}/.venv/bin/jupyterhub-singleuser"]
c.Spawner.notebook_dir = f"{KIT}/notebooks"
# Users land on the apps' index, not in JupyterLab.
c.Spawner.default_url = "/voila"
c.Spawner.environment = {
    "KIT_DB": KIT_DB,
    # kit's Voilà template (offline, Chinese) and kit's voila.py (index titles, no file serving).
    "JUPYTER_PATH": f"{KIT}/kit/share/jupyter",
    # /etc/kit/jupyter holds deploy/jupyter_server_config.py (template, culling, no MathJax CDN).
    "JUPYTER_CONFIG_PATH": f"/etc/kit/jupyter:{KIT}/kit/share/voila",
    # KIT_AUTH stays unset: kit sees JUPYTERHUB_USER (set by the hub) and uses it.
    # The data service (kit-data.service) holds the file; kernels ask it, proving who they are
    # with the server's own JUPYTERHUB_API_TOKEN, which the service checks with the hub
    # (KIT_HUB_API_URL in kit-data.service). The users' servers need no access to the file.
    "KIT_MODE": "service",
    "KIT_SERVICE": "grpc+tcp://127.0.0.1:8867",
}
# Not tried: stopping whole user servers that nobody uses (the usual tool is jupyterhub-idle-culler).
# Idle kernels inside them are culled by jupyter_server_config.py.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

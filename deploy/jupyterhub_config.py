# jupyterhub_config.py — 监督台 served by JupyterHub: one Jupyter Server with Voilà per user.
# See docs/deployment.md ("模式三"). Tried with JupyterHub 6.1.1 in its own venv; the
# single-user servers run from kit's venv (/opt/kit/.venv), where the same jupyterhub
# version is installed for `jupyterhub-singleuser`.
#
# As tried on 2026-12-01: the hub runs as root so that LocalProcessSpawner can start each
# user's server as that user's own OS account (`useradd --create-home --shell
# /usr/sbin/nologin NAME`, not in the kit group): their notebooks cannot read the office
# file or the data service's key, and reach data only through the data service as themselves.
# The shared-password authenticator is for trials only: use LDAP/OAuth/PAM in production.
#
#   install -d -m 700 /var/lib/jupyterhub
#   cd /var/lib/jupyterhub && /opt/jupyterhub/bin/jupyterhub -f /etc/kit/jupyterhub_config.py
# configurable-http-proxy (npm install -g configurable-http-proxy) must be on PATH.

KIT = "/opt/kit"
KIT_DB = "/var/lib/kit/kit.duckdb"

c = get_config()  # noqa: F821 - provided by traitlets

# The hub listens on loopback; put nginx with TLS in front of it for other machines.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.cookie_secret_file = "/var/lib/jupyterhub/jupyterhub_cookie_secret"
c.JupyterHub.db_url = "sqlite:////var/lib/jupyterhub/jupyterhub.sqlite"
# The hub's API: the data service checks users' tokens here (KIT_HUB_API_URL in kit-data.service).
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"

# --- who: trial authenticator (one password for all). Replace with LDAP/OAuth/PAM in production.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = "change-me-to-a-long-password"
# Hub names are the names kit knows (`kit user add NAME …`; kit refuses anyone else), and
# each has an OS account of the same name.
c.Authenticator.allowed_users = {"kitana1", "kitana2"}

# --- each user's server: Jupyter Server + Voilà extension, from kit's venv.
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
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

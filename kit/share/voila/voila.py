# Voilà configuration of 监督台, loaded by `kit serve` (see kit/serve.py for the options
# given on the command line). Values that need Python live here.
from kit.serve import page_config_hook

c = get_config()  # noqa: F821 - provided by traitlets when Voilà loads this file
c.VoilaConfiguration.page_config_hook = page_config_hook
# Closing a tab asks Voilà to shut its kernel down; without this the request is
# refused (403, no _xsrf cookie) and the kernel lingers until culled.
c.Voila.tornado_settings = {"disable_check_xsrf": True}

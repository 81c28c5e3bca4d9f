"""The web console (compliance officer) and the consent kiosk (the public), server-rendered.

Thin like the REST API: pages translate forms into Gate calls and refusals into messages;
every legal decision stays in the Gate and the law. Mounted beside the API by ``mount_web``.
"""

from facegate.web.app import mount_web

__all__ = ["mount_web"]

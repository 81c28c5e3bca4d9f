"""The REST service: FastAPI over the Gate. Routes translate HTTP into Gate calls and errors into
JSON; every rule lives in ``facegate.service`` and ``facegate.law``.

    from facegate.api import ApiSettings, create_app
    app = create_app(gate, ApiSettings())
"""

from facegate.api.app import create_app
from facegate.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]

"""`/docs`: Swagger UI from the files packaged in `swagger-ui-py`, so it works offline.

FastAPI's default docs page loads Swagger UI from a CDN, which a machine without internet (or a
strict network policy) cannot reach. The OpenAPI schema itself is FastAPI's, at `/openapi.json`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def _swagger_assets() -> Path:
    import swagger_ui

    return Path(swagger_ui.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serve `/docs` with local Swagger UI assets (the app is created with `docs_url=None`)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    app.mount(ASSETS, StaticFiles(directory=_swagger_assets()), name="docs-assets")

"""HTTP adapter around `rag.Assistant`: the FastAPI app, its routes and the static chat page.

Nothing here answers questions itself; it validates requests, bounds concurrent generation,
maps domain errors to HTTP responses and streams what the assistant produces.
"""

from api.app import create_app

__all__ = ["create_app"]

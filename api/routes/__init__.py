"""The API's routers, one module per concern; `app.py` includes `router`."""

from fastapi import APIRouter

from api.routes import chat, corpus, health, openai_compat

router = APIRouter()
router.include_router(chat.router)
router.include_router(openai_compat.router)
router.include_router(corpus.router)
router.include_router(health.router)

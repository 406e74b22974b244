"""The web layer: FastAPI app, server-rendered pages, the JSON API (see docs/web.md)."""

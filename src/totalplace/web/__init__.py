"""The web app (FastAPI): pages, roles, uploads and the API over the same service functions as the CLI."""

"""One router per audience (FastAPI's "bigger applications" layout)."""

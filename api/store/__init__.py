"""What the API reads and keeps: the state store (SQLAlchemy models, Alembic migrations) and the
API's few extra graph look-ups."""

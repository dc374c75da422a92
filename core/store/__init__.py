"""Storage behind one interface (SQLite by default; PostgreSQL later)."""

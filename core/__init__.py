"""Cross-cutting plumbing shared by every domain package: settings, database, errors."""

"""Operations: the schema and seeded reference data (reference), and backups and restores (backup)."""

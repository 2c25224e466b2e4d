"""Full-text search structures, per database: an FTS5 table on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS notes_bookpage_fts USING fts5("
    "page_id UNINDEXED, book_id UNINDEXED, title, body, math, tokenize = 'porter unicode61')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS notes_bookpage_fts"
PG_CREATE = "CREATE INDEX IF NOT EXISTS notes_bookpage_search_gin ON notes_bookpage USING gin (search_vector)"
PG_DROP = "DROP INDEX IF EXISTS notes_bookpage_search_gin"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(PG_CREATE)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif vendor == "postgresql":
        schema_editor.execute(PG_DROP)


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

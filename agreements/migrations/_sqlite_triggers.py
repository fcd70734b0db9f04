"""SQLite cannot change most columns in place: Django rebuilds the table, which drops the
table's own triggers (the tally's, 0012; the stored copies', 0017) and is refused while a
trigger elsewhere names the table (the meeting's tally). A migration that rebuilds a table on
SQLite wraps its operations in ``around(tables, operations)``: every trigger naming the tables
is set aside first and written again after, exactly as it was. (The migration loader skips
this module: its name starts with an underscore.)"""

from django.db import migrations

_kept: list[str] = []


def _keep(tables):
    def keep(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        placeholders = ", ".join(["%s"] * len(tables))
        likes = " OR ".join(["sql LIKE %s"] * len(tables))
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                f"(tbl_name IN ({placeholders}) OR {likes})",
                [*tables, *(f"%{table}%" for table in tables)],
            )
            triggers = cursor.fetchall()
        for name, _ in triggers:
            schema_editor.execute(f'DROP TRIGGER "{name}"')
        _kept[:] = [sql for _, sql in triggers]

    return keep


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in _kept:
        schema_editor.execute(sql)
    _kept.clear()


def around(tables: tuple[str, ...], operations: list) -> list:
    keep = _keep(tables)
    return [
        migrations.RunPython(keep, _restore),
        *operations,
        migrations.RunPython(_restore, keep),
    ]

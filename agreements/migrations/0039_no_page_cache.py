from django.db import migrations


class Migration(migrations.Migration):
    """Pages are drawn with the request, every time: no revision counter, no cache table."""

    dependencies = [
        ("agreements", "0038_history_reasons_whole"),
    ]

    operations = [
        migrations.DeleteModel(name="Revision"),
        migrations.RunSQL("DROP TABLE IF EXISTS tracker_cache", migrations.RunSQL.noop),
    ]

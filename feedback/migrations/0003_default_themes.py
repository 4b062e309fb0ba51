from django.db import migrations


def add_default_themes(apps, schema_editor):
    from feedback.defaults import themes_ensure

    themes_ensure(apps.get_model("feedback", "Theme"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_tagging")]

    operations = [migrations.RunPython(add_default_themes, migrations.RunPython.noop)]

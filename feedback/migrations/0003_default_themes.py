from django.db import migrations


def add_default_themes(apps, schema_editor):
    from feedback.theme_catalog import DEFAULT_THEMES

    Theme = apps.get_model("feedback", "Theme")
    for spec in DEFAULT_THEMES:
        Theme.objects.get_or_create(name=spec["name"], defaults={"name_zh": spec["name_zh"], "keywords": spec["keywords"]})


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_tagging")]

    operations = [migrations.RunPython(add_default_themes, migrations.RunPython.noop)]

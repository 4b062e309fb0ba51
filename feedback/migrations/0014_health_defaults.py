from django.db import migrations


def add_defaults(apps, schema_editor):
    from feedback.defaults import health_defaults_ensure

    health_defaults_ensure(apps.get_model("feedback", "HealthWeight"), apps.get_model("feedback", "AlertRule"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0013_health")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]

from django.db import migrations


def add_defaults(apps, schema_editor):
    from feedback.defaults import loop_defaults_ensure

    loop_defaults_ensure(apps.get_model("feedback", "RootCause"), apps.get_model("feedback", "RoutingRule"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0004_loop")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]

from django.db import migrations


def add_touchpoints(apps, schema_editor):
    from surveys.catalog import touchpoints_ensure

    touchpoints_ensure(apps.get_model("surveys", "Touchpoint"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0009_accounts_touchpoints")]

    operations = [migrations.RunPython(add_touchpoints, migrations.RunPython.noop)]

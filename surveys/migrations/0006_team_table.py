# Rename the moved table (and its members table) to this app's names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0005_team'),
        ('feedback', '0010_team_moved_to_surveys'),
    ]

    operations = [
        migrations.AlterModelTable(name='team', table=None),
    ]

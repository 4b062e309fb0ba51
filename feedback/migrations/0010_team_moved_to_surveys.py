# Team now lives in surveys (surveys 0005): point the foreign keys there and forget the old state.
# Nothing changes in the database: the table is the same one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0009_rollup_indexes'),
        ('surveys', '0005_team'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='followup',
                    name='team',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='surveys.team', verbose_name='team'),
                ),
                migrations.AlterField(
                    model_name='routingrule',
                    name='team',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='surveys.team', verbose_name='team'),
                ),
                migrations.DeleteModel(name='Team'),
            ],
            database_operations=[],
        ),
    ]

# Team moves from feedback to surveys (teams will own surveys, and surveys never imports feedback).
# The state moves here; the table keeps its rows and is renamed in 0006.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0004_rollup_indexes'),
        ('feedback', '0009_rollup_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Team',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                        ('round_robin_position', models.PositiveIntegerField(default=0, editable=False)),
                        ('lead', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='led_teams', to=settings.AUTH_USER_MODEL, verbose_name='lead')),
                        ('members', models.ManyToManyField(related_name='vocsite_teams', to=settings.AUTH_USER_MODEL, verbose_name='members')),
                    ],
                    options={
                        'verbose_name': 'team',
                        'verbose_name_plural': 'teams',
                        'ordering': ['name'],
                        'db_table': 'feedback_team',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

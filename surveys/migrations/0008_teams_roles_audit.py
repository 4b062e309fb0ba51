# Teams own surveys, contacts, segments and imports (empty team: administrators only); roles
# per team (Membership, which becomes the through table of Team.members: earlier members keep
# their place as agents, leads become managers); the append-only audit log.

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# Refuses UPDATE and DELETE on the audit log (TRUNCATE, used by test flushes, is not a row event).
APPEND_ONLY = """
CREATE FUNCTION surveys_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER surveys_auditevent_append_only BEFORE UPDATE OR DELETE ON surveys_auditevent
    FOR EACH ROW EXECUTE FUNCTION surveys_auditevent_append_only();
"""
NOT_APPEND_ONLY = """
DROP TRIGGER IF EXISTS surveys_auditevent_append_only ON surveys_auditevent;
DROP FUNCTION IF EXISTS surveys_auditevent_append_only();
"""


def members_to_memberships(apps, schema_editor):
    Team = apps.get_model("surveys", "Team")
    Membership = apps.get_model("surveys", "Membership")
    rows = {}
    for link in Team.members.through.objects.all():
        rows[(link.user_id, link.team_id)] = "agent"
    for team in Team.objects.filter(lead__isnull=False):
        rows[(team.lead_id, team.pk)] = "manager"
    Membership.objects.bulk_create(
        Membership(user_id=user_id, team_id=team_id, role=role) for (user_id, team_id), role in rows.items()
    )


def memberships_to_members(apps, schema_editor):
    Team = apps.get_model("surveys", "Team")
    Membership = apps.get_model("surveys", "Membership")
    Team.members.through.objects.bulk_create(
        Team.members.through(user_id=row.user_id, team_id=row.team_id)
        for row in Membership.objects.filter(team__isnull=False)
    )


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


def not_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NOT_APPEND_ONLY)


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0007_privacy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='username then')),
                ('action', models.CharField(choices=[('responses_exported', 'Responses exported'), ('contact_exported', 'Contact data exported'), ('contact_erased', 'Contact erased'), ('membership_granted', 'Role granted'), ('membership_changed', 'Role changed'), ('membership_revoked', 'Role revoked'), ('superuser_changed', 'Superuser status changed'), ('follow_up_reassigned', 'Follow-up reassigned'), ('api_token_created', 'API token created'), ('api_token_revoked', 'API token revoked')], db_index=True, max_length=30, verbose_name='what')),
                ('target_type', models.CharField(blank=True, max_length=100, verbose_name='target type')),
                ('target_id', models.CharField(blank=True, max_length=64, verbose_name='target id')),
                ('details', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('source', models.CharField(choices=[('admin', 'Admin'), ('api', 'API'), ('staff_page', 'Staff page'), ('system', 'System (command or task)')], default='system', max_length=10, verbose_name='from')),
            ],
            options={
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit events',
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('administrator', 'Administrator (everything, every team)'), ('manager', 'Team manager'), ('agent', 'Agent'), ('designer', 'Designer (digests and aggregated metrics)'), ('viewer', 'Viewer (read-only)')], default='agent', max_length=15, verbose_name='role')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'membership',
                'verbose_name_plural': 'memberships',
                'ordering': ['team__name', 'user__username'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='contact',
            name='contact_unique_email_ci',
        ),
        migrations.RemoveConstraint(
            model_name='contact',
            name='contact_unique_external_id',
        ),
        migrations.AddField(
            model_name='contact',
            name='team',
            field=models.ForeignKey(blank=True, help_text='The team whose customers these are. Empty: administrators only.', null=True, on_delete=django.db.models.deletion.PROTECT, to='surveys.team', verbose_name='team'),
        ),
        migrations.AddField(
            model_name='contactimport',
            name='team',
            field=models.ForeignKey(blank=True, help_text='The team whose customers these are. Empty: administrators only.', null=True, on_delete=django.db.models.deletion.PROTECT, to='surveys.team', verbose_name='team'),
        ),
        migrations.AddField(
            model_name='segment',
            name='team',
            field=models.ForeignKey(blank=True, help_text='The team whose customers these are. Empty: administrators only.', null=True, on_delete=django.db.models.deletion.PROTECT, to='surveys.team', verbose_name='team'),
        ),
        migrations.AddField(
            model_name='survey',
            name='team',
            field=models.ForeignKey(blank=True, help_text='The team that owns this survey and its feedback. Empty: administrators only.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='surveys', to='surveys.team', verbose_name='team'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(django.db.models.functions.text.Lower('email'), name='contact_email_ci'),
        ),
        migrations.AddConstraint(
            model_name='contact',
            constraint=models.UniqueConstraint(models.F('team'), django.db.models.functions.text.Lower('email'), condition=models.Q(('team__isnull', False)), name='contact_unique_email_per_team'),
        ),
        migrations.AddConstraint(
            model_name='contact',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), condition=models.Q(('team__isnull', True)), name='contact_unique_email_without_team'),
        ),
        migrations.AddConstraint(
            model_name='contact',
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(('external_id', ''), _negated=True), ('team__isnull', False)), fields=('team', 'external_id'), name='contact_unique_external_id_per_team'),
        ),
        migrations.AddConstraint(
            model_name='contact',
            constraint=models.UniqueConstraint(condition=models.Q(models.Q(('external_id', ''), _negated=True), ('team__isnull', True)), fields=('external_id',), name='contact_unique_external_id_without_team'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who'),
        ),
        migrations.AddField(
            model_name='membership',
            name='team',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='surveys.team', verbose_name='team'),
        ),
        migrations.AddField(
            model_name='membership',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['target_type', 'target_id'], name='audit_event_target'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('team__isnull', False)), fields=('user', 'team'), name='membership_once_per_team'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('team__isnull', True)), fields=('user',), name='membership_one_administrator_row'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('role', 'administrator'), ('team__isnull', True)), models.Q(models.Q(('role', 'administrator'), _negated=True), ('team__isnull', False)), _connector='OR'), name='membership_team_unless_administrator', violation_error_message='Administrators have no team; every other role needs one.'),
        ),
        migrations.RunPython(members_to_memberships, memberships_to_members),
        migrations.RemoveField(model_name='team', name='members'),
        migrations.AddField(
            model_name='team',
            name='members',
            field=models.ManyToManyField(related_name='vocsite_teams', through='surveys.Membership', through_fields=('team', 'user'), to=settings.AUTH_USER_MODEL, verbose_name='members'),
        ),
        migrations.RunPython(append_only, not_append_only),
        # Who may export and erase contacts is the roles' business now (surveys/access.py).
        migrations.AlterModelOptions(
            name='contact',
            options={'verbose_name': 'contact', 'verbose_name_plural': 'contacts'},
        ),
    ]

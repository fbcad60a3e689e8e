
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('changes', '0004_emergency_refusal_exception'),
        ('incidents', '0011_correlation'),
        ('org', '0002_role_assignment_granted_by'),
        ('problems', '0002_problem_refs_to_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RequestType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('kind', models.CharField(choices=[('requirement', 'Requirement'), ('support', 'Technical support'), ('usage', 'Usage approval')], max_length=20, verbose_name='kind')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('fields', models.JSONField(blank=True, default=list, verbose_name='form fields')),
                ('approvers', models.JSONField(blank=True, default=list, verbose_name='approvers in order')),
                ('performer', models.CharField(blank=True, choices=[('unit_admin', 'Unit system admin'), ('leader', 'Unit leader in charge'), ('group_admin', 'Group system admin'), ('tech_staff', 'Group technical staff')], max_length=20, verbose_name='carried out by')),
                ('action', models.CharField(blank=True, choices=[('', 'Recorded only'), ('open_account', 'Open an account')], max_length=20, verbose_name='action')),
                ('answer_minutes', models.PositiveIntegerField(default=240, verbose_name='target to answer (working minutes)')),
                ('complete_minutes', models.PositiveIntegerField(default=2250, verbose_name='target to complete (working minutes)')),
                ('hold_states', models.JSONField(blank=True, default=list, verbose_name='states that stop the clock')),
                ('waiting_close_days', models.PositiveSmallIntegerField(default=14, verbose_name='close after waiting for the requester (days)')),
                ('is_active', models.BooleanField(default=True, verbose_name='in use')),
            ],
            options={
                'verbose_name': 'request type',
                'verbose_name_plural': 'request types',
                'ordering': ['kind', 'code'],
            },
        ),
        migrations.CreateModel(
            name='ReplyTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('body', models.TextField(verbose_name='text')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'reply template',
                'verbose_name_plural': 'reply templates',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ServiceRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('kind', models.CharField(choices=[('requirement', 'Requirement'), ('support', 'Technical support'), ('usage', 'Usage approval')], max_length=20, verbose_name='kind')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('values', models.JSONField(blank=True, default=dict, verbose_name='form values')),
                ('policy', models.JSONField(blank=True, default=dict, verbose_name='policy')),
                ('state', models.CharField(choices=[('submitted', 'Submitted, waiting to be looked at'), ('triaged', 'Passed on for technical review'), ('accepted', 'Accepted, planned for a release'), ('approving', 'Partly approved, waiting for the next approver'), ('approved', 'Approved, waiting to be carried out'), ('in_progress', 'Being worked on'), ('escalated', "Passed to the group's technical staff"), ('waiting_requester', 'Waiting for your answer'), ('waiting_vendor', 'Waiting for a vendor'), ('resolved', 'Done, waiting for your confirmation'), ('closed', 'Closed'), ('rejected', 'Rejected'), ('merged', 'Merged with another request'), ('incident', 'Became a fault report'), ('cancelled', 'Withdrawn')], default='submitted', max_length=20, verbose_name='state')),
                ('waiting_on', models.CharField(blank=True, choices=[('', 'Nobody'), ('requester', 'The requester'), ('unit_admin', 'Unit system admin'), ('leader', 'Unit leader in charge'), ('group_admin', 'Group system admin'), ('tech_staff', 'Group technical staff')], max_length=20, verbose_name='waiting on')),
                ('held_from', models.CharField(blank=True, choices=[('submitted', 'Submitted, waiting to be looked at'), ('triaged', 'Passed on for technical review'), ('accepted', 'Accepted, planned for a release'), ('approving', 'Partly approved, waiting for the next approver'), ('approved', 'Approved, waiting to be carried out'), ('in_progress', 'Being worked on'), ('escalated', "Passed to the group's technical staff"), ('waiting_requester', 'Waiting for your answer'), ('waiting_vendor', 'Waiting for a vendor'), ('resolved', 'Done, waiting for your confirmation'), ('closed', 'Closed'), ('rejected', 'Rejected'), ('merged', 'Merged with another request'), ('incident', 'Became a fault report'), ('cancelled', 'Withdrawn')], max_length=20, verbose_name='held from')),
                ('approval_step', models.PositiveSmallIntegerField(default=0, verbose_name='approvals given')),
                ('priority', models.CharField(blank=True, choices=[('high', 'High'), ('medium', 'Medium'), ('low', 'Low')], max_length=10, verbose_name='priority')),
                ('target_release', models.CharField(blank=True, max_length=60, verbose_name='target release')),
                ('resolution', models.TextField(blank=True, verbose_name='resolution')),
                ('submitted_at', models.DateTimeField(verbose_name='submitted at')),
                ('clock_started_at', models.DateTimeField(verbose_name='clock starts at')),
                ('answer_due_at', models.DateTimeField(verbose_name='answer due at')),
                ('complete_due_at', models.DateTimeField(verbose_name='completion due at')),
                ('first_answered_at', models.DateTimeField(blank=True, null=True, verbose_name='first answered at')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('held_minutes', models.FloatField(default=0, verbose_name='held (working minutes)')),
                ('hold_started_at', models.DateTimeField(blank=True, null=True, verbose_name='held since')),
                ('answer_working_minutes', models.FloatField(blank=True, null=True, verbose_name='time to answer (working minutes)')),
                ('complete_working_minutes', models.FloatField(blank=True, null=True, verbose_name='time to complete (working minutes)')),
                ('escalation_level', models.PositiveSmallIntegerField(choices=[(0, 'Not escalated'), (1, 'Unit system admin told'), (2, 'Group told')], default=0, verbose_name='escalation')),
                ('group_alert_at', models.DateTimeField(blank=True, null=True, verbose_name='tell the group at')),
                ('reminded_at', models.DateTimeField(blank=True, null=True, verbose_name='requester reminded at')),
                ('rating', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='rating')),
                ('rating_comment', models.TextField(blank=True, verbose_name='rating comment')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_service_requests', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('change', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='changes.change', verbose_name='change')),
                ('duplicate_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='servicedesk.servicerequest', verbose_name='duplicate of')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='incidents.incident', verbose_name='incident')),
                ('known_error', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='problems.problem', verbose_name='known error')),
                ('requester', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_requests', to=settings.AUTH_USER_MODEL, verbose_name='requester')),
                ('type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='servicedesk.requesttype', verbose_name='type')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'service request',
                'verbose_name_plural': 'service requests',
                'ordering': ['-submitted_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='RequestEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, verbose_name='at')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='by')),
                ('kind', models.CharField(choices=[('submitted', 'Submitted'), ('transition', 'State change'), ('approval', 'Approved'), ('reply', 'Reply'), ('note', 'Internal note'), ('assigned', 'Assigned'), ('linked', 'Linked'), ('escalation', 'Overdue escalation'), ('reminder', 'Reminder to the requester'), ('rated', 'Rated'), ('recomputed', 'Due times recomputed')], max_length=20, verbose_name='kind')),
                ('from_state', models.CharField(blank=True, choices=[('submitted', 'Submitted, waiting to be looked at'), ('triaged', 'Passed on for technical review'), ('accepted', 'Accepted, planned for a release'), ('approving', 'Partly approved, waiting for the next approver'), ('approved', 'Approved, waiting to be carried out'), ('in_progress', 'Being worked on'), ('escalated', "Passed to the group's technical staff"), ('waiting_requester', 'Waiting for your answer'), ('waiting_vendor', 'Waiting for a vendor'), ('resolved', 'Done, waiting for your confirmation'), ('closed', 'Closed'), ('rejected', 'Rejected'), ('merged', 'Merged with another request'), ('incident', 'Became a fault report'), ('cancelled', 'Withdrawn')], max_length=20, verbose_name='from')),
                ('to_state', models.CharField(blank=True, choices=[('submitted', 'Submitted, waiting to be looked at'), ('triaged', 'Passed on for technical review'), ('accepted', 'Accepted, planned for a release'), ('approving', 'Partly approved, waiting for the next approver'), ('approved', 'Approved, waiting to be carried out'), ('in_progress', 'Being worked on'), ('escalated', "Passed to the group's technical staff"), ('waiting_requester', 'Waiting for your answer'), ('waiting_vendor', 'Waiting for a vendor'), ('resolved', 'Done, waiting for your confirmation'), ('closed', 'Closed'), ('rejected', 'Rejected'), ('merged', 'Merged with another request'), ('incident', 'Became a fault report'), ('cancelled', 'Withdrawn')], max_length=20, verbose_name='to')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='data')),
                ('internal', models.BooleanField(default=False, verbose_name='internal')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='servicedesk.servicerequest', verbose_name='request')),
            ],
            options={
                'verbose_name': 'request event',
                'verbose_name_plural': 'request events',
                'ordering': ['at', 'id'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('field', models.CharField(max_length=40, verbose_name='field')),
                ('name', models.CharField(max_length=200, verbose_name='file name')),
                ('content_type', models.CharField(max_length=100, verbose_name='content type')),
                ('size', models.PositiveIntegerField(verbose_name='size')),
                ('content', models.BinaryField(verbose_name='content')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='servicedesk.servicerequest', verbose_name='request')),
            ],
            options={
                'verbose_name': 'attachment',
                'verbose_name_plural': 'attachments',
            },
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['unit', 'state'], name='sr_unit_state'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['requester', '-submitted_at'], name='sr_requester_recent'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['waiting_on', 'unit', '-submitted_at'], name='sr_queue'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['unit', '-submitted_at'], name='sr_unit_recent'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['-submitted_at', '-id'], name='sr_recent'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['state', 'complete_due_at'], name='sr_state_due'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['state', 'hold_started_at'], name='sr_state_held'),
        ),
    ]

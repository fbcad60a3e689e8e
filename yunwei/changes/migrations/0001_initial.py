import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cmdb', '0003_impact_walk_index'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ChangeTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('change_type', models.CharField(choices=[('hardware_expansion', 'Hardware expansion'), ('redundancy_retrofit', 'Redundancy retrofit'), ('software_upgrade', 'Software upgrade'), ('relocation', 'Relocation'), ('data_migration', 'Data migration'), ('data_maintenance', 'Data maintenance'), ('spreadsheet_template', 'Spreadsheet template'), ('document_template', 'Document template'), ('security_policy', 'Security policy'), ('configuration', 'Configuration parameters'), ('system_structure', 'System structure'), ('deployment', 'Deployment')], max_length=30, verbose_name='type of change')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('implementation_plan', models.TextField(verbose_name='implementation plan')),
                ('test_plan', models.TextField(blank=True, verbose_name='test plan')),
                ('rollback_plan', models.TextField(blank=True, verbose_name='rollback plan')),
                ('service_impact', models.CharField(choices=[('none', 'No service impact'), ('degraded', 'Service degraded'), ('outage', 'Service outage')], default='none', max_length=10, verbose_name='service impact')),
                ('is_active', models.BooleanField(default=True, verbose_name='in use')),
            ],
            options={
                'verbose_name': 'standard change template',
                'verbose_name_plural': 'standard change templates',
                'ordering': ['name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Change',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('change_type', models.CharField(choices=[('hardware_expansion', 'Hardware expansion'), ('redundancy_retrofit', 'Redundancy retrofit'), ('software_upgrade', 'Software upgrade'), ('relocation', 'Relocation'), ('data_migration', 'Data migration'), ('data_maintenance', 'Data maintenance'), ('spreadsheet_template', 'Spreadsheet template'), ('document_template', 'Document template'), ('security_policy', 'Security policy'), ('configuration', 'Configuration parameters'), ('system_structure', 'System structure'), ('deployment', 'Deployment')], max_length=30, verbose_name='type of change')),
                ('kind', models.CharField(choices=[('standard', 'Standard (pre-approved)'), ('normal', 'Normal'), ('emergency', 'Emergency')], default='normal', max_length=10, verbose_name='kind')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('implementation_plan', models.TextField(blank=True, verbose_name='implementation plan')),
                ('test_plan', models.TextField(blank=True, verbose_name='test plan')),
                ('rollback_plan', models.TextField(blank=True, verbose_name='rollback plan')),
                ('planned_start', models.DateTimeField(blank=True, null=True, verbose_name='planned start')),
                ('planned_end', models.DateTimeField(blank=True, null=True, verbose_name='planned end')),
                ('service_impact', models.CharField(choices=[('none', 'No service impact'), ('degraded', 'Service degraded'), ('outage', 'Service outage')], default='none', max_length=10, verbose_name='service impact')),
                ('computed_risk', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], default='low', max_length=10, verbose_name='computed risk')),
                ('risk', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], default='low', max_length=10, verbose_name='risk')),
                ('risk_override_reason', models.CharField(blank=True, max_length=300, verbose_name='reason for overriding the risk')),
                ('radius_item_ids', models.JSONField(blank=True, default=list, verbose_name='items in the blast radius')),
                ('radius_unit_ids', models.JSONField(blank=True, default=list, verbose_name='units in the blast radius')),
                ('attribute_changes', models.JSONField(blank=True, default=list, verbose_name='inventory updates')),
                ('state', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('scheduled', 'Scheduled'), ('implementing', 'Implementing'), ('verifying', 'Verifying'), ('completed', 'Completed'), ('rolled_back', 'Rolled back'), ('failed', 'Failed'), ('reviewed', 'Reviewed')], default='draft', max_length=20, verbose_name='state')),
                ('approval_round', models.PositiveIntegerField(default=0, verbose_name='approval round')),
                ('approval_due_at', models.DateTimeField(blank=True, null=True, verbose_name='approval due by')),
                ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='submitted at')),
                ('approved_at', models.DateTimeField(blank=True, null=True, verbose_name='approved at')),
                ('approval_refused', models.BooleanField(default=False, verbose_name='approval refused after the fact')),
                ('implemented_at', models.DateTimeField(blank=True, null=True, verbose_name='implementation started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('verification_result', models.TextField(blank=True, verbose_name='verification result')),
                ('rollback_note', models.TextField(blank=True, verbose_name='what was rolled back')),
                ('failure_note', models.TextField(blank=True, verbose_name='why it failed')),
                ('review', models.TextField(blank=True, verbose_name='post-implementation review')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True, verbose_name='reviewed at')),
                ('inventory_applied_at', models.DateTimeField(blank=True, null=True, verbose_name='inventory updated at')),
                ('affected_items', models.ManyToManyField(blank=True, related_name='changes', to='cmdb.item', verbose_name='affected items')),
                ('requester', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='requested_changes', to=settings.AUTH_USER_MODEL, verbose_name='requester')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='org.unit', verbose_name='unit')),
                ('template', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='changes.changetemplate', verbose_name='template')),
            ],
            options={
                'verbose_name': 'change',
                'verbose_name_plural': 'changes',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Approval',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(choices=[('change', 'The change'), ('schedule', 'Scheduling into a freeze or collision')], max_length=10, verbose_name='scope')),
                ('round', models.PositiveIntegerField(verbose_name='round')),
                ('approver_name', models.CharField(max_length=150, verbose_name='approver')),
                ('role', models.CharField(max_length=20, verbose_name='as')),
                ('decision', models.CharField(choices=[('approved', 'Approved'), ('rejected', 'Rejected')], max_length=10, verbose_name='decision')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('window_start', models.DateTimeField(blank=True, null=True, verbose_name='window start')),
                ('window_end', models.DateTimeField(blank=True, null=True, verbose_name='window end')),
                ('approver', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='approver')),
                ('change', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approvals', to='changes.change', verbose_name='change')),
            ],
            options={
                'verbose_name': 'approval',
                'verbose_name_plural': 'approvals',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ChangeEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, verbose_name='at')),
                ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='by')),
                ('kind', models.CharField(choices=[('created', 'Requested'), ('edit', 'Details edited'), ('transition', 'State change'), ('approval', 'Approval decision'), ('notice', 'Users notified'), ('windows', 'Maintenance windows'), ('inventory', 'Inventory updated')], max_length=20, verbose_name='kind')),
                ('from_state', models.CharField(blank=True, choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('scheduled', 'Scheduled'), ('implementing', 'Implementing'), ('verifying', 'Verifying'), ('completed', 'Completed'), ('rolled_back', 'Rolled back'), ('failed', 'Failed'), ('reviewed', 'Reviewed')], max_length=20, verbose_name='from')),
                ('to_state', models.CharField(blank=True, choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('scheduled', 'Scheduled'), ('implementing', 'Implementing'), ('verifying', 'Verifying'), ('completed', 'Completed'), ('rolled_back', 'Rolled back'), ('failed', 'Failed'), ('reviewed', 'Reviewed')], max_length=20, verbose_name='to')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='data')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('change', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='changes.change', verbose_name='change')),
            ],
            options={
                'verbose_name': 'change event',
                'verbose_name_plural': 'change events',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FreezePeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('starts_at', models.DateTimeField(verbose_name='starts at')),
                ('ends_at', models.DateTimeField(verbose_name='ends at')),
                ('reason', models.CharField(max_length=300, verbose_name='reason')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='declared by')),
                ('units', models.ManyToManyField(blank=True, related_name='freeze_periods', to='org.unit', verbose_name='units')),
            ],
            options={
                'verbose_name': 'freeze period',
                'verbose_name_plural': 'freeze periods',
                'ordering': ['-starts_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='MaintenanceWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_at', models.DateTimeField(verbose_name='starts at')),
                ('ends_at', models.DateTimeField(verbose_name='ends at')),
                ('change', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='windows', to='changes.change', verbose_name='change')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cmdb.item', verbose_name='item')),
            ],
            options={
                'verbose_name': 'maintenance window',
                'verbose_name_plural': 'maintenance windows',
                'ordering': ['starts_at', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['unit', 'state'], name='change_unit_state'),
        ),
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['state', 'planned_start'], name='change_state_start'),
        ),
        migrations.AddIndex(
            model_name='change',
            index=models.Index(fields=['approval_due_at'], name='change_approval_due'),
        ),
        migrations.AddIndex(
            model_name='freezeperiod',
            index=models.Index(fields=['starts_at', 'ends_at'], name='change_freeze_window'),
        ),
        migrations.AddIndex(
            model_name='maintenancewindow',
            index=models.Index(fields=['item', 'starts_at', 'ends_at'], name='change_window_item'),
        ),
        migrations.AddConstraint(
            model_name='maintenancewindow',
            constraint=models.UniqueConstraint(fields=('change', 'item'), name='change_window_unique_item'),
        ),
    ]

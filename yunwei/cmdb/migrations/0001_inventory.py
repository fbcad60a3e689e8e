import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='ItemType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('domain', models.CharField(choices=[('hardware', 'Hardware platform'), ('network', 'Network'), ('base_software', 'Base software'), ('application', 'Application software'), ('machine_room', 'Machine-room environment')], max_length=20, verbose_name='domain')),
                ('attributes', models.JSONField(blank=True, default=list, verbose_name='attributes')),
                ('description', models.TextField(blank=True, verbose_name='description')),
            ],
            options={
                'verbose_name': 'item type',
                'verbose_name_plural': 'item types',
                'ordering': ['domain', 'code'],
            },
        ),
        migrations.CreateModel(
            name='RelationType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=60, verbose_name='name')),
                ('inverse_name', models.CharField(max_length=60, verbose_name='inverse name')),
                ('source_domains', models.JSONField(blank=True, default=list, verbose_name='allowed source domains')),
                ('target_domains', models.JSONField(blank=True, default=list, verbose_name='allowed target domains')),
                ('source_types', models.JSONField(blank=True, default=list, verbose_name='allowed source types')),
                ('target_types', models.JSONField(blank=True, default=list, verbose_name='allowed target types')),
                ('is_dependency', models.BooleanField(default=True, verbose_name='propagates impact')),
            ],
            options={
                'verbose_name': 'relation type',
                'verbose_name_plural': 'relation types',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Item',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('code', models.CharField(max_length=64, verbose_name='code')),
                ('name', models.CharField(max_length=150, verbose_name='name')),
                ('domain', models.CharField(choices=[('hardware', 'Hardware platform'), ('network', 'Network'), ('base_software', 'Base software'), ('application', 'Application software'), ('machine_room', 'Machine-room environment')], editable=False, max_length=20, verbose_name='domain')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('in_service', 'In service'), ('maintenance', 'Under maintenance'), ('retired', 'Retired')], default='in_service', max_length=20, verbose_name='status')),
                ('criticality', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], default='medium', max_length=10, verbose_name='criticality')),
                ('site', models.CharField(blank=True, max_length=100, verbose_name='site')),
                ('room', models.CharField(blank=True, max_length=100, verbose_name='room')),
                ('rack', models.CharField(blank=True, max_length=50, verbose_name='rack')),
                ('position', models.CharField(blank=True, max_length=50, verbose_name='position')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('hostname', models.CharField(blank=True, max_length=253, verbose_name='hostname')),
                ('attributes', models.JSONField(blank=True, default=dict, verbose_name='attributes')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('contract', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='items', to='org.maintenancecontract', verbose_name='maintenance contract')),
                ('owner_team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='items', to='org.team', verbose_name='owner team')),
                ('responsible', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='items', to='org.person', verbose_name='responsible person')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='org.unit', verbose_name='unit')),
                ('vendor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='items', to='org.vendor', verbose_name='vendor')),
                ('type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='cmdb.itemtype', verbose_name='type')),
            ],
            options={
                'verbose_name': 'item',
                'verbose_name_plural': 'items',
                'ordering': ['unit__code', 'code'],
            },
        ),
        migrations.CreateModel(
            name='Relation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outgoing', to='cmdb.item', verbose_name='source')),
                ('target', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='incoming', to='cmdb.item', verbose_name='target')),
                ('unit', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='relations', to='org.unit', verbose_name='unit')),
                ('type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='relations', to='cmdb.relationtype', verbose_name='relation type')),
            ],
            options={
                'verbose_name': 'relation',
                'verbose_name_plural': 'relations',
                'ordering': ['source_id', 'type_id', 'target_id'],
            },
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['domain'], name='cmdb_item_domain'),
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['status'], name='cmdb_item_status'),
        ),
        migrations.AddIndex(
            model_name='item',
            index=models.Index(fields=['ip'], name='cmdb_item_ip'),
        ),
        migrations.AddConstraint(
            model_name='item',
            constraint=models.UniqueConstraint(fields=('unit', 'code'), name='item_code_unique_in_unit'),
        ),
        migrations.AddIndex(
            model_name='relation',
            index=models.Index(fields=['target', 'type', 'source'], name='cmdb_relation_down'),
        ),
        migrations.AddConstraint(
            model_name='relation',
            constraint=models.UniqueConstraint(fields=('source', 'target', 'type'), name='relation_unique'),
        ),
        migrations.AddConstraint(
            model_name='relation',
            constraint=models.CheckConstraint(condition=models.Q(('source', models.F('target')), _negated=True), name='relation_not_to_itself'),
        ),
    ]


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0002_role_assignment_granted_by'),
        ('problems', '0002_problem_refs_to_links'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Article',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('source', models.CharField(choices=[('article', 'Article'), ('known_error', 'Known error')], default='article', max_length=20, verbose_name='source')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('body', models.TextField(verbose_name='text')),
                ('state', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=20, verbose_name='state')),
                ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='published at')),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                ('problem', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='knowledge_article', to='problems.problem', verbose_name='problem')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='articles', to='org.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'knowledge article',
                'verbose_name_plural': 'knowledge articles',
                'ordering': ['-published_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Term',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('term', models.CharField(max_length=40)),
                ('weight', models.PositiveIntegerField(default=1)),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='terms', to='knowledge.article')),
            ],
            options={
                'verbose_name': 'search term',
                'verbose_name_plural': 'search terms',
            },
        ),
        migrations.CreateModel(
            name='Vote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('helpful', models.BooleanField(verbose_name='helpful')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='knowledge.article')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'vote',
                'verbose_name_plural': 'votes',
            },
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['unit', 'state'], name='knowledge_a_unit_id_08cf8a_idx'),
        ),
        migrations.AddIndex(
            model_name='term',
            index=models.Index(fields=['term', 'article'], name='knowledge_term_lookup'),
        ),
        migrations.AddConstraint(
            model_name='term',
            constraint=models.UniqueConstraint(fields=('article', 'term'), name='knowledge_term_once'),
        ),
        migrations.AddConstraint(
            model_name='vote',
            constraint=models.UniqueConstraint(fields=('article', 'user'), name='knowledge_vote_once'),
        ),
    ]

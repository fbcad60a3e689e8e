from django.db import migrations

from yunwei.core.trigram import trigram_indexes

# DRF's search and the incident list's: `icontains` over the title and the description.
INDEXES = {
    "incident_title_trgm": 'UPPER("title"::text)',
    "incident_description_trgm": 'UPPER("description")',
}


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_list_indexes"),
    ]

    operations = [trigram_indexes("incidents_incident", INDEXES)]

from django.db import migrations

from yunwei.core.trigram import trigram_indexes

# The inventory's search: `icontains` over code, name, IP address and hostname (an inventory may hold a
# million items).
INDEXES = {
    "cmdb_item_code_trgm": 'UPPER("code"::text)',
    "cmdb_item_name_trgm": 'UPPER("name"::text)',
    "cmdb_item_ip_trgm": 'UPPER(HOST("ip"))',
    "cmdb_item_hostname_trgm": 'UPPER("hostname"::text)',
}


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0004_item_unit_hostname"),
    ]

    operations = [trigram_indexes("cmdb_item", INDEXES)]

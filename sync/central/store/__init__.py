"""Central's database: connection, models, migrations, seeded content and the hourly/daily rollups."""

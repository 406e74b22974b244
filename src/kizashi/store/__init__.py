"""The operational store: SQLAlchemy 2 models, migrations, raw files."""

"""Market data warehouse: FX rates and ticker quotes as partitioned Parquet, modelled with DuckDB, run by Dagster."""

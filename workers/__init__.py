"""RQ job functions and their scheduling. Every job is idempotent: running it twice does no harm."""

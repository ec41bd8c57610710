"""JSON logs that carry the correlation id, and the metrics shared by both backends."""

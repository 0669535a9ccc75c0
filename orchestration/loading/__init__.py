"""Loading the landing directory into the warehouse's `raw` schema."""

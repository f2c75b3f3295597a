"""Task families, grouped by subject; each family is a function(rng) -> Draft (see ../builder.py)."""

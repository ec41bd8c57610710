"""Pure image work on bytes: probe and validate, optimize, placeholder, quality measures."""

"""Number inventory: search, classes, holds."""

"""Outside systems: one module per system (interface + real protocol client), and a sandbox beside it."""

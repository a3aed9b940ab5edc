"""Outside systems: one module per system, each an interface + the provider's real HTTP client + a sandbox."""

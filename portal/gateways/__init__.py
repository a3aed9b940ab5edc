"""Outside systems: one module per provider (an interface, the real protocol client, a registry by config),
and a sandbox per provider (``<name>_sandbox.py``) that speaks the same protocol for the demo and the tests."""

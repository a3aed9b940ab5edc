"""Shared bits every domain stands on: models' base, audit, transactions, access, jobs."""

"""Uploaded media: safe image intake (``images``) and encrypted storage (``storage``, ``crypto``).

A leaf package: no tables, no pages. The dossier domain stores ID photos and portraits through it.
"""

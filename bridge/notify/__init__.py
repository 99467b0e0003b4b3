"""Notifications: what to tell whom (pure), the outbox worker, and the email and webhook senders.

Modules are imported one by one: the pure ones (notice, templates, compose, storm, retry)
are used inside the store's ticket transactions, the worker and senders by the daemon.
"""

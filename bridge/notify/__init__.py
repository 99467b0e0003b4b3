"""Notifications: what to tell whom (pure) apart from delivery (one sender per channel).

The pure modules (notice, templates, compose, readers, problems, storm, retry) are used
inside the store's ticket transactions; the senders (senders.py: the protocol and the
registry; email.py, webhook.py) by the daemon's outbox worker.
"""

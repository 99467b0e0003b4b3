"""The outbox: messages written with the ticket change that caused them, until delivered.

queue.py takes drafts in and hands due messages to the delivery worker (claims, holds,
digests, counts); results.py records what became of each delivery (a dead letter opens
an operator ticket); admin.py is the operators' view (list, retry a dead letter).
"""

"""Delivery: one sender per channel, in one registry; a channel without one is refused.

Senders only say delivered, retry or dead (retry.py decides what happens next). The
registry is built for each delivery round from the running config's channels, so a
reload takes effect at the next round. Config accepts only receivers of a `Channel`, and
a test holds this registry to every `Channel`: a message is never sent another way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import aiohttp

from bridge.config.channels import Channel, Channels
from bridge.notify.email import EmailSender
from bridge.notify.notice import Message
from bridge.notify.retry import Attempt, Dead
from bridge.notify.webhook import WebhookSender

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Delivers the messages of one channel; never raises for a delivery problem."""

    async def send(self, message: Message, now: datetime) -> Attempt:
        """Deliver one message: delivered, retry (transient) or dead (permanent)."""
        ...


def build_senders(channels: Channels, http: aiohttp.ClientSession) -> dict[Channel, Sender]:
    """The registry: the sender of each channel, over the configured servers and hooks."""
    return {
        Channel.EMAIL: EmailSender(channels.smtp),
        Channel.WEBHOOK: WebhookSender(http, channels.webhooks),
    }


async def send(senders: Mapping[Channel, Sender], message: Message, now: datetime) -> Attempt:
    """Deliver a message with its channel's sender; with none, it is a dead letter (loudly),
    never delivered some other way."""
    sender = senders.get(message.channel)
    if sender is None:
        log.error("outbox: no sender for channel %r (message to %s)", message.channel.value,
                  message.receiver)
        return Dead(f"no sender for channel {message.channel.value!r}")
    return await sender.send(message, now)

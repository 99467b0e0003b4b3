"""The sender registry: one sender for every channel config accepts, and a message whose
channel has no sender is a dead letter, never delivered another way."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from bridge.config.channels import Channel, Channels
from bridge.notify.notice import Message
from bridge.notify.retry import Attempt, Dead, Delivered
from bridge.notify.senders import Sender, build_senders, send

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Recorder:
    """A sender that accepts everything and remembers what it was given."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message, now: datetime) -> Attempt:
        self.sent.append(message)
        return Delivered("ok")


def message(channel: Channel, recipient: str) -> Message:
    return Message(channel, recipient, "[INC-2026-000001] s", "body\n", "INC-2026-000001:k")


async def test_every_channel_has_its_sender() -> None:
    async with aiohttp.ClientSession() as http:
        senders = build_senders(Channels(), http)
    assert set(senders) == set(Channel)


@pytest.mark.parametrize("channel", list(Channel))
async def test_a_channel_without_a_sender_is_a_dead_letter_not_another_channel(
        channel: Channel, caplog: pytest.LogCaptureFixture) -> None:
    others = {c: Recorder() for c in Channel if c != channel}
    registry: dict[Channel, Sender] = dict(others)
    attempt = await send(registry, message(channel, "portal"), T0)
    assert attempt == Dead(f"no sender for channel {channel.value!r}")
    assert [r.sent for r in others.values()] == [[] for _ in others]
    assert f"no sender for channel {channel.value!r}" in caplog.text


async def test_a_message_goes_to_its_own_channels_sender() -> None:
    email, hook = Recorder(), Recorder()
    registry: dict[Channel, Sender] = {Channel.EMAIL: email, Channel.WEBHOOK: hook}
    sent = message(Channel.EMAIL, "it@demo.example.com")
    assert await send(registry, sent, T0) == Delivered("ok")
    assert (email.sent, hook.sent) == ([sent], [])

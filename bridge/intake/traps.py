"""SNMP traps and INFORMs in: a UDP listener per snmp_trap source, started and stopped as the
config names them (a reload that moves or drops a source moves or closes its socket).

A datagram is decoded, authenticated (community, or an SNMPv3 user), matched against the
source's rules and queued; a writer takes what is queued in one transaction through the same
path as the webhooks' alerts (bridge.store.alerts), and only then answers the INFORMs among
them, so an INFORM answered is an alert in the store (an unanswered one is sent again).
Bad input never escapes the protocol: it is counted by reason and logged at most once a
minute per source and reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from bridge.aio import wait_or_timeout
from bridge.config.intake_model import IntakeSource
from bridge.config.intake_traps import TrapSource
from bridge.config.model import Config
from bridge.core.maintenance import MaintenanceRule
from bridge.core.probe_kinds.trap_oids import notification_name
from bridge.intake.alertmanager import raw_cut
from bridge.intake.counters import IntakeCounters
from bridge.intake.group_commit import changed_a_ticket
from bridge.intake.limits import RateLimiter
from bridge.intake.mapping import DeviceIndex, Mapped, covering, map_alert, open_at
from bridge.intake.quiet_log import QuietLog
from bridge.intake.service import IntakeService
from bridge.intake.trap_inbox import Inbox
from bridge.intake.trap_rules import AlertMemo, TrapAlert
from bridge.intake.trap_usm import TrapUsm
from bridge.probes.snmp.ber import BerError
from bridge.probes.snmp.notifications import INFORM, decode_notification, encode_response
from bridge.store import Engine, Session
from bridge.store.alerts import AlertEvent, AlertOutcome, take_lazily
from bridge.store.maintenance import current_rules
from bridge.store.tickets import Desk

log = logging.getLogger(__name__)
QUEUE_MAX = 4096  # traps waiting for the store; beyond: dropped and counted ("overloaded")
BATCH_MAX = 500
BATCH_LINGER_S = 0.2  # an INFORM's answer waits this much longer; senders wait seconds
# Traps alone have no sender waiting: a batch of them gathers up to this long (or BATCH_MAX),
# so a storm's statements and commit are shared by more traps. An INFORM arriving meanwhile
# ends the gathering within BATCH_LINGER_S. The alerts keep their arrival times.
TRAPS_LINGER_S = 1.0
STOP_WRITE_S = 5.0  # at a stop, what was received is written within this (else dropped)
MAPPED_MAX = 4096  # alerts whose mapping is remembered; then forgotten all at once
DRAIN_MAX = 256  # datagrams read per wake-up of the loop, at most
MAX_DATAGRAM_BYTES = 65_535
RCVBUF_BYTES = 4 * 1024 * 1024  # a burst of traps while the loop is busy: kept, not dropped
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; missing in Python 3.11
RECONCILE_S = 2.0  # how soon a reload's new or moved listener binds


@dataclass(frozen=True, slots=True)
class _Head:
    """What tells a trap's alert that only repeats its row from the rest
    (store.alert_events.AlertHead), one value for its every trap with the same hold."""

    source: str
    fingerprint: str
    firing: bool
    held: bool
    acknowledged: bool = False


class _Queued(NamedTuple):
    """A trap waiting for the store (a tuple: one is made for every datagram)."""

    source: str
    alert: TrapAlert
    at: datetime
    reply: bytes | None
    listener: _Listener
    addr: Any


class _Listener:
    """One source's socket, read until it would block each time the loop finds it readable:
    a burst of traps costs one wake-up of the loop, not one per datagram (asyncio's datagram
    transport reads one per wake-up). Every datagram is handled without letting an
    exception out."""

    def __init__(self, name: str, traps: TrapSource, hub: _Hub, sock: socket.socket) -> None:
        self.name = name
        self.bound = (traps.host, traps.port)
        self.hub = hub
        self.sock = sock
        self.usm = TrapUsm()
        self.memo = AlertMemo()
        self._open = True
        asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)

    def close(self) -> None:
        if self._open:
            self._open = False
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()

    def send(self, data: bytes, addr: Any) -> None:
        if not self._open:
            return
        try:
            self.sock.sendto(data, addr)
        except OSError as exc:  # a full buffer: the INFORM's sender asks again
            log.debug("traps %s: cannot answer %s: %s", self.name, addr, exc)

    def _readable(self) -> None:
        recvfrom = self.sock.recvfrom
        at = self.hub.service.now()  # the burst's: read within a millisecond or so
        for _ in range(DRAIN_MAX):  # then let the loop's other work run
            try:
                data, addr = recvfrom(MAX_DATAGRAM_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. an ICMP error for an earlier answer
                log.debug("traps %s: %s", self.name, exc)
                continue
            self.datagram_received(data, addr, at)

    def datagram_received(self, data: bytes, addr: Any, at: datetime) -> None:
        try:
            self._received(data, addr, at)
        except Exception as exc:  # a bug must cost one datagram, never the listener
            self.hub.dropped(self.name, "malformed", str(addr[0]),
                             f"{type(exc).__name__}: {exc}")

    def _received(self, data: bytes, addr: Any, at: datetime) -> None:
        source = self.hub.service.current_config().intake.sources.get(self.name)
        if source is None or source.traps is None:
            return
        traps, host = source.traps, str(addr[0])
        if data[:1] == b"\x30" and b"\x02\x01\x03" in data[2:7]:  # version 3 after the header
            taken = self.usm.receive(data, traps, self.send, addr)
            if isinstance(taken, str):
                reason, _, why = taken.partition(":")
                self.hub.dropped(self.name, reason, host, why)
                return
            if taken is None:  # a Report was the answer (discovery, a stale clock)
                return
            trap, reply = taken
        else:
            try:
                trap = decode_notification(data)
            except BerError as exc:
                self.hub.dropped(self.name, "malformed", host, str(exc))
                return
            if traps.community is None \
                    or not traps.community.matches(trap.community.decode("latin-1")):
                self.hub.dropped(self.name, "unauthorized", host, "a wrong community")
                return
            reply = encode_response(trap.version, trap.community, trap.request_id,
                                    trap.varbind_list) if trap.pdu_type == INFORM else None
        # after authentication: a forged flood must not spend the sender's tokens
        if self.hub.limits.take(self.name, source.rate_per_s, source.burst) is not None:
            self.hub.dropped(self.name, "rate_limited", host, "over the source's rate limit")
            return
        found = self.memo.alert(traps, trap, host)
        if found is None:
            self.hub.counters.refused(self.name, "unmatched")
            self.hub.quiet.log(logging.INFO, (self.name, notification_name(trap.trap_oid)),
                               "traps %s: %s from %s matches no rule (kept out of tickets)",
                               self.name, notification_name(trap.trap_oid), host)
            if reply is not None:
                self.send(reply, addr)
            return
        if not self.hub.queue.put(_Queued(self.name, found[1], at, reply, self, addr)):
            self.hub.dropped(self.name, "overloaded", host, "the store is behind")


class _Hub:
    """The listeners' shared queue, counters and log limiter."""

    def __init__(self, service: IntakeService, counters: IntakeCounters) -> None:
        self.service = service
        self.counters = counters
        self.quiet = QuietLog(log)
        self.limits = RateLimiter()
        self.queue: Inbox[_Queued] = Inbox(QUEUE_MAX)
        self._index: DeviceIndex | None = None
        # Each alert's mapping under the config it was mapped by: the memo's alerts repeat,
        # and so would their mappings. Keyed by the alert object (kept alive here).
        self._mapped: dict[int, tuple[TrapAlert, Mapped, _Head, _Head]] = {}
        self._mapped_by: Config | None = None
        # Set when the traps stop: what is gathered or queued is written without lingering
        self.stopping = asyncio.Event()
        self.busy = False  # a batch taken from the queue and not yet written

    def dropped(self, source: str, reason: str, host: str, why: str) -> None:
        self.counters.refused(source, reason)
        self.quiet.log(logging.WARNING, (source, reason), "traps %s: dropped a datagram from "
                       "%s (%s): %s", source, host, reason, why)

    def index(self, config: Config) -> DeviceIndex:
        if self._index is None or self._index.config is not config:
            self._index = DeviceIndex(config)
        return self._index

    async def write(self) -> None:
        """Take what is queued, batch by batch, then answer its INFORMs."""
        while not (self.stopping.is_set() and self.queue.empty()):
            batch = await self._gather()
            try:
                taken = await self._take(batch)
            except Exception as exc:  # the store: the INFORMs go unanswered, senders resend
                for queued in batch:
                    self.counters.refused(queued.source, "store_unavailable")
                log.error("traps: cannot store %d traps: %s", len(batch), exc)
                continue
            finally:
                self.busy = False
            actions = Counter((queued.source, outcome.action) for queued, outcome in taken)
            for (source, action), count in actions.items():
                self.counters.took(source, action, count)
            for queued, _outcome in taken:
                if queued.reply is not None:
                    queued.listener.send(queued.reply, queued.addr)

    async def _gather(self) -> list[_Queued]:
        """The next batch. A transaction, a maintenance-window read and a wake-up of the
        desk cost the same for one trap as for hundreds: what arrives shortly after the
        first is taken with it, BATCH_LINGER_S after an INFORM (its sender waits for the
        answer), up to TRAPS_LINGER_S for traps alone, BATCH_MAX at most."""
        batch = [await self.queue.first()]
        self.busy = True
        loop = asyncio.get_running_loop()
        end = loop.time() + TRAPS_LINGER_S
        informs = batch[0].reply is not None
        while True:
            if not self.stopping.is_set():
                await wait_or_timeout(self.stopping, BATCH_LINGER_S)
            more = self.queue.take(BATCH_MAX - len(batch))
            informs = informs or any(queued.reply is not None for queued in more)
            batch += more
            if informs or len(batch) >= BATCH_MAX or loop.time() >= end - BATCH_LINGER_S / 2 \
                    or self.stopping.is_set():
                return batch

    async def _take(self, batch: list[_Queued]) -> list[tuple[_Queued, AlertOutcome]]:
        config = self.service.current_config()
        kept = [(q, s) for q in batch if (s := config.intake.sources.get(q.source)) is not None]
        outcomes = await self.service.write_tickets(
            partial(self._decide, config, kept), changed=changed_a_ticket)
        return [(queued, outcome) for (queued, _), outcome in zip(kept, outcomes, strict=True)]

    def _decide(self, config: Config, kept: list[tuple[_Queued, IntakeSource]],
                engine: Engine, desk: Desk, now: datetime, prefix: str) -> list[AlertOutcome]:
        """On the writer thread: the batch's alerts mapped, held by the maintenance windows
        in force (the API's read in the batch's transaction: no trip to the readers per
        batch) and taken; an alert's full event is built only if it does more than repeat
        its row."""
        return take_lazily(engine, partial(self._read, config, kept, now), prefix, now, desk,
                           config.main.incidents.reopen_window_s)

    def _read(self, config: Config, kept: list[tuple[_Queued, IntakeSource]], now: datetime,
              session: Session) -> tuple[list[_Head], Callable[[int], AlertEvent]]:
        # The windows not ended by the batch's first trap: a trap is held by the windows
        # open when it arrived, and the batch gathered for up to TRAPS_LINGER_S since.
        first = min((queued.at for queued, _source in kept), default=now)
        windows = (*config.maintenance, *current_rules(session, min(first, now)))
        # A window covers a device (or customer); whether it is open, at each trap's time
        # (the traps of one burst share theirs).
        covers: dict[tuple[str, str | None], tuple[MaintenanceRule, ...]] = {}
        opened: dict[tuple[int, datetime], bool] = {}  # by id(rules): kept in `covers`
        heads: list[_Head] = []
        self._map_under(config)
        known = self._mapped
        for queued, source in kept:
            alert = queued.alert
            found = known.get(id(alert))
            if found is None or found[0] is not alert:
                found = self._map(config, source, alert)
            mapped, unheld, held = found[1:]
            if alert.firing:
                place = (mapped.customer, mapped.device)
                rules = covers.get(place)
                if rules is None:
                    rules = covers[place] = covering(windows, config, mapped)
                if rules:
                    is_open = opened.get((id(rules), queued.at))
                    if is_open is None:
                        is_open = opened[(id(rules), queued.at)] = open_at(rules, queued.at)
                    heads.append(held if is_open else unheld)
                else:
                    heads.append(unheld)
            else:
                heads.append(unheld)

        def event(i: int) -> AlertEvent:
            queued, source = kept[i]
            return self._event(config, source, queued, heads[i].held)
        return heads, event

    def _map_under(self, config: Config) -> None:
        """The mappings kept are those under `config` (and at most MAPPED_MAX of them)."""
        if self._mapped_by is not config or len(self._mapped) >= MAPPED_MAX:
            self._mapped_by = config
            self._mapped.clear()

    def _map(self, config: Config, source: IntakeSource, alert: TrapAlert
             ) -> tuple[TrapAlert, Mapped, _Head, _Head]:
        """The alert with its mapping and its heads (not held, held), kept per alert
        object (under the config of the last `_map_under`)."""
        found = self._mapped.get(id(alert))
        if found is None or found[0] is not alert:
            mapped = map_alert(source, alert.labels, {}, self.index(config), alert.summary)
            found = (alert, mapped, _Head(source.name, alert.fingerprint, alert.firing, False),
                     _Head(source.name, alert.fingerprint, alert.firing, True))
            self._mapped[id(alert)] = found
        return found

    def _event(self, config: Config, source: IntakeSource, queued: _Queued, held: bool
               ) -> AlertEvent:
        alert = queued.alert
        mapped = self._map(config, source, alert)[1]
        return AlertEvent(
            source.name, alert.fingerprint, alert.firing, queued.at,
            None if alert.firing else queued.at, mapped.customer, mapped.device,
            mapped.parent_checks, mapped.priority, mapped.rule, mapped.summary,
            raw_cut(alert.raw, source.max_raw_bytes), source.on_resolve, held=held,
            max_resolves_per_min=source.max_resolves_per_min)


async def _open(name: str, traps: TrapSource, hub: _Hub) -> _Listener | None:
    try:
        sock = await asyncio.to_thread(_bound_socket, traps.host, traps.port)
    except OSError as exc:
        hub.quiet.log(logging.ERROR, (name, "bind"), "traps %s: cannot listen on %s:%d: %s%s",
                      name, traps.host, traps.port, exc.strerror or exc,
                      " (a port below 1024 needs CAP_NET_BIND_SERVICE)"
                      if traps.port < 1024 else "")
        return None
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # the kernel doubles it
    log.info("traps %s: listening on %s:%d (udp, receive buffer %d KiB%s)", name, traps.host,
             traps.port, granted // 1024, "" if granted >= RCVBUF_BYTES else
             "; raise net.core.rmem_max for trap bursts, see deploy/sysctl-bridge.conf")
    return _Listener(name, traps, hub, sock)


def _bound_socket(host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket bound to host:port (a name is resolved; IPv6 too)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, RCVBUF_BYTES)
        except OSError:  # without CAP_NET_ADMIN: capped at net.core.rmem_max
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_traps(service: IntakeService, stop: asyncio.Event,
                      counters: IntakeCounters) -> None:
    """Until `stop`: a listener for each snmp_trap source of the running config."""
    hub = _Hub(service, counters)
    writer = asyncio.create_task(hub.write(), name="traps writer")
    listeners: dict[str, _Listener] = {}
    try:
        while not stop.is_set():
            wanted = {name: s.traps for name, s in
                      service.current_config().intake.sources.items() if s.traps is not None}
            for name, listener in list(listeners.items()):
                traps = wanted.get(name)
                if traps is None or (traps.host, traps.port) != listener.bound:
                    listener.close()
                    del listeners[name]
            for name, traps in wanted.items():
                if name not in listeners and (opened := await _open(name, traps, hub)):
                    listeners[name] = opened
            await wait_or_timeout(stop, RECONCILE_S)
    finally:
        for listener in listeners.values():
            listener.close()
        # What was received is written first (a batch gathers for up to TRAPS_LINGER_S):
        # an idle writer is cancelled at once, a busy one within STOP_WRITE_S.
        hub.stopping.set()
        if hub.busy or not hub.queue.empty():
            await asyncio.wait({writer}, timeout=STOP_WRITE_S)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer

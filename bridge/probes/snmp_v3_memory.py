"""What pysnmp remembers about each SNMPv3 agent between requests, and forgetting it.

An SnmpEngine keeps, per agent: the engine ID last seen at its address (RFC 3412 7.2.*;
requests go to that ID), the agent's engineBoots and engineTime (the USM timeline, RFC 3414
2.3), and each user's keys localized to the engine ID (the USM user table, which bridge
fills through pysnmp's LCD configurator). None of it follows an agent that comes back with
a new engine ID (it lost its persistent state): pysnmp keeps sending to the old ID for 300 s,
cannot read the agent's unknownEngineID Report (it has no user for the new ID) and times
out. pysnmp has no way to forget a peer, so this reaches into its private dictionaries;
the tests that restart a real snmpd fail if a pysnmp release renames them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from pysnmp.entity import config as usm
from pysnmp.entity.engine import SnmpEngine
from pysnmp.proto.mpmod.rfc3412 import SnmpV3MessageProcessingModel
from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel

from bridge.probes.snmp_discovery import EngineInfo

TIME_WINDOW_S = 150  # RFC 3414 3.2.7: engineTime drift beyond which messages are refused
_LCD_CACHE = "CommandGeneratorLcdConfigurator"  # the user context pysnmp's LCD keeps


def _private(owner: object, cls: type, name: str) -> dict[Any, Any]:
    value = getattr(owner, f"_{cls.__name__}__{name}", None)
    if not isinstance(value, dict):
        raise RuntimeError(f"pysnmp changed: {cls.__name__} keeps no {name} dictionary")
    return value


def _peers(engine: SnmpEngine) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Engine IDs by (transport domain, address), and when each entry expires."""
    mp = engine.message_processing_subsystems[
        SnmpV3MessageProcessingModel.MESSAGE_PROCESSING_MODEL_ID]
    cls = SnmpV3MessageProcessingModel
    return _private(mp, cls, "engineIdCache"), _private(mp, cls, "engineIdCacheExpQueue")


def _timeline(engine: SnmpEngine) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """(boots, time, latest time, wall-clock s of the update) by engine ID, and expiries."""
    sm = engine.security_models[SnmpUSMSecurityModel.SECURITY_MODEL_ID]
    cls = SnmpUSMSecurityModel
    return _private(sm, cls, "timeline"), _private(sm, cls, "timelineExpQueue")


def _drop(entries: dict[Any, Any], expiries: dict[Any, list[Any]], keys: Iterable[Any]) -> None:
    # pysnmp's expiry of its peer cache deletes without looking: a key dropped here must
    # leave its expiry queue too, or the timer tick that comes for it raises KeyError.
    for key in list(keys):
        entries.pop(key, None)
        for queued in expiries.values():
            while key in queued:
                queued.remove(key)


def engine_id_at(engine: SnmpEngine, host: str, port: int) -> bytes | None:
    """The engine ID pysnmp sends requests for host:port to, if it learnt one."""
    cache, _ = _peers(engine)
    for (_domain, address), peer in cache.items():
        if tuple(address)[:2] == (host, port):
            return bytes(peer["securityEngineId"])
    return None


def time_agrees(engine: SnmpEngine, info: EngineInfo) -> bool:
    """Whether pysnmp's idea of the agent's engineBoots and engineTime is what it says now."""
    if info.boots == 0 and info.time_s == 0:
        return True  # the agent does not tell in its discovery Report
    timeline, _ = _timeline(engine)
    entry = timeline.get(info.engine_id)
    if entry is None:
        return True  # nothing remembered, nothing stale
    boots, time_s, _latest_s, updated_at_s = entry
    expected_s = int(time_s) + time.time() - updated_at_s
    return int(boots) == info.boots and abs(expected_s - info.time_s) <= TIME_WINDOW_S


def forget_peer(engine: SnmpEngine, host: str, port: int, engine_ids: Iterable[bytes]) -> None:
    """Forget the engine ID learnt at host:port and the boots and time of `engine_ids`."""
    cache, expiries = _peers(engine)
    _drop(cache, expiries, [k for k in cache if tuple(k[1])[:2] == (host, port)])
    timeline, expiries = _timeline(engine)
    _drop(timeline, expiries, [bytes(engine_id) for engine_id in engine_ids])


def forget_users(engine: SnmpEngine, engine_id: bytes) -> None:
    """Delete the users configured for `engine_id` (their keys localized to it)."""
    configured = (engine.get_user_context(_LCD_CACHE) or {}).get("auth", {})
    for key in list(configured):
        user_name, security_engine_id = key if isinstance(key, tuple) else (key, None)
        if security_engine_id is not None and bytes(security_engine_id) == engine_id:
            usm.delete_v3_user(engine, user_name, security_engine_id)
            del configured[key]  # so configuring the user again adds it again

"""The config an operator writes: what loads, and the exact message for what does not.

Every case in testdata/config/ is copied over testdata/config/base/ (a tiny valid
deployment) and breaks exactly one thing; CASES pins what `bridge check` prints for it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.config import ConfigErrors, load_config
from bridge.core.priority import Priority
from bridge.core.probe_kinds.snmp import SnmpProbe
from bridge.core.rules import Criticality
from bridge.notify.templates import TemplateCatalog
from tests.conftest import copy_example_deployment

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "testdata" / "config"
NAME_RULE = "expected a name of letters, digits, '.', '_' or '-' (starting with a letter or digit)"
PROBE_KEYS = (
    "kind, interval_s, timeout_s, retry_interval_s, max_attempts, recover_after, count, "
    "packet_interval_s, warning, critical"
)
SNMP_PROBE_KEYS = ("kind, interval_s, timeout_s, retry_interval_s, max_attempts, recover_after, "
                   "retries, get, walk, interfaces, use, thresholds, counters, max_repetitions, "
                   "walk_timeout_s")

# Environment the test deployments refer to; BRIDGE_TEST_UNSET_TOKEN is never set.
ENV = {
    "BRIDGE_TEST_OPERATOR_TOKEN": "operator-token-from-env",
    "BRIDGE_TEST_CUSTOMER_TOKEN": "customer-token-from-env",
}

# case directory -> the lines `bridge check` prints; {dir} is the deployment's folder.
CASES: dict[str, list[str]] = {
    # probes/
    "unknown-key": [
        f"probes/ping.toml:4: probes.ping.timeout: unknown key; expected one of: {PROBE_KEYS}",
    ],
    "bad-type": [
        "probes/ping.toml:5: probes.ping.count: expected an integer, got a string '3'",
    ],
    "bad-probe-kind": [
        "probes/ping.toml:2: probes.ping.kind: expected one of 'icmp', 'snmp' or 'tcp', got 'http'",
    ],
    "availability-history-too-short": [
        "bridge.toml:16: availability.keep_history_days: must be >= 40 (the 30-day window and "
        "the days not rolled up yet are measured from it), got 30",
    ],
    "out-of-range": [
        "probes/ping.toml:5: probes.ping.max_attempts: must be >= 1, got 0",
    ],
    "timeout-not-below-interval": [
        "probes/ping.toml:4: probes.ping.timeout_s: must be < interval_s (got 10 >= 10)",
    ],
    "defaults-not-below-interval": [
        "probes/ping.toml:2: probes.ping.timeout_s: must be < interval_s (got 2 >= 2); "
        "timeout_s is not set and defaults to 2",
    ],
    "retry-above-interval": [
        "probes/ping.toml:5: probes.ping.retry_interval_s: must be <= interval_s (got 20 > 10)",
    ],
    "packets-exceed-interval": [
        "probes/ping.toml:6: probes.ping.count: 10 packets 0.2 s apart plus timeout_s take "
        "2.8 s, which must be < interval_s (2)",
    ],
    # check_ping's thresholds on ICMP probes: warning = { rtt_ms, loss_pct }, critical = ...
    "ping-warning-above-critical": [
        "probes/ping.toml:5: probes.ping.warning.loss_pct: must be <= critical.loss_pct "
        "(got 80 > 60)",
    ],
    "ping-limit-beyond-timeout": [
        "probes/ping.toml:7: probes.ping.critical.rtt_ms: must be < timeout_s in ms "
        "(got 1500 >= 1000); a later reply counts as lost, so raise timeout_s or lower rtt_ms",
    ],
    "ping-limits-as-check-ping": [
        "probes/ping.toml:5: probes.ping.warning: expected a table such as "
        "{ rtt_ms = 100.0, loss_pct = 20 } (check_ping's '100.0,20%')",
    ],
    "ping-empty-limits": [
        "probes/ping.toml:5: probes.ping.warning: give rtt_ms, loss_pct or both, "
        "e.g. { rtt_ms = 100, loss_pct = 20 }",
    ],
    "ping-loss-out-of-range": [
        "probes/ping.toml:6: probes.ping.critical.loss_pct: must be <= 100.0, got 120",
    ],
    # The devices that name "ping" are not also reported: the file defining it is broken.
    "invalid-toml": [
        "probes/ping.toml:4: invalid TOML: invalid value (column 12)",
    ],
    "duplicate-key-in-file": [
        "probes/ping.toml:5: invalid TOML: this key is already defined earlier in the file "
        "(column 16)",
    ],
    "dotted-keys": [
        f"probes/fast.toml:4: probes.fast.timout_s: unknown key; expected one of: {PROBE_KEYS}",
    ],
    "empty-probe-name": [
        f"probes/extra.toml:1: probes.\"\": {NAME_RULE}, got ''",
    ],
    # SNMP probes (probes/) and devices' [snmp] tables (config/)
    "snmp-icmp-key": [
        f"probes/snmp.toml:4: probes.system.count: unknown key; expected one of: {SNMP_PROBE_KEYS}",
    ],
    "snmp-unknown-oid": [
        "probes/snmp.toml:3: probes.system.get[1]: unknown OID name 'ifFoo'; write a name from "
        "the MIBs bridge ships (docs/configuration.md) or a numeric OID such as "
        "1.3.6.1.2.1.1.5.0",
    ],
    "snmp-unknown-mib-name": [  # every unknown name in one run, each with the closest
        "probes/snmp.toml:4: probes.host.walk[0]: HOST-RESOURCES-MIB has no object "
        "'hrProcesorLoad'; did you mean HOST-RESOURCES-MIB::hrProcessorLoad, "
        "HOST-RESOURCES-MIB::hrProcessorTable or HOST-RESOURCES-MIB::hrProcessorFrwID?",
        "probes/snmp.toml:7: probes.host.thresholds[0].oid: IF-MIB has no object "
        "'ifHCInOctet'; did you mean IF-MIB::ifHCInOctets, IF-MIB::ifInOctets or "
        "IF-MIB::ifHCOutOctets?",
        "probes/snmp.toml:12: probes.host.thresholds[1].percent_of[0]: HOST-RESOURCES-MIB has no "
        "object 'hrStorageSiz'; did you mean HOST-RESOURCES-MIB::hrStorageSize, "
        "HOST-RESOURCES-MIB::hrStorage or HOST-RESOURCES-MIB::hrStorageUsed?",
        "probes/snmp.toml:16: probes.host.counters[0].oid: unknown OID name 'ifInErors'; did "
        "you mean ifInErrors, zipInErrors or icmpInErrors?",
        "probes/snmp.toml:20: probes.host.counters[1].oid: unknown MIB module 'FOO-MIB'; did "
        "you mean IF-MIB, SFLOW-MIB or PTOPO-MIB?",
    ],
    "snmp-unknown-template": [
        "probes/snmp.toml:3: probes.power.use[1]: unknown template 'apc'; the templates are "
        "apc-powernet, cisco-cpu-memory, entity-sensor, fortinet-cpu-memory, host-resources, "
        "huawei-cpu-memory, juniper-cpu-memory, mikrotik-cpu-memory, printer-supplies, "
        "ucd-snmp, ups-mib",
        "probes/snmp.toml:7: probes.power.thresholds[0].where: 'celcius' is not a value of "
        "entPhySensorType; its values are other (1), unknown (2), voltsAC (3), voltsDC (4), "
        "amperes (5), watts (6), hertz (7), celsius (8), percentRH (9), rpm (10), cmm (11), "
        "truthvalue (12), specialEnum (13)",
    ],
    "snmp-get-a-column": [
        "probes/snmp.toml:3: probes.system.get[1]: "
        "ifOperStatus has rows; GET one of them (ifOperStatus.1) or put it in walk",
    ],
    "snmp-threshold-on-text": [
        "probes/snmp.toml:6: probes.names.thresholds[0].warning: sysName holds text, not a "
        "number; compare it with a pattern (\"~ 'text'\") or use a numeric object (such as "
        "laLoadInt, ifInErrors or hrStorageUsed)",
    ],
    "snmp-unknown-enum-label": [
        "probes/snmp.toml:6: probes.ups.thresholds[0].critical: 'online' is not a value of "
        "upsBasicOutputStatus; its values are unknown (1), onLine (2), onBattery (3), "
        "onSmartBoost (4), timedSleeping (5), softwareBypass (6), off (7), rebooting (8), "
        "switchedBypass (9), hardwareFailureBypass (10), sleepingUntilPowerReturn (11), "
        "onSmartTrim (12), ecoMode (13), hotStandby (14), onBatteryTest (15)",
    ],
    "snmp-walk-a-scalar": [
        "probes/snmp.toml:3: probes.system.walk[1]: "
        "sysName is a single value, not a column or table; list it under get",
    ],
    "snmp-bad-threshold": [
        "probes/snmp.toml:6: probes.load.thresholds[0].critical: "
        "expected a comparison such as \"> 80\" or \"< 0.5\", a value such as \"!= onLine\" "
        "or a pattern such as '!~ \"RouterOS\"', got 'over 9000'",
    ],
    "snmp-interfaces-unknown-key": [
        "probes/snmp.toml:6: probes.access.interfaces.exclude_type: unknown key; expected one "
        "of: utilisation_pct, errors_per_s, errors_pct, discards_per_s, discards_pct, include, "
        "exclude, types, exclude_types, admin_up_only, learn, down, rates, rules, max_listed",
    ],
    "snmp-interfaces-bad-pattern": [
        "probes/snmp.toml:5: probes.access.interfaces.exclude[0]: 're:(printer' is not a "
        "regular expression: missing ), unterminated subpattern at position 0",
        "probes/snmp.toml:6: probes.access.interfaces.types[0]: expected an ifType number or "
        "an IANAifType name (such as ethernetCsmacd, softwareLoopback or l2vlan), got "
        "'ethernet'; did you mean ethernet3Mbit, ethernetCsmacd or other?",
        "probes/snmp.toml:10: probes.access.interfaces.rules[0].down: expected one of "
        "'critical', 'warning' or 'ignore', got 'fatal'",
    ],
    "snmp-budget-above-interval": [
        "probes/snmp.toml:1: probes.ifaces.retries: a GET and a walk of (retries + 1) x "
        "timeout_s each, and a discovery probe with one short retry, take up to 5 s, which must "
        "be < interval_s "
        "(4); retries is not set and defaults to 1",
    ],
    "snmp-walk-timeout-above-interval": [
        "probes/snmp.toml:5: probes.ifaces.walk_timeout_s: a GET of (retries + 1) x timeout_s, "
        "a walk of up to walk_timeout_s and a discovery probe take up to 33 s, which must be "
        "< interval_s (30); lower walk_timeout_s",
    ],
    "snmp-probe-without-snmp": [
        "config/extra.toml:4: devices.server.probes[1]: probe 'ifaces' is an SNMP probe; "
        "add a [devices.server.snmp] table with the agent's version and credentials",
    ],
    "snmp-authpriv-without-priv-key": [
        "config/extra.toml:6: devices.server.snmp: "
        "security_level authPriv needs priv_key (an env:NAME or file:PATH reference)",
    ],
    "snmp-literal-community": [
        "config/extra.toml:5: devices.server.snmp.community: "
        "expected a secret reference 'env:NAME' or 'file:PATH', not a literal value",
    ],
    "snmp-community-file-missing": [  # create = true is for API tokens only: no such hint
        "config/extra.toml:5: devices.server.snmp.community: "
        "secret file {dir}/secrets/missing.community does not exist (create it)",
    ],
    "snmp-v3-key-on-v2c": [
        "config/extra.toml:8: devices.server.snmp.user: user only applies to version 3; remove it",
    ],
    "snmp-short-key": [
        "config/extra.toml:10: devices.server.snmp.auth_key: "
        "must be at least 8 characters long (RFC 3414)",
    ],
    # config/
    "unclosed-array": [
        "config/extra.toml:4: invalid TOML: invalid value (at end of file)",
    ],
    "not-utf8": [
        "config/extra.toml:1: cannot read file: not UTF-8 text",
    ],
    "missing-customer": [
        "config/extra.toml:3: devices.server.customer: unknown customer 'globex'; "
        "define it as [customers.globex] in config/",
    ],
    "unknown-probe": [
        "config/extra.toml:6: devices.server.probes[1]: unknown probe 'http'; "
        "define it as [probes.http] in probes/",
    ],
    "unknown-parent": [
        "config/extra.toml:5: devices.server.parents[1]: unknown parent device 'gateway'; "
        "define it as [devices.gateway] in config/",
    ],
    "parent-cycle": [
        "config/extra.toml:11: devices.b.parents[1]: parent cycle a -> b -> a; "
        "a device cannot be its own ancestor",
    ],
    "self-parent": [
        "config/extra.toml:5: devices.server.parents[0]: parent cycle server -> server; "
        "a device cannot be its own ancestor",
    ],
    "duplicate-device": [
        "config/extra.toml:2: devices.router: already defined in config/acme.toml:5; "
        "names must be unique",
    ],
    "bad-enum": [
        "config/extra.toml:5: devices.server.criticality: "
        "expected one of 'low', 'medium' or 'high', got 'urgent'",
    ],
    "bad-name": [
        f"config/extra.toml:1: devices.\"web server\": {NAME_RULE}, got 'web server'",
    ],
    "bad-name-in-list": [
        f"config/extra.toml:5: devices.server.tags[1]: {NAME_RULE}, got 'rack 4'",
    ],
    "bad-timezone": [
        "config/extra.toml:3: customers.globex.timezone: unknown time zone "
        "'Europe/Helsingfors'; use an IANA name such as 'Europe/Helsinki'",
    ],
    "missing-required-key": [
        "config/extra.toml:1: devices.server.address: required key is missing",
    ],
    "empty-probes-list": [
        "config/extra.toml:4: devices.server.probes: must not be empty",
    ],
    "misplaced-table": [
        "config/extra.toml:4: probes: unknown key here; [probes] tables belong in probes/",
    ],
    # rules/
    "unknown-rule-probe": [
        "rules/extra.toml:2: rules.web-down.probes[0]: unknown probe 'http'; "
        "define it as [probes.http] in probes/",
    ],
    "unknown-rule-customer": [
        "rules/extra.toml:2: rules.globex-down.customers[0]: unknown customer 'globex'; "
        "define it as [customers.globex] in config/",
    ],
    "bad-priority": [
        "rules/extra.toml:3: rules.urgent.priority: expected one of 'P1', 'P2', 'P3', 'P4', "
        "or a table by criticality such as { high = \"P1\", medium = \"P2\" }, got 'P0'",
    ],
    # contracts, calendars (config/) and escalation chains (rules/)
    "calendar-unknown": [
        "config/extra.toml:5: customers.globex.contract.calendar: unknown calendar 'office'; "
        'define it as [calendars.office] in config/ (or use the built-in "24x7")',
    ],
    "availability-calendar-unknown": [
        "config/extra.toml:5: customers.globex.contract.availability_calendar: unknown calendar "
        "'around-the-clock'; define it as [calendars.around-the-clock] in config/ (or use the "
        'built-in "24x7")',
    ],
    "calendar-overlap": [
        "config/extra.toml:3: calendars.office.weekly: 'mon-fri 08:00-18:00' and "
        "'fri 17:00-20:00' overlap on Friday; cover each time once",
    ],
    "calendar-bad-span": [
        "config/extra.toml:5: calendars.office.weekly[1]: expected 'DAYS HH:MM-HH:MM' such as "
        "'mon-fri 08:00-18:00' or 'sat,sun 10:00-14:00', got 'sat 9-13'",
    ],
    "calendar-crosses-midnight": [
        "config/extra.toml:3: calendars.night-desk.weekly[0]: 'mon-fri 22:00-06:00': the end "
        "must be after the start; a span may not cross midnight (split it: 'mon 22:00-24:00' "
        "and 'tue 00:00-06:00')",
    ],
    "maintenance-bad-weekly": [
        "config/extra.toml:6: maintenance.patching.weekly[1]: expected 'DAYS HH:MM' such as "
        "'sun 03:00', 'mon-fri 22:00' or 'sat,sun 06:00', got 'monkey 03:00'",
        "config/extra.toml:12: maintenance.weekend.weekly[0]: expected 'DAYS HH:MM' such as "
        "'sun 03:00', 'mon-fri 22:00' or 'sat,sun 06:00', got 'sat,sun'",
    ],
    "maintenance-bad-cron": [
        "config/extra.toml:3: maintenance.nightly.cron: expected 5 crontab fields (min hour day "
        "month weekday), got '0 3 * *'",
    ],
    "calendar-reserved-name": [
        'config/extra.toml:1: calendars.24x7: "24x7" is built in (every moment covered); '
        "give this calendar another name",
    ],
    "calendar-quoted-holiday": [
        "config/extra.toml:4: calendars.office.holidays[1]: expected a date such as 2026-12-24 "
        "(unquoted), got a string '2026-12-25'",
    ],
    "duplicate-calendar": [
        "config/more.toml:2: calendars.office: already defined in config/extra.toml:1; "
        "names must be unique",
    ],
    "unknown-chain": [
        "config/extra.toml:5: customers.globex.contract.escalation: unknown escalation chain "
        "'gold'; define it as [escalations.gold] in rules/",
        "config/extra.toml:6: customers.globex.contract.escalation_by_priority.P1: unknown "
        "escalation chain 'platinum'; define it as [escalations.platinum] in rules/",
    ],
    "unknown-rule-chain": [
        "rules/extra.toml:3: rules.router-down.escalation: unknown escalation chain 'critical'; "
        "define it as [escalations.critical] in rules/",
    ],
    "duplicate-chain": [
        "rules/more.toml:1: escalations.critical: already defined in rules/extra.toml:1; "
        "names must be unique",
    ],
    "misplaced-escalations": [
        "config/extra.toml:1: escalations: unknown key here; [escalations] tables belong in rules/",
    ],
    "step-without-kind": [
        "rules/extra.toml:4: escalations.critical.steps[1]: give after_min (coverage minutes "
        'since the ticket opened), or sla = "reaction" or "resolution" with at_pct '
        "(an SLA-risk step)",
    ],
    "step-both-kinds": [
        "rules/extra.toml:4: escalations.critical.steps[1]: a step is time-based (after_min) or "
        "an SLA-risk step (sla, at_pct), not both; split it into two steps",
    ],
    "step-sla-with-unless": [
        "rules/extra.toml:3: escalations.critical.steps[0]: unless is for time-based steps; an "
        "SLA-risk step ends with its clock (reaction at assignment, resolution at resolution)",
    ],
    "step-at-pct-out-of-range": [
        "rules/extra.toml:4: escalations.critical.steps[1].at_pct: must be <= 100, got 150",
    ],
    "step-bad-tier": [
        "rules/extra.toml:2: escalations.critical.steps[0].tier: must be <= 4, got 5",
    ],
    "warn-not-increasing": [
        "config/extra.toml:6: customers.globex.contract.sla.P1.warn_at_pct: must increase, "
        "such as [75, 90], got [90, 75]",
    ],
    "eta-after-resolution": [
        "config/extra.toml:6: customers.globex.contract.sla.P2.eta_min: must be <= "
        "resolution_min (got 300 > 240); a default ETA after the resolution target plans a breach",
    ],
    "eta-not-after-notice": [
        "config/extra.toml:5: customers.globex.contract.sla.P3.eta_min: must be > eta_notice_min "
        '(got 20 <= 30); otherwise the "ETA will be exceeded" notice goes out as the ticket opens',
    ],
    "eta-notice-too-late": [
        "config/extra.toml:5: customers.globex.contract.eta_notice_min: must be < the default "
        "ETA of P1 (got 30 >= 20, the resolution target, as sla.P1.eta_min is not set); lower "
        'it or set eta_min, or the "ETA will be exceeded" notice goes out as the ticket opens',
    ],
    "bad-sla-priority": [
        "config/extra.toml:4: customers.globex.contract.sla.P5: "
        "expected one of 'P1', 'P2', 'P3' or 'P4', got 'P5'",
    ],
    "unknown-webhook": [
        "config/extra.toml:5: customers.globex.contract.notify[1]: unknown webhook "
        "'globex-portal'; define it as [notifications.webhooks.globex-portal] in bridge.toml",
    ],
    "bad-receiver": [
        "config/extra.toml:5: customers.globex.contract.tiers.tier1[0]: expected "
        "'mailto:ADDRESS' or 'webhook:NAME' (a webhook in bridge.toml [notifications.webhooks]), "
        "got 'duty@msp.example.com'",
    ],
    "templates-missing": [
        "config/extra.toml:6: customers.globex.contract.templates: folder templates/globex does "
        "not exist (relative to config/extra.toml); create it or remove templates to use the "
        "built-in ones",
    ],
    "language-without-templates": [
        "config/extra.toml:5: customers.globex.contract.language: no templates for 'de', so "
        "every message would be in English; bridge has cs, en, fa, fi, it, ru, and a "
        "contract's templates folder may add de/",
    ],
    "bad-language": [
        "config/extra.toml:5: customers.globex.contract.language: expected a language tag such "
        "as 'en', 'fi' or 'pt-BR', got 'Finnish'",
    ],
    # bridge.toml
    "bad-address": [
        "config/acme.toml:7: devices.router.address: expected an IP address or a host name, "
        "got '127.0.0.444'",
        "config/acme.toml:12: devices.switch.address: expected an IP address or a host name, "
        "got 'not a host'",
    ],
    "bad-store-url": [
        "bridge.toml:13: storage.url: expected a sqlite:/// or postgresql+psycopg:// URL, "
        "got 'mysql://bridge@127.0.0.1/bridge'",
    ],
    "unknown-canary": [
        "bridge.toml:13: monitoring.canaries[0]: unknown device 'uplink'; "
        "a canary must be a device in config/",
    ],
    "unknown-section": [
        "bridge.toml:1: htpp: unknown key; "
        "expected one of: storage, http, paths, daemon, api, incidents, monitoring, "
        "notifications, availability, provider, cluster, portal",
    ],
    "bad-listen": [
        "bridge.toml:2: http.listen: expected HOST:PORT such as 127.0.0.1:9410, got 'localhost'",
    ],
    "bad-bool": [
        "bridge.toml:2: http.metrics_auth: expected true or false, got a string 'yes'",
    ],
    "missing-folder": [
        "bridge.toml:2: paths.rules: folder rulez/ does not exist; create it or set paths.rules",
    ],
    "empty-folder-path": [
        "bridge.toml:2: paths.config: must not be empty",
    ],
    "array-table-position": [
        "bridge.toml:6: api.tokens[1].role: required key is missing",
        "bridge.toml:9: api.tokens[1].rol: unknown key; "
        "expected one of: name, role, secret, customer, create",
    ],
    "secret-literal": [
        "bridge.toml:4: api.tokens[0].secret: "
        "expected a secret reference 'env:NAME' or 'file:PATH', not a literal value",
    ],
    "secret-not-a-string": [
        "bridge.toml:4: api.tokens[0].secret: expected a string, got an integer (value hidden)",
    ],
    "secret-env-missing": [
        "bridge.toml:4: api.tokens[0].secret: "
        "environment variable BRIDGE_TEST_UNSET_TOKEN is not set",
    ],
    "secret-file-missing": [
        "bridge.toml:4: api.tokens[0].secret: secret file {dir}/secrets/missing.token "
        "does not exist (create it, or set create = true)",
    ],
    "secret-file-empty": [
        "bridge.toml:4: api.tokens[0].secret: secret file {dir}/secrets/empty.token is empty",
    ],
    "create-with-env-secret": [
        "bridge.toml:5: api.tokens[0].create: "
        "create = true only applies to a file: secret; remove it",
    ],
    "customer-token-without-customer": [
        "bridge.toml:6: api.tokens[1]: "
        'a customer token must name its customer; add customer = "<name>"',
    ],
    "operator-token-with-customer": [
        "bridge.toml:4: api.tokens[0].customer: "
        'an operator token sees every customer; remove customer or set role = "customer"',
    ],
    "token-unknown-customer": [
        "bridge.toml:4: api.tokens[0].customer: unknown customer 'globex'; "
        "define it as [customers.globex] in config/",
    ],
    "duplicate-token-name": [
        "bridge.toml:7: api.tokens[1].name: same name as api.tokens[0]; "
        "token names must be unique",
    ],
    "shared-token-secret": [
        "bridge.toml:10: api.tokens[1].secret: same secret as api.tokens[0]; "
        "give each token its own",
    ],
    # bridge.toml [notifications]
    "notify-unknown-webhook": [
        "bridge.toml:13: notifications.operators[1]: unknown webhook 'noc-portal'; "
        "define it as [notifications.webhooks.noc-portal] in bridge.toml",
    ],
    "notify-email-without-smtp": [
        "bridge.toml:13: notifications.operators[0]: email needs an SMTP server; "
        "add [notifications.smtp] to bridge.toml",
    ],
    "notify-bad-receiver": [
        "bridge.toml:13: notifications.operators[0]: expected 'mailto:ADDRESS' or "
        "'webhook:NAME' (a webhook in bridge.toml [notifications.webhooks]), "
        "got 'sms:+358401234567'",
    ],
    "notify-bad-webhook-url": [
        "bridge.toml:13: notifications.webhooks.portal.url: "
        "expected an http:// or https:// URL, got '127.0.0.1:9999/hook'",
    ],
    "notify-webhook-literal-secret": [
        "bridge.toml:14: notifications.webhooks.portal.secret: "
        "expected a secret reference 'env:NAME' or 'file:PATH', not a literal value",
    ],
    "notify-smtp-password-env-missing": [
        "bridge.toml:17: notifications.smtp.password: "
        "environment variable BRIDGE_TEST_UNSET_TOKEN is not set",
    ],
    "notify-smtp-password-not-a-string": [
        "bridge.toml:9: notifications.smtp.password: "
        "expected a string, got an integer (value hidden)",
    ],
    "notify-contract-email-without-smtp": [
        "config/extra.toml:5: customers.globex.contract.tiers.tier1[0]: "
        "email needs an SMTP server; add [notifications.smtp] to bridge.toml",
    ],
    "notify-contract-template-broken": [
        "config/extra.toml:6: customers.globex.contract.templates: ../templates/globex/"
        "fi/closed.txt: subject and body must both show the ticket ID ({{ ref }})",
        "config/extra.toml:6: customers.globex.contract.templates: ../templates/globex/"
        "fi/opened.txt: 'devise' is undefined",
    ],
    "notify-smtp-ca-file-missing": [
        "bridge.toml:10: notifications.smtp.ca_file: "
        "file {dir}/certs/internal-ca.pem does not exist",
    ],
    "notify-smtp-tls-and-starttls": [
        "bridge.toml:15: notifications.smtp.tls: tls (TLS from the first byte, port 465) and "
        "starttls (port 587) exclude each other; set only one",
    ],
    "notify-smtp-username-without-password": [
        "bridge.toml:12: notifications.smtp.password: "
        "username needs a password (an env:NAME or file:PATH reference)",
    ],
    "notify-smtp-login-in-clear": [
        "bridge.toml:15: notifications.smtp.username: a login without starttls or tls sends "
        "the password in clear text; set starttls = true (port 587) or tls = true (port 465), "
        "or allow_plaintext_login = true for a trusted relay",
    ],
    "notify-backoff-order": [
        "bridge.toml:14: notifications.backoff_max_s: "
        "must be >= backoff_initial_s (got 60 < 600)",
    ],
}


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BRIDGE_TEST_UNSET_TOKEN", raising=False)


def deploy(tmp_path: Path, case: str | None = None) -> Path:
    """A copy of the base deployment with `case`'s files laid over it."""
    root = tmp_path / "deploy"
    shutil.copytree(DATA / "base", root)
    if case is not None:
        shutil.copytree(DATA / case, root, dirs_exist_ok=True)
    return root


def write(root: Path, name: str, text: str) -> None:
    """Add or replace one file of a deployment."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def bridge_check(config: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `bridge check`, as an operator would."""
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}  # this checkout's bridge, from `cwd`
    env.pop("BRIDGE_TEST_UNSET_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bridge", "check", "-c", str(config)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def load_errors(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(root)
    with pytest.raises(ConfigErrors) as info:
        load_config("bridge.toml", templates=TemplateCatalog())
    return [str(e) for e in info.value.errors]


def expected(case: str, root: Path) -> list[str]:
    return [line.replace("{dir}", str(root.resolve())) for line in CASES[case]]


def test_every_case_directory_is_in_the_table() -> None:
    on_disk = {p.name for p in DATA.iterdir() if p.is_dir()} - {"base"}
    assert on_disk == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_case_reports_exact_message(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = deploy(tmp_path, case)
    assert load_errors(root, monkeypatch) == expected(case, root)


@pytest.mark.parametrize(
    "case", ["unknown-probe", "parent-cycle", "invalid-toml", "secret-file-missing", "bad-listen",
             "snmp-community-file-missing", "snmp-unknown-template", "snmp-unknown-mib-name"]
)
def test_bridge_check_prints_the_error_and_exits_1(case: str, tmp_path: Path) -> None:
    root = deploy(tmp_path, case)
    result = bridge_check("bridge.toml", cwd=root)
    assert (result.returncode, result.stdout.splitlines()) == (1, expected(case, root))
    assert result.stderr == ""


def test_drop_in_files_are_named_relative_to_bridge_toml(tmp_path: Path) -> None:
    root = deploy(tmp_path, "unknown-probe")
    write(root, "bridge.toml", '[http]\nlisten = "localhost"\n')
    result = bridge_check(root / "bridge.toml", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        f"{root}/{CASES['bad-listen'][0]}",
        *CASES["unknown-probe"],
    ]


def test_base_deployment_passes_check(tmp_path: Path) -> None:
    root = deploy(tmp_path)
    result = bridge_check("bridge.toml", cwd=root)
    assert (result.returncode, result.stdout) == (
        0, "bridge.toml: ok (4 files, 1 customer, 2 devices, 1 probe, 2 checks, 1 rule)\n"
    )


def test_example_deployment_in_the_repo_passes_check(tmp_path: Path) -> None:
    copy_example_deployment(tmp_path)
    result = bridge_check("bridge.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("bridge.toml: ok (")
    # The example's operator token has `create = true`; checking must not write it.
    assert not (tmp_path / "var" / "operator.token").exists()


def test_check_prints_every_error_of_every_file_sorted(tmp_path: Path) -> None:
    root = deploy(tmp_path)
    write(root, "bridge.toml", '[http]\nlisten = "127.0.0.1:9410"\nmetrics = true\n')
    write(root, "rules/default.toml", '[rules.down]\nprobes = ["pign"]\n')
    write(root, "probes/ping.toml",
          '[probes.ping]\nkind = "icmp"\ninterval_s = 5\ntimeout_s = 5\nretry_interval_s = 1\n')
    write(root, "config/extra.toml",
          '[devices.server]\ncustomer = "globex"\naddress = "127.0.0.9"\nprobes = ["ping"]\n'
          '\n[devices.db]\ncustomer = "acme"\naddress = "127.0.0.10"\nprobes = []\n')
    result = bridge_check("bridge.toml", cwd=root)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "bridge.toml:3: http.metrics: unknown key; expected one of: listen, metrics_auth",
        "config/extra.toml:2: devices.server.customer: unknown customer 'globex'; "
        "define it as [customers.globex] in config/",
        "config/extra.toml:9: devices.db.probes: must not be empty",
        "probes/ping.toml:4: probes.ping.timeout_s: must be < interval_s (got 5 >= 5)",
        "rules/default.toml:2: rules.down.probes[0]: unknown probe 'pign'; "
        "define it as [probes.pign] in probes/",
    ]


def test_check_reports_every_mistake_in_one_run(tmp_path: Path) -> None:
    """A mistake hides no other: not one in bridge.toml, nor one in the same entry."""
    root = deploy(tmp_path)
    main = (root / "bridge.toml").read_text()
    assert 'operators = ["mailto:noc@msp.example.com"]' in main
    write(root, "bridge.toml", main.replace('operators = ["mailto:noc@msp.example.com"]',
                                            'operators = ["webhook:noc"]')
          + '\n[daemon]\nmetrics = true\n')
    write(root, "config/more.toml",
          '[customers.globex]\nname = "Globex"\n[customers.globex.contract]\n'
          'language = "deutsch"\nescalation = "nochain"\nnotify = ["webhook:nope"]\n'
          '\n[calendars.office]\ntimezone = "Europe/Helsinki"\n'
          'weekly = ["mon-fri 08:00-18:00", "fri 17:00-20:00"]\n'
          '\n[devices.sw]\ncustomer = "globex"\naddress = "127.0.0.9"\nprobes = ["ping"]\n'
          'criticality = "extreme"\nparents = ["nosuch"]\n')
    write(root, "probes/more.toml",
          '[probes.slow]\nkind = "icmp"\ninterval_s = 5\ntimeout_s = 5\n'
          '\n[probes.snmpy]\nkind = "snmp"\ninterval_s = 2\ntimeout_s = 1\nretries = 3\n'
          'get = ["sysUpTime.0"]\nmax_repetition = 5\n')
    write(root, "rules/more.toml", '[rules.more]\nprobes = ["slow"]\nescalation = "nochain2"\n')
    result = bridge_check("bridge.toml", cwd=root)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "bridge.toml:19: notifications.operators[0]: unknown webhook 'noc'; define it as "
        "[notifications.webhooks.noc] in bridge.toml",
        "bridge.toml:22: daemon.metrics: unknown key; expected one of: max_concurrent_checks, "
        "tick_s, shutdown_timeout_s",
        "config/more.toml:4: customers.globex.contract.language: expected a language tag such "
        "as 'en', 'fi' or 'pt-BR', got 'deutsch'",
        "config/more.toml:5: customers.globex.contract.escalation: unknown escalation chain "
        "'nochain'; define it as [escalations.nochain] in rules/",
        "config/more.toml:6: customers.globex.contract.notify[0]: unknown webhook 'nope'; "
        "define it as [notifications.webhooks.nope] in bridge.toml",
        "config/more.toml:10: calendars.office.weekly: 'mon-fri 08:00-18:00' and "
        "'fri 17:00-20:00' overlap on Friday; cover each time once",
        "config/more.toml:16: devices.sw.criticality: expected one of 'low', 'medium' or "
        "'high', got 'extreme'",
        "config/more.toml:17: devices.sw.parents[0]: unknown parent device 'nosuch'; "
        "define it as [devices.nosuch] in config/",
        "probes/more.toml:4: probes.slow.timeout_s: must be < interval_s (got 5 >= 5)",
        "probes/more.toml:10: probes.snmpy.retries: a GET of (retries + 1) x timeout_s each, "
        "and a discovery probe with one short retry, take up to 5 s, which must be "
        "< interval_s (2)",
        f"probes/more.toml:12: probes.snmpy.max_repetition: unknown key; expected one of: "
        f"{SNMP_PROBE_KEYS}",
        "rules/more.toml:3: rules.more.escalation: unknown escalation chain 'nochain2'; "
        "define it as [escalations.nochain2] in rules/",
    ]


def test_a_key_in_error_is_never_checked_as_its_default(tmp_path: Path) -> None:
    """An entry is checked further without the keys that failed, but no check reads
    a default in their place: each mistake below is reported once, as written."""
    root = deploy(tmp_path)
    write(root, "probes/ping.toml",
          '[probes.ping]\nkind = "icmp"\ninterval_s = 2\ntimeout_s = "1"\n'
          '\n[probes.ifaces]\nkind = "snmp"\ninterfaces = true\n')
    write(root, "config/extra.toml",
          '[devices.server]\ncustomer = "acme"\naddress = "192.0.2.9"\n'
          'probes = ["ping", "ifaces"]\nsnmp = { version = "2c", community = 161 }\n'
          '\n[customers.globex]\nname = "Globex"\n'
          '[customers.globex.contract.sla.P1]\nresolution_min = "soon"\neta_min = 600\n')
    result = bridge_check("bridge.toml", cwd=root)
    assert result.stdout.splitlines() == [
        "config/extra.toml:5: devices.server.snmp.community: expected a string, got an "
        "integer (value hidden)",
        "config/extra.toml:10: customers.globex.contract.sla.P1.resolution_min: expected a "
        "number, got a string 'soon'",
        "probes/ping.toml:4: probes.ping.timeout_s: expected a number, got a string '1'",
    ]


TRIAL_DEVICE = ('[devices.x-one]\ncustomer = "parsian"\n{mistake}\n'
                'probes = ["ping", "nosuchprobe"]\nparents = ["nosuchparent"]\n'
                '\n[maintenance.x-wiif]\ntags = ["wiif"]\nweekly = ["sun 03:00"]\n'
                'duration_min = 30\n')


@pytest.mark.parametrize(("mistake", "message"), [
    ('address = "127.0.0.300"',
     "devices.x-one.address: expected an IP address or a host name, got '127.0.0.300'"),
    ('address = "127.0.0.30"\ncriticality = "urgent"',
     "devices.x-one.criticality: expected one of 'low', 'medium' or 'high', got 'urgent'"),
])
def test_an_entry_with_a_key_in_error_is_checked_on_its_others_in_the_same_run(
        tmp_path: Path, mistake: str, message: str) -> None:
    """A required key in error (the address) hides neither the entry's references nor
    a warning: one run says everything, warnings with the errors."""
    root = deploy(tmp_path)
    write(root, "config/extra.toml", TRIAL_DEVICE.format(mistake=mistake))
    result = bridge_check("bridge.toml", cwd=root)
    line = 3 + mistake.count("\n")
    assert (result.returncode, result.stdout.splitlines()) == (1, [
        "config/extra.toml:2: devices.x-one.customer: unknown customer 'parsian'; "
        "define it as [customers.parsian] in config/",
        f"config/extra.toml:{line}: {message}",
        f"config/extra.toml:{line + 1}: devices.x-one.probes[1]: unknown probe 'nosuchprobe'; "
        "define it as [probes.nosuchprobe] in probes/",
        f"config/extra.toml:{line + 2}: devices.x-one.parents[0]: unknown parent device "
        "'nosuchparent'; define it as [devices.nosuchparent] in config/",
        f"config/extra.toml:{line + 5}: maintenance.x-wiif.tags[0]: warning: no device has "
        "tag 'wiif': the window covers nothing through it",
    ])


def test_a_device_kept_without_its_address_is_known_to_the_rest(tmp_path: Path) -> None:
    """The device in error still exists for what refers to it, and its tags still count:
    its mistake is said once, with nothing invented around it."""
    root = deploy(tmp_path)
    write(root, "config/extra.toml",
          '[devices.ap]\ncustomer = "acme"\naddress = "10.0.0.256"\nprobes = ["ping"]\n'
          'tags = ["wifi"]\n\n[devices.ap2]\ncustomer = "acme"\nprobes = ["ping"]\n'
          'parents = ["ap"]\n\n[maintenance.firmware]\ntags = ["wifi"]\ndevices = ["ap"]\n'
          'start = 2026-12-24T01:00:00Z\nend = 2026-12-24T02:00:00Z\n')
    result = bridge_check("bridge.toml", cwd=root)
    assert (result.returncode, result.stdout.splitlines()) == (1, [
        "config/extra.toml:3: devices.ap.address: expected an IP address or a host name, "
        "got '10.0.0.256'",
        "config/extra.toml:7: devices.ap2.address: required key is missing",
    ])


def test_a_language_from_the_contracts_own_templates_is_accepted(tmp_path: Path) -> None:
    root = deploy(tmp_path, "language-without-templates")
    write(root, "config/extra.toml", (root / "config/extra.toml").read_text()
          + 'templates = "../templates/globex"\n')
    write(root, "templates/globex/de/opened.txt",
          "[{{ ref }}] Neues Ticket: {{ summary }}\n\n{{ ref }}: {{ summary }}\n")
    result = bridge_check("bridge.toml", cwd=root)
    assert (result.returncode, result.stdout.splitlines()[-1:]) == (
        0, ["bridge.toml: ok (5 files, 2 customers, 2 devices, 1 probe, 2 checks, 1 rule)"])


def test_bridge_check_reports_a_contracts_broken_templates_and_language(
        tmp_path: Path) -> None:
    """`bridge check` gives config notify's templates to check contracts against."""
    for case in ("notify-contract-template-broken", "language-without-templates"):
        root = deploy(tmp_path / case, case)
        result = bridge_check("bridge.toml", cwd=root)
        assert (result.returncode, result.stdout.splitlines()) == (1, expected(case, root))


def test_a_maintenance_tag_no_device_has_is_a_warning(tmp_path: Path) -> None:
    """Accepted (devices may be given the tag later), but said, as it covers nothing."""
    root = deploy(tmp_path)
    write(root, "config/windows.toml",
          '[devices.ap]\ncustomer = "acme"\naddress = "127.0.0.5"\nprobes = ["ping"]\n'
          'tags = ["wifi"]\n\n[maintenance.firmware]\ntags = ["wifi", "wiif"]\n'
          'start = 2026-12-24T01:00:00Z\nend = 2026-12-24T02:00:00Z\n')
    result = bridge_check("bridge.toml", cwd=root)
    assert (result.returncode, result.stdout.splitlines()) == (0, [
        "config/windows.toml:8: maintenance.firmware.tags[1]: warning: no device has tag "
        "'wiif': the window covers nothing through it",
        "bridge.toml: ok (5 files, 1 customer, 3 devices, 1 probe, 3 checks, 1 rule)",
    ])
    assert [str(w) for w in load_config(root / "bridge.toml").warnings] == [
        result.stdout.splitlines()[0]]


def test_file_paths_are_relative_to_the_file_naming_them_and_the_old_base_still_reads(
        tmp_path: Path) -> None:
    """config/*.toml's `file:` secrets, like its templates, are relative to that file; one
    written relative to bridge.toml (as before) still loads, with a warning saying how
    to write it."""
    root = deploy(tmp_path)
    write(root, "secrets/switch.community", "s3cret-community\n")
    write(root, "config/extra.toml",
          '[devices.new]\ncustomer = "acme"\naddress = "127.0.0.7"\nprobes = ["ping"]\n'
          'snmp = { version = "2c", community = "file:../secrets/switch.community" }\n'
          '\n[devices.old]\ncustomer = "acme"\naddress = "127.0.0.8"\nprobes = ["ping"]\n'
          'snmp = { version = "2c", community = "file:secrets/switch.community" }\n')
    config = load_config(root / "bridge.toml")
    for name in ("new", "old"):
        community = config.snmp[name].community
        assert community is not None
        assert community.reveal() == "s3cret-community"  # whitespace stripped
    assert [str(w) for w in config.warnings] == [
        "config/extra.toml:11: devices.old.snmp.community: warning: secrets/switch.community "
        "is read relative to bridge.toml's folder, as before; paths are relative to the file "
        "that names them now: write file:../secrets/switch.community"]


def test_a_missing_bridge_toml_is_one_error(tmp_path: Path) -> None:
    result = bridge_check("bridge.toml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (
        1, "bridge.toml:1: cannot read file: No such file or directory; run it in the "
        "deployment's folder, or name the file with -c (such as -c /etc/bridge/bridge.toml)\n"
    )


def test_hidden_files_in_drop_in_folders_are_ignored(tmp_path: Path) -> None:
    root = deploy(tmp_path)
    (root / "config" / ".#acme.toml").symlink_to("user@host.1234")  # an editor's lock file
    assert bridge_check("bridge.toml", cwd=root).returncode == 0


def test_a_drop_in_folder_outside_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = deploy(tmp_path)
    shutil.move(root / "probes", tmp_path / "shared-probes")
    write(root, "bridge.toml", '[paths]\nprobes = "../shared-probes"\n')
    monkeypatch.chdir(root)
    assert set(load_config("bridge.toml").probes) == {"ping"}
    write(tmp_path, "shared-probes/ping.toml", '[probes.ping]\nkind = "icmp"\ncount = 0\n')
    assert load_errors(root, monkeypatch) == [
        "../shared-probes/ping.toml:3: probes.ping.count: must be >= 1, got 0"
    ]


# ---- secrets --------------------------------------------------------------------------------


def test_env_and_file_secrets_resolve_and_never_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = deploy(tmp_path)
    write(root, "bridge.toml",
          '[[api.tokens]]\nname = "operator"\nrole = "operator"\n'
          'secret = "file:secrets/operator.token"\n\n'
          '[[api.tokens]]\nname = "acme-portal"\nrole = "customer"\ncustomer = "acme"\n'
          'secret = "env:BRIDGE_TEST_CUSTOMER_TOKEN"\n')
    config = load_config(root / "bridge.toml")
    operator, portal = config.tokens
    assert operator.secret.reveal() == "base-operator-token"  # file contents, newline stripped
    assert portal.secret.reveal() == ENV["BRIDGE_TEST_CUSTOMER_TOKEN"]
    assert portal.secret.matches(ENV["BRIDGE_TEST_CUSTOMER_TOKEN"])
    assert not portal.secret.matches("guess")
    for token in config.tokens:
        for text in (repr(token), str(token.secret), repr(config)):
            assert "base-operator-token" not in text
            assert ENV["BRIDGE_TEST_CUSTOMER_TOKEN"] not in text
        assert repr(token.secret) == "Secret('***')"


def test_secret_values_never_appear_in_errors(tmp_path: Path) -> None:
    root = deploy(tmp_path)
    write(root, "bridge.toml",
          '[[api.tokens]]\nname = "operator"\nrole = "operator"\n'
          'secret = "correct-horse-battery"\n\n'
          '[[api.tokens]]\nname = "acme-portal"\nrole = "customer"\n'
          'secret = "env:BRIDGE_TEST_CUSTOMER_TOKEN"\n')
    result = bridge_check("bridge.toml", cwd=root)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2  # the literal secret, the missing customer
    for value in ("correct-horse-battery", ENV["BRIDGE_TEST_CUSTOMER_TOKEN"]):
        assert value not in result.stdout + result.stderr


CREATE_TOKEN = (
    '[[api.tokens]]\nname = "operator"\nrole = "operator"\n'
    'secret = "file:var/operator.token"\ncreate = true\n'
)


def test_create_true_writes_a_private_token_file_only_when_running(tmp_path: Path) -> None:
    root = deploy(tmp_path)
    write(root, "bridge.toml", CREATE_TOKEN)
    token_file = root / "var" / "operator.token"

    assert bridge_check("bridge.toml", cwd=root).returncode == 0
    assert not token_file.exists()

    config = load_config(root / "bridge.toml", create_secrets=True)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    secret = token_file.read_text(encoding="utf-8").strip()
    assert len(secret) >= 32
    assert config.tokens[0].secret.reveal() == secret
    # A second start keeps the token operators already use.
    assert load_config(root / "bridge.toml", create_secrets=True).tokens[0].secret.matches(secret)


def test_a_rejected_config_creates_no_token_file(tmp_path: Path) -> None:
    root = deploy(tmp_path, "unknown-probe")
    write(root, "bridge.toml", CREATE_TOKEN)
    with pytest.raises(ConfigErrors):
        load_config(root / "bridge.toml", create_secrets=True)
    assert not (root / "var" / "operator.token").exists()


# ---- the loaded config ----------------------------------------------------------------------


def test_config_cannot_be_changed_once_loaded(tmp_path: Path) -> None:
    config = load_config(deploy(tmp_path) / "bridge.toml")
    router = config.devices["router"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.listen = config.listen  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.devices["router"] = router  # type: ignore[index]
    with pytest.raises(ValidationError, match="frozen"):
        config.probes["ping"].interval_s = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        router.probes.append("ping")  # type: ignore[attr-defined]
    assert router.probes == ("ping",)


def test_an_unset_retry_interval_follows_a_short_check_interval(tmp_path: Path) -> None:
    from bridge.core.probe_kinds.icmp import IcmpProbe as Probe

    assert Probe.model_validate({"kind": "icmp", "interval_s": 4}).retry_interval_s == 4
    assert Probe.model_validate({"kind": "icmp", "interval_s": 60}).retry_interval_s == 10
    explicit = {"kind": "icmp", "interval_s": 4, "retry_interval_s": 1}
    assert Probe.model_validate(explicit).retry_interval_s == 1


def test_defaults_fill_what_the_files_leave_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = deploy(tmp_path)
    write(root, "bridge.toml", "")
    write(root, "probes/ping.toml", '[probes.ping]\nkind = "icmp"\n')
    write(root, "rules/default.toml", "[rules.everything]\n")
    monkeypatch.chdir(tmp_path)  # relative paths follow bridge.toml, not the cwd
    config = load_config("deploy/bridge.toml")

    probe = config.probes["ping"]
    assert (probe.interval_s, probe.timeout_s, probe.retry_interval_s) == (30, 2, 10)
    assert (probe.max_attempts, probe.count, probe.packet_interval_s) == (3, 3, 0.2)
    router = config.devices["router"]
    assert (router.criticality, router.parents, router.tags) == (Criticality.MEDIUM, (), ())
    assert config.rules[0][1].priority == Priority.P3
    assert config.rules[0][1].open_ticket is True
    assert str(config.listen) == "127.0.0.1:9410"
    assert config.storage_url == f"sqlite:///{root.resolve()}/var/bridge.db"
    assert config.tokens == ()
    assert config.customers["acme"].timezone == "Europe/Helsinki"


def test_the_documented_bridge_toml_states_the_availability_defaults() -> None:
    import tomllib

    from bridge.config.main_file import AvailabilitySection, MainFile

    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    [block] = [b.split("```", 1)[0] for b in doc.split("```toml\n")[1:]
               if b.startswith("[storage]")]
    main = MainFile.model_validate(tomllib.loads(block))
    assert main.availability == AvailabilitySection()


def test_the_documented_snmp_example_is_valid(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```toml\n")[1:]]
    device = next(b for b in blocks if b.startswith("# config/acme.toml"))
    probe = next(b for b in blocks if b.startswith("# probes/snmp.toml"))
    root = deploy(tmp_path)
    write(root, "config/acme.toml", (root / "config" / "acme.toml").read_text() + device)
    write(root, "probes/snmp.toml", probe)
    write(root, "secrets/core-switch.auth", "auth-passphrase\n")
    monkeypatch.setenv("CORE_SWITCH_PRIV", "priv-passphrase")
    monkeypatch.chdir(root)
    config = load_config("bridge.toml")
    assert config.warnings == ()
    access = config.snmp["core-switch"]
    assert access.user == "bridge"
    assert access.auth_key is not None
    assert access.auth_key.reveal() == "auth-passphrase"
    assert access.priv_key is not None
    assert access.priv_key.reveal() == "priv-passphrase"
    assert "priv-passphrase" not in repr(config)
    # a GET of 2 x 1 s, a walk of up to walk_timeout_s, a discovery probe and a short retry
    # of 0.5 s each
    assert config.probes["switch-ports"].walk_budget_s() == 20.0
    assert config.probes["switch-ports"].duration_budget_s() == 23.0
    # without walk_timeout_s: what is left of 80 % of interval_s (60 s)
    default = config.probes["switch-ports"].model_copy(update={"walk_timeout_s": None})
    assert default.walk_budget_s() == 45.0
    # the 48-port switch's interfaces, in a few lines
    write(root, "probes/access.toml", next(b for b in blocks
                                           if b.startswith("# probes/access.toml")))
    access_ports = load_config("bridge.toml").probes["access-ports"]
    assert isinstance(access_ports, SnmpProbe)
    interfaces = access_ports.interfaces
    assert interfaces is not None
    assert (interfaces.learn, interfaces.exclude_types, interfaces.down.value) == (
        True, (24, 53), "warning")
    assert [str(rule.match) for rule in interfaces.rules] == ["Te1/1/*"]

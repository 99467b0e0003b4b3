"""bridge.toml: the daemon's own settings, one table per section."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from bridge.config.base import Name
from bridge.config.channels import NotificationsSection
from bridge.config.cluster import ClusterSection
from bridge.config.portal import PortalSection
from bridge.config.provider import ProviderSection
from bridge.core.strict import Array, Choice, Strict


class Role(StrEnum):
    """API token roles."""

    OPERATOR = "operator"
    CUSTOMER = "customer"


def _check_store_url(value: str) -> str:
    scheme = value.split(":", 1)[0]
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg"):
        raise ValueError(f"expected a sqlite:/// or postgresql+psycopg:// URL, got {value!r}")
    return value


class StorageSection(Strict):
    """Where state, history and tickets are stored."""

    url: Annotated[str, AfterValidator(_check_store_url)] = "sqlite:///var/bridge.db"
    batch_interval_s: Annotated[float, Field(gt=0, le=10)] = 0.5
    batch_max_items: Annotated[int, Field(ge=1)] = 5000


class HttpSection(Strict):
    """The HTTP listener for API, health and metrics."""

    listen: str = "127.0.0.1:9410"
    metrics_auth: bool = False


class PathsSection(Strict):
    """The drop-in folders, relative to bridge.toml."""

    config: Annotated[str, Field(min_length=1)] = "config"
    probes: Annotated[str, Field(min_length=1)] = "probes"
    rules: Annotated[str, Field(min_length=1)] = "rules"
    intake: Annotated[str, Field(min_length=1)] = "intake"  # optional unless set


class DaemonSection(Strict):
    """Scheduling and shutdown limits."""

    max_concurrent_checks: Annotated[int, Field(ge=1)] = 1000
    tick_s: Annotated[float, Field(gt=0, le=5)] = 0.5
    shutdown_timeout_s: Annotated[float, Field(gt=0)] = 20.0


class TokenSection(Strict):
    """An API bearer token; the secret is an `env:NAME` or `file:PATH` reference."""

    name: Name
    role: Choice[Role]
    secret: str
    customer: Name | None = None
    create: bool = False


class ApiSection(Strict):
    """API authentication."""

    tokens: Array[TokenSection] = ()


class IncidentsSection(Strict):
    """How tickets are numbered, and when a recurrence reopens the last ticket."""

    id_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,8}$")] = "INC"
    # A problem that recurs within this time after its ticket was resolved reopens that
    # ticket instead of opening a new one (0: always a new ticket).
    reopen_window_s: Annotated[float, Field(ge=0)] = 3600.0


class MonitoringSection(Strict):
    """When the bridge itself is blind: canaries and mass-failure thresholds."""

    canaries: Array[Name] = ()  # devices the bridge should always reach (e.g. its uplink)
    gap_failing_ratio: Annotated[float, Field(gt=0, le=1)] = 0.5
    gap_min_customers: Annotated[int, Field(ge=1)] = 2
    gap_min_checks: Annotated[int, Field(ge=1)] = 10
    gap_grace_s: Annotated[float, Field(ge=0)] = 30.0  # new tickets wait while a gap is suspected


_MIN_KEEP_DAYS = 40


def _enough_days(value: int) -> int:
    if value < _MIN_KEEP_DAYS:
        raise ValueError(f"must be >= {_MIN_KEEP_DAYS} (the 30-day window and the days not "
                         f"rolled up yet are measured from it), got {value}")
    return value


class AvailabilitySection(Strict):
    """How availability is kept: refreshed rolling windows, rolled-up days, retention."""

    refresh_s: Annotated[float, Field(gt=0, le=3600)] = 60.0  # rolling windows brought up to date
    # A local day is rolled up (its numbers frozen) this long after it ended, so late
    # writes (a hard change is dated from its first failed check) are in.
    rollup_delay_s: Annotated[float, Field(ge=0, le=86400)] = 3600.0
    # Raw history: hard state changes, monitoring gaps and API maintenance windows. Reports
    # of older months come from the rolled-up days.
    keep_history_days: Annotated[int, AfterValidator(_enough_days)] = 400
    keep_rollups_days: Annotated[int, AfterValidator(_enough_days)] = 1100  # about 3 years


class MainFile(Strict):
    """bridge.toml."""

    storage: StorageSection = StorageSection()
    http: HttpSection = HttpSection()
    paths: PathsSection = PathsSection()
    daemon: DaemonSection = DaemonSection()
    api: ApiSection = ApiSection()
    incidents: IncidentsSection = IncidentsSection()
    monitoring: MonitoringSection = MonitoringSection()
    notifications: NotificationsSection = NotificationsSection()
    availability: AvailabilitySection = AvailabilitySection()
    provider: ProviderSection = ProviderSection()  # who the reports come from
    cluster: ClusterSection = ClusterSection()  # several instances on one PostgreSQL
    portal: PortalSection = PortalSection()  # the browser pages

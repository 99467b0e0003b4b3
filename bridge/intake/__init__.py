"""What comes in from other monitors (webhooks, PagerDuty-style events, SNMP traps) and
customers' mail becomes tickets."""

from bridge.intake.routes import add_routes as add_intake_routes
from bridge.intake.silence import resolve_silent_alerts
from bridge.intake.tasks import start_intake

__all__ = ["add_intake_routes", "resolve_silent_alerts", "start_intake"]

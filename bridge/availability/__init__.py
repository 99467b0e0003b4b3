"""Availability over periods (rolled-up days plus raw history) and the monthly reports."""

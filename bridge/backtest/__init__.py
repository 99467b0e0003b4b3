"""Backtesting: replay a timeline through the rules and compare the tickets with the expected."""

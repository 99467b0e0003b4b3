"""The pure core: state, rules, decisions. No I/O, no asyncio, no clock: it takes `now`."""

"""acme's deployment with a contract whose notices go by mail (the desk's notice tests):
to acme's IT, a duty tier and the NOC, through an SMTP server on loopback."""

from __future__ import annotations

from pathlib import Path

from bridge.config import load_config
from bridge.config.model import Config
from tests.kits.daemon import write_deployment

NOC = 'operators = ["mailto:noc@msp.example.com"]\n'


def acme_contract(language: str, *, tier1: bool = True) -> str:
    """acme's contract section: notices in `language` to acme's IT; tier 1 the duty desk."""
    return (f'\n[customers.acme.contract]\nlanguage = "{language}"\n'
            'notify = ["mailto:it@acme.example.com"]\n'
            + ('\n[customers.acme.contract.tiers]\ntier1 = ["mailto:duty@msp.example.com"]\n'
               if tier1 else ""))


def mail_deployment(root: Path, contract: str, notifications: str = "", *,
                    timezone: str | None = None, smtp_port: int = 2525) -> Config:
    """gw of acme (on `timezone`'s clock, else UTC) with this contract section and these
    [notifications] keys; mail goes to `smtp_port` (a test's server, or nothing there)."""
    path = write_deployment(root, {"gw": "127.0.0.2"})
    inventory = root / "config" / "inventory.toml"
    customers = inventory.read_text()
    if timezone is not None:
        customers = customers.replace('[customers.acme]\nname = "Acme"\n',
                                      f'[customers.acme]\nname = "Acme"\ntimezone = "{timezone}"\n')
    inventory.write_text(customers + contract)
    with path.open("a") as f:
        f.write(f'\n[notifications]\n{notifications}\n[notifications.smtp]\n'
                f'host = "127.0.0.1"\nport = {smtp_port}\nsender = "bridge@msp.example.com"\n'
                'timeout_s = 5\n')
    return load_config(path)

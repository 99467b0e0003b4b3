"""[mail] in intake/*.toml: compiled with each customer's addresses, and `bridge check`'s
file:line errors for what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import ConfigErrors, load_config
from tests.kits.daemon import write_deployment

MAIL = '''[mail]
listen = "127.0.0.1:2525"
recipients = ["Desk@MSP.example", "@support.msp.example"]
senders = { acme = ["it@acme.example", "@ops.acme.example"] }
'''


def _deployment(tmp_path: Path, *files: str) -> Path:
    config = write_deployment(tmp_path, {"gw": "127.0.0.2"})
    inventory = tmp_path / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        '[customers.other]\nname = "Other"\n',
        '[customers.other]\nname = "Other"\n'
        '[customers.other.contract]\nnotify = ["mailto:Bob@other.example"]\n'))
    with config.open("a") as main:
        main.write('\n[notifications]\noperators = ["mailto:noc@msp.example"]\n'
                   '\n[notifications.smtp]\nhost = "127.0.0.1"\nport = 25\n'
                   'sender = "bridge@msp.example"\n')
    (tmp_path / "intake").mkdir()
    for i, text in enumerate(files):
        (tmp_path / "intake" / f"{i}.toml").write_text(text)
    return config


def _errors(config: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as raised:
        load_config(config)
    return [str(e) for e in raised.value.errors]


def test_mail_compiles_with_senders_and_the_contracts_mailto_receivers(tmp_path: Path) -> None:
    mail = load_config(_deployment(tmp_path, MAIL)).intake.mail
    assert mail is not None
    assert (mail.host, mail.port, mail.lmtp) == ("127.0.0.1", 2525, False)
    assert mail.accepts("desk@msp.example")
    assert mail.accepts("DESK+INC-2026-000001@msp.example")
    assert mail.accepts("anyone@support.msp.example")
    assert not mail.accepts("desk@elsewhere.example")
    assert mail.customer_of("IT@acme.example") == "acme"
    assert mail.customer_of("noc@ops.acme.example") == "acme"
    assert mail.customer_of("bob@other.example") == "other"  # its contract's mailto:
    assert mail.customer_of("eve@acme.example") is None


def test_no_mail_section_means_no_receiver(tmp_path: Path) -> None:
    assert load_config(_deployment(tmp_path, "")).intake.mail is None


@pytest.mark.parametrize(("files", "error"), [
    ((MAIL.replace("acme = ", "globex = "),),
     "intake/0.toml:4: mail.senders.globex: unknown customer 'globex'"),
    ((MAIL.replace('acme = ["it@acme.example", "@ops.acme.example"]',
                   'acme = ["it@acme.example"], other = ["it@acme.example"]'),),
     "intake/0.toml:4: mail.senders.other: 'it@acme.example' is already a sender of "
     "customer 'acme'"),
    ((MAIL, MAIL), "intake/1.toml:1: mail: [mail] is already in another intake file"),
    ((MAIL.replace('"127.0.0.1:2525"', '"localhost"'),),
     "intake/0.toml:2: mail.listen: expected HOST:PORT such as "
     "'127.0.0.1:2525', got 'localhost'"),
    ((MAIL.replace('"@support.msp.example"', '"support"'),),
     "intake/0.toml:3: mail.recipients[1]: expected an address such as "
     "'desk@msp.example.com' or a domain such as '@acme.example', got 'support'"),
])
def test_mail_that_cannot_work_is_refused(tmp_path: Path, files: tuple[str, ...],
                                          error: str) -> None:
    assert error in _errors(_deployment(tmp_path, *files))

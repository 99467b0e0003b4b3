"""A provider sends reports under its own name: bridge.toml's [provider] (name, logo,
contact) on every report, the logo embedded; `bridge check` says what is wrong with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bridge.availability.html import as_html
from bridge.availability.monthly import month_report
from bridge.config import ConfigErrors
from bridge.store import Database
from tests.availability.test_reports import NOW, seed
from tests.kits.engine import build_config, device

LOGO = Path(__file__).parents[1] / "data" / "provider-logo.svg"
PROVIDER = """
[provider]
name = "Nordlink IT Services"
logo = "{logo}"
email = "noc@nordlink.example"
phone = "+358 9 4242 4242"
url = "https://nordlink.example/support"
"""


def test_a_report_carries_the_providers_name_logo_and_contact(tmp_path: Path) -> None:
    shutil.copy(LOGO, tmp_path / "logo.svg")
    config = build_config(tmp_path, device("router"), main=PROVIDER.format(logo="logo.svg"))
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    seed(db)
    report = month_report(db.reader, config, "acme", "2026-03", NOW)
    db.dispose()
    provider = report["provider"]
    assert {k: v for k, v in provider.items() if k != "logo"} == {
        "name": "Nordlink IT Services", "email": "noc@nordlink.example",
        "phone": "+358 9 4242 4242", "url": "https://nordlink.example/support"}
    assert provider["logo"].startswith("data:image/svg+xml;base64,")
    page = as_html(report)
    assert f'<img src="{provider["logo"]}" alt="Nordlink IT Services">' in page
    assert "Prepared by Nordlink IT Services" in page
    assert '<a href="mailto:noc@nordlink.example">' in page
    assert "+358 9 4242 4242" in page


@pytest.mark.parametrize(("provider", "files", "message"), [
    ('logo = "missing.png"', {}, "provider.logo: cannot read {root}/missing.png: No such file "
                                 "or directory (the path is relative to bridge.toml)"),
    ('logo = "logo.gif"', {"logo.gif": b"GIF89a"},
     "provider.logo: 'logo.gif' is not a logo bridge can embed: use a .jpeg, .jpg, .png, "
     ".svg, .webp file"),
    ('logo = "logo.png"', {"logo.png": b"<html>not a picture</html>"},
     "provider.logo: logo.png is not a PNG file (its content does not match its name)"),
    ('logo = "logo.png"', {"logo.png": b"\x89PNG" + bytes(300 * 1024)},
     "provider.logo: logo.png is 300 KiB; a logo must be at most 256 KiB (it is in every "
     "report)"),
    ('email = "noc at nordlink"', {},
     "provider.email: expected an email address such as 'noc@msp.example.com', got "
     "'noc at nordlink'"),
    ('url = "nordlink.example"', {},
     "provider.url: expected an http:// or https:// URL, got 'nordlink.example'"),
    ('colour = "blue"', {},
     "provider.colour: unknown key; expected one of: name, logo, email, phone, url"),
])
def test_bridge_check_names_what_is_wrong_with_the_provider(
        tmp_path: Path, provider: str, files: dict[str, bytes], message: str) -> None:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ConfigErrors) as info:
        build_config(tmp_path, device("router"), main=f"[provider]\n{provider}\n")
    assert [str(e) for e in info.value.errors] == [
        f"{tmp_path}/bridge.toml:2: {message.format(root=tmp_path)}"]

"""Message templates: built-in ones per language, which a contract's directory can override.

A template is `<language>/<kind>.txt` (Jinja2, plain text): its first line is the
subject, the body follows after a blank line. Those are what customers read; the
provider's own people read `<language>/staff.txt`, one template for every kind (it sees
`kind`), written for staff: the technical detail and what to do next. Lookup order for
a kind and language: the contract's directory, the built-in set, then both again in
English.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplatesNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bridge.notify.kinds import DIGEST_KIND, NoticeKind

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
STAFF_TEMPLATE = "staff"  # every kind of notice, as the provider's people read it
KINDS = (*(k.value for k in NoticeKind), DIGEST_KIND, STAFF_TEMPLATE)


def builtin_languages() -> list[str]:
    """The languages bridge ships templates for."""
    return sorted(p.name for p in BUILTIN_DIR.iterdir() if p.is_dir())


class TemplateSet:
    """Renders (subject, body) for a kind and language; a contract's directory wins."""

    def __init__(self, override_dir: Path | None = None) -> None:
        self.override_dir = override_dir
        loaders: dict[str, BaseLoader] = {"builtin": FileSystemLoader(BUILTIN_DIR)}
        if override_dir is not None:
            loaders["override"] = FileSystemLoader(override_dir)
        self._env = ImmutableSandboxedEnvironment(
            loader=PrefixLoader(loaders), undefined=StrictUndefined, autoescape=False,
            keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

    def _names(self, kind: str, language: str) -> list[str]:
        names = []
        for lang in dict.fromkeys((language, FALLBACK_LANGUAGE)):
            if self.override_dir is not None:
                names.append(f"override/{lang}/{kind}.txt")
            names.append(f"builtin/{lang}/{kind}.txt")
        return names

    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
        """The subject and body of a message.

        A broken override (`bridge check` reports them) is skipped with a warning rather
        than failing the ticket change whose transaction renders it.
        """
        names = self._names(kind, language)
        for name in names:
            try:
                return split_message(self._env.get_template(name).render(dict(context)))
            except TemplateNotFound:
                continue
            except TemplateError as exc:
                if not name.startswith("override/"):
                    raise
                log.warning("template %s/%s: %s; using the next one", self.override_dir,
                            name.removeprefix("override/"), exc)
        raise TemplatesNotFound(names)

    def check(self, sample: Mapping[str, Any] | None = None) -> list[str]:
        """Problems of the override templates, one sentence each (for config checks)."""
        sample = sample_context() if sample is None else sample
        if self.override_dir is None:
            return []
        if not self.override_dir.is_dir():
            return [f"template directory {self.override_dir} does not exist"]
        problems = []
        for path in sorted(self.override_dir.glob("*/*.txt")):
            name = f"{path.parent.name}/{path.name}"
            if path.stem not in KINDS:
                problems.append(f"{name}: unknown message kind {path.stem!r}; "
                                f"expected one of {', '.join(KINDS)}")
                continue
            try:
                subject, body = split_message(
                    self._env.get_template(f"override/{name}").render(dict(sample)))
            except TemplateSyntaxError as exc:
                problems.append(f"{name}:{exc.lineno}: {exc.message}")
                continue
            except (TemplateError, TemplateNotFound, UnicodeDecodeError) as exc:
                problems.append(f"{name}: {exc}")
                continue
            ref = str(sample.get("ref", ""))
            if path.stem != DIGEST_KIND and ref and (ref not in subject or ref not in body):
                problems.append(f"{name}: subject and body must both show the ticket ID "
                                "({{ ref }})")
        return problems


class TemplateCatalog:
    """What config checks contracts against: the built-in languages, and the problems of a
    contract's own templates folder."""

    def languages(self) -> list[str]:
        """The languages bridge ships templates for."""
        return builtin_languages()

    def problems(self, folder: Path) -> list[str]:
        """Problems of the templates in `folder`, one sentence each."""
        return TemplateSet(folder).check()


class TemplateSets:
    """One TemplateSet per override directory, built once (Jinja re-reads edited files)."""

    def __init__(self) -> None:
        self._sets: dict[Path | None, TemplateSet] = {}

    def get(self, override_dir: Path | None) -> TemplateSet:
        """The set for a contract's directory (None: the built-in templates)."""
        if override_dir not in self._sets:
            self._sets[override_dir] = TemplateSet(override_dir)
        return self._sets[override_dir]


def split_message(text: str) -> tuple[str, str]:
    """First line: the subject; after the blank line: the body."""
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip("\n").rstrip() + "\n"


def sample_context() -> dict[str, Any]:
    """A context with every variable a notice template may use, for checking templates."""
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).isoformat()
    return {"kind": "opened", "ref": "INC-2026-000001", "customer": "demo",
            "customer_id": "demo",
            "device": "demo-router", "priority": "P1", "status": "open",
            "summary": "demo-router is down", "eta": at, "tier": 2, "message": "a message",
            "at": at, "sla_kind": "reaction", "sla_pct": 75, "language": "en", "visit_at": at,
            "confirm_link": "https://desk.msp.example/portal/m/INC-2026-000001/token",
            "comment_link": "https://desk.msp.example/portal/m/INC-2026-000001/token2",
            "count": 3, "more": 1, "refs": ["INC-2026-000001"], "tickets": [
                {"ref": "INC-2026-000001", "kind": "opened", "subject": "s", "summary": "x",
                 "lead": "We opened ticket INC-2026-000001.", "message": "a comment",
                 "at": at, "device": "demo-router", "priority": "P1",
                 "link": "https://desk.msp.example/portal/tickets/INC-2026-000001",
                 "confirm_link": None, "comment_link": None}]}

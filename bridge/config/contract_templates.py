"""Each contract's message templates: its own folder resolved and compiled now (not when a
message is due), and its language covered by built-in or own templates. The templates are
bridge.notify's, handed in: config itself knows no message."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bridge.config.errors import Errors
from bridge.config.model import Customer
from bridge.config.references import Merged


class MessageTemplates(Protocol):
    """The message templates contracts are checked against: bridge.notify's (config itself
    knows no message)."""

    def languages(self) -> Sequence[str]:
        """The languages with built-in templates."""
        ...

    def problems(self, folder: Path) -> list[str]:
        """What is wrong with a contract's own templates folder, one sentence each."""
        ...


def check_languages(merged: Merged, customers: dict[str, Customer], templates: MessageTemplates,
                    errors: Errors) -> None:
    """Each contract's language has templates: built in, or in its own templates folder
    (`customers` has those folders made absolute). Otherwise every message to the
    customer would silently be English."""
    builtin = templates.languages()
    for name, customer in customers.items():
        language = customer.contract.language
        folder = Path(customer.contract.templates) if customer.contract.templates else None
        if language in builtin or (folder is not None and (folder / language).is_dir()):
            continue
        errors.add(merged.customer_origin[name].error(
            ("customers", name, "contract", "language"),
            f"no templates for {language!r}, so every message would be in English; bridge "
            f"has {', '.join(builtin)}, and a contract's templates folder may add "
            f"{language}/"))


def resolve_templates(merged: Merged, base_dir: Path, templates: MessageTemplates | None,
                      errors: Errors) -> dict[str, Customer]:
    """The customers with each contract's templates folder made absolute (it is written
    relative to the file that holds the contract), or an error if it is not a folder or
    a template in it is broken (compiled and rendered with sample values now, not when
    a ticket's message is due)."""
    resolved = dict(merged.customers)
    for name, customer in merged.customers.items():
        folder = customer.contract.templates
        if not folder:
            continue
        source = merged.customer_origin[name]
        path = (base_dir / Path(source.name).parent / folder).resolve()
        if not path.is_dir():
            errors.add(source.error(
                ("customers", name, "contract", "templates"),
                f"folder {folder} does not exist (relative to {source.name}); create it or "
                "remove templates to use the built-in ones"))
            continue
        for problem in templates.problems(path) if templates is not None else ():
            errors.add(source.error(("customers", name, "contract", "templates"),
                                    f"{folder.rstrip('/')}/{problem}"))
        contract = customer.contract.model_copy(update={"templates": str(path)})
        resolved[name] = customer.model_copy(update={"contract": contract})
    return resolved

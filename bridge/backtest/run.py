"""`bridge test-rules FILE…`: load, replay, compare, report; exit 1 on any failure."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from bridge.backtest.compare import compare, describe
from bridge.backtest.replay import replay
from bridge.backtest.timeline import Timeline
from bridge.config import ConfigErrors, load_config
from bridge.config.errors import format_key
from bridge.config.explain import explain
from bridge.config.toml_lines import key_lines, line_of
from bridge.notify.templates import TemplateCatalog


def _load(path: Path) -> tuple[Timeline | None, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return None, [f"{path}: {exc}"]
    try:
        return Timeline.model_validate(data), []
    except ValidationError as exc:
        lines = key_lines(text)
        return None, [f"{path}:{line_of(lines, tuple(e['loc']))}: {format_key(tuple(e['loc']))}: "
                      f"{explain(Timeline, e)}" for e in exc.errors()]


def check_timeline(path: Path, *, verbose: bool = False) -> list[str]:
    """Problems with one timeline file; empty when it passes."""
    timeline, errors = _load(path)
    if timeline is None:
        return errors
    config_path = (path.parent / timeline.config).resolve()
    try:
        # a replay probes nothing
        config = load_config(config_path, templates=TemplateCatalog(), defer_secrets=True)
    except ConfigErrors as exc:
        return [f"{path}: the deployment {config_path} is invalid:"] + [
            f"  {e}" for e in exc.errors]
    unknown = sorted({d for r in timeline.results for d in r.devices} - set(config.devices))
    if unknown:
        return [f"{path}: results name unknown devices: {', '.join(unknown)}"]
    result = replay(timeline, config)
    problems = compare(timeline, result)
    if problems or verbose:
        problems.append("  tickets the replay opened:")
        problems += [f"    {describe(timeline, t)}" for t in result.tickets] or ["    (none)"]
    return problems


def run_timelines(paths: list[Path], *, verbose: bool = False) -> int:
    """Run every file; print a report like `promtool test rules`. 0 if all pass."""
    failed = 0
    for path in paths:
        problems = check_timeline(path, verbose=verbose)
        mismatched = any(not p.startswith("  ") for p in problems)
        if mismatched:
            failed += 1
        print(f"{path}: {'FAILED' if mismatched else 'SUCCESS'}")
        for line in problems:
            print(f"  {line}")
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0

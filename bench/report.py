"""Results of a run: targets judged beside same-run anchors, written as JSON and a Markdown table."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Verdict:
    """One figure beside its anchor, and whether it meets its target (printed, never asserted)."""

    figure: str
    value: float
    unit: str
    anchor: str
    anchor_value: float
    target: str
    passed: bool

    @property
    def ratio(self) -> float:
        return self.value / self.anchor_value if self.anchor_value else float("nan")


def at_least_ratio(figure: str, value: float, unit: str, anchor: str, anchor_value: float,
                   factor: float) -> Verdict:  # fmt: skip
    passed = anchor_value > 0 and value / anchor_value >= factor
    return Verdict(figure, value, unit, anchor, anchor_value, f"≥ {factor:g}× anchor", passed)


def at_least(figure: str, value: float, unit: str, anchor: str, anchor_value: float,
             floor: float) -> Verdict:  # fmt: skip
    return Verdict(
        figure, value, unit, anchor, anchor_value, f"≥ {floor:,.0f} {unit}", value >= floor
    )


@dataclass
class Section:
    """One benchmark: what each contestant measured, the verdicts, and notes."""

    name: str
    title: str
    measurements: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def measure(self, label: str, role: str, figures: dict[str, Any]) -> None:
        self.measurements.append({"label": label, "role": role, **figures})


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


def to_markdown(meta: dict[str, Any], sections: list[Section]) -> str:
    mode = "QUICK smoke run (numbers not meaningful)" if meta["quick"] else "full run"
    lines = [
        f"# Event store benchmark, {meta['started']} ({mode})",
        "",
        f"Commit `{meta['machine']['git_commit']}`, Python {meta['machine']['python']},"
        f" {meta['machine']['cpus']} CPUs, PostgreSQL {meta['postgres']['server_version']}"
        f" (embedded; fsync={meta['postgres']['fsync']},"
        f" synchronous_commit={meta['postgres']['synchronous_commit']},"
        f" shared_buffers={meta['postgres']['shared_buffers']}). Ratios are figure ÷ anchor"
        " from the same run; absolute numbers are noisy on this machine.",
        "",
        "| Benchmark | Figure | Value | Anchor | Anchor value | Ratio | Target | Result |",
        "| --- | --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    for s in sections:
        for v in s.verdicts:
            lines.append(
                f"| {s.title} | {v.figure} | {_num(v.value)} {v.unit} | {v.anchor}"
                f" | {_num(v.anchor_value)} {v.unit} | {v.ratio:.3g}× | {v.target}"
                f" | {'PASS' if v.passed else 'FAIL'} |"
            )
    lines += [
        "",
        "## Measurements",
        "",
        "| Benchmark | Contestant | Role | Events | Seconds | Events/s | p50 ms | p99 ms |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sections:
        for m in s.measurements:
            lines.append(
                f"| {s.title} | {m['label']} | {m['role']} | {_num(m.get('events'))}"
                f" | {_num(m.get('seconds'), 2)} | {_num(m.get('events_per_s'))}"
                f" | {_num(m.get('p50_ms'), 2)} | {_num(m.get('p99_ms'), 2)} |"
            )
    notes = [(s.title, n) for s in sections for n in s.notes]
    if notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {title}: {note}" for title, note in notes]
    return "\n".join(lines) + "\n"


def to_json(meta: dict[str, Any], sections: list[Section]) -> dict[str, Any]:
    return {
        "meta": meta,
        "benchmarks": [
            {
                "name": s.name,
                "title": s.title,
                "measurements": s.measurements,
                "verdicts": [
                    asdict(v) | {"ratio": round(v.ratio, 4) if v.anchor_value else None}
                    for v in s.verdicts
                ],
                "notes": s.notes,
            }
            for s in sections
        ],
    }


def write(meta: dict[str, Any], sections: list[Section]) -> tuple[Path, Path]:
    """Write store-<timestamp>.{json,md} and overwrite latest.{json,md} (each via a .tmp rename)."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    markdown = to_markdown(meta, sections)
    data = json.dumps(to_json(meta, sections), indent=2, ensure_ascii=False) + "\n"
    md_path, json_path = RESULTS / f"store-{stamp}.md", RESULTS / f"store-{stamp}.json"
    for path, text in [
        (md_path, markdown),
        (json_path, data),
        (RESULTS / "latest.md", markdown),
        (RESULTS / "latest.json", data),
    ]:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return md_path, json_path

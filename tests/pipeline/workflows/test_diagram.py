"""The SVG drawing: every step named, coloured by its state, transitions marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sightline.pipeline.workflows.diagram import STATES, render_svg
from sightline.pipeline.workflows.graph import workflow_graph
from sightline.pipeline.workflows.library import parse_definition

NS = "{http://www.w3.org/2000/svg}"

# Every kind of step and edge: a catch, a choice, a waiting loop, nested parallels.
DEFINITION = {
    "name": "everything",
    "start_at": "fetch",
    "steps": {
        "fetch": {
            "type": "task",
            "action": "a",
            "next": "check",
            "catch": [{"errors": ["States.ALL"], "next": "broken"}],
        },
        "check": {
            "type": "choice",
            "choices": [{"variable": "$.fetch.ready", "equals": True, "next": "work"}],
            "default": "pause",
        },
        "pause": {"type": "wait", "seconds": 1, "next": "fetch"},
        "work": {
            "type": "parallel",
            "next": "done",
            "branches": [
                {
                    "start_at": "left",
                    "steps": {"left": {"type": "task", "action": "a", "end": True}},
                },
                {
                    "start_at": "inner",
                    "steps": {
                        "inner": {
                            "type": "parallel",
                            "end": True,
                            "branches": [
                                {"start_at": "deep", "steps": {"deep": {"type": "succeed"}}}
                            ],
                        }
                    },
                },
            ],
        },
        "done": {"type": "succeed"},
        "broken": {"type": "fail", "error": "Broken", "cause": "<&> in cause"},
    },
}


def steps_of(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {
        g.attrib["data-step"]: g.attrib["class"]
        for g in root.iter(f"{NS}g")
        if "data-step" in g.attrib
    }


def test_every_step_is_drawn_with_its_state_class() -> None:
    graph = workflow_graph(parse_definition(DEFINITION))
    states = {
        "fetch": "succeeded",
        "check": "succeeded",
        "work": "running",
        "left": "failed",
        "inner": "retrying",
        "broken": "caught",
    }
    svg = render_svg(graph, states, notes={"left": "StorageError"}, taken=[("fetch", "check")])
    drawn = steps_of(svg)  # also: the SVG is well-formed XML
    assert set(drawn) == {n.id for n in graph.nodes}
    for name, classes in drawn.items():
        assert classes.split()[:2] == ["step", graph.node(name).type]
        assert classes.split()[2] == states.get(name, "not-started")
    assert "failed: StorageError" in svg
    assert 'class="edge next taken" data-source="fetch" data-target="check"' in svg
    assert 'class="edge catch" data-source="fetch" data-target="broken"' in svg
    assert 'data-source="pause" data-target="fetch"' in svg  # the loop, along a lane
    assert "&lt;&amp;&gt;" in svg and "<&>" not in svg


@pytest.mark.parametrize("state", STATES)
def test_each_state_has_a_style(state: str) -> None:
    graph = workflow_graph(parse_definition(DEFINITION))
    svg = render_svg(graph, {"fetch": state})
    assert f".{state}>rect" in svg
    assert steps_of(svg)["fetch"].endswith(state)

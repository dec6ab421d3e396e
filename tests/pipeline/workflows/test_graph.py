"""A definition as nodes and edges, parallel branches included."""

from __future__ import annotations

from sightline.config import PipelineSettings
from sightline.pipeline.workflows.graph import GraphEdge, workflow_graph
from sightline.pipeline.workflows.library import WorkflowLibrary


def test_image_album_graph() -> None:
    graph = workflow_graph(WorkflowLibrary(PipelineSettings()).get("image-album"))
    assert graph.start_at == "extract-metadata"
    nodes = {n.id: n for n in graph.nodes}
    assert (
        nodes["extract-metadata"].start and nodes["extract-metadata"].action == "extract-metadata"
    )
    assert nodes["store-results"].end and nodes["not-supported-image-type"].end
    assert nodes["not-supported-image-type"].error == "NotSupportedImageType"
    assert nodes["analyse"].branches == ["detect-labels", "thumbnail"]
    assert (nodes["detect-labels"].parent, nodes["detect-labels"].branch) == ("analyse", 0)
    assert (nodes["thumbnail"].branch_path, nodes["thumbnail"].start) == ("analyse[1]", True)
    assert [n.id for n in graph.children(None, None)] == [
        "extract-metadata",
        "validate-format",
        "not-supported-image-type",
        "store-metadata",
        "analyse",
        "store-results",
    ]
    edges = {(e.source, e.target): e for e in graph.edges}
    assert edges[("validate-format", "store-metadata")].kind == "choice"
    assert edges[("validate-format", "store-metadata")].label is not None
    assert edges[("validate-format", "not-supported-image-type")] == GraphEdge(
        "validate-format", "not-supported-image-type", "default", "default"
    )
    assert edges[("analyse", "thumbnail")].kind == "branch"
    assert edges[("analyse", "store-results")].kind == "next"

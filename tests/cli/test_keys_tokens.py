from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sightline.cli import app


def run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    created = json.loads(
        run(
            tmp_path,
            "keys",
            "create",
            "--name",
            "ci",
            "--operations",
            "Detect*,CompareFaces",
            "--json",
        )
    )
    assert created["AccessKeyId"].startswith("SLAK")
    assert len(created["SecretAccessKey"]) == 40
    assert created["Operations"] == ["Detect*", "CompareFaces"]

    human = run(tmp_path, "keys", "create")
    assert "SecretAccessKey:" in human and "shown only now" in human

    listed = json.loads(run(tmp_path, "keys", "list", "--json"))
    assert [k["Name"] for k in listed] == ["ci", listed[1]["Name"]]
    assert all("Secret" not in "".join(k) for k in listed)
    assert created["SecretAccessKey"] not in run(tmp_path, "keys", "list")

    assert "Revoked" in run(tmp_path, "keys", "revoke", created["AccessKeyId"])
    assert len(json.loads(run(tmp_path, "keys", "list", "--json"))) == 1
    assert len(json.loads(run(tmp_path, "keys", "list", "--all", "--json"))) == 2


def test_keys_create_refuses_unknown_operations(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path), "keys", "create", "--operations", "DetectUnicorns"]
    )
    assert result.exit_code == 1
    assert "DetectUnicorns" in result.output


def test_tokens_create_list_revoke(tmp_path: Path) -> None:
    created = json.loads(run(tmp_path, "tokens", "create", "--name", "ui", "--json"))
    assert created["token"].startswith("slt_")
    listed = json.loads(run(tmp_path, "tokens", "list", "--json"))
    assert [t["name"] for t in listed] == ["ui"]
    assert created["token"] not in run(tmp_path, "tokens", "list", "--json")
    run(tmp_path, "tokens", "revoke", created["id"])
    assert json.loads(run(tmp_path, "tokens", "list", "--json")) == []
    missing = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "tokens", "revoke", "nope"])
    assert missing.exit_code == 1

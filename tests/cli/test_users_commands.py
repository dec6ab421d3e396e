"""sightline users create|list|disable|enable|passwd."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sightline.accounts.users import UserStore
from sightline.cli import app
from sightline.config import Settings
from sightline.runtime import Runtime


def run(data_dir: Path, *args: str, stdin: str | None = None, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], input=stdin)
    assert result.exit_code == code, result.output
    return result.output


def store(data_dir: Path) -> UserStore:
    return UserStore(Runtime.open(Settings(data_dir=data_dir)).engine)


def test_users_lifecycle(tmp_path: Path) -> None:
    out = run(
        tmp_path, "users", "create", "Root", "--admin", "--password-stdin", stdin="s3cret-pass\n"
    )
    assert "Created admin root" in out
    # Prompted twice, hidden, when not read from standard input.
    run(tmp_path, "users", "create", "ann", stdin="another-pass\nanother-pass\n")
    listed = json.loads(run(tmp_path, "users", "list", "--json"))
    assert [(u["username"], u["role"], u["disabled_at"]) for u in listed] == [
        ("ann", "member", None),
        ("root", "admin", None),
    ]
    assert "root" in run(tmp_path, "users", "list")
    assert store(tmp_path).authenticate("root", "s3cret-pass") is not None

    run(tmp_path, "users", "disable", "ann")
    assert store(tmp_path).authenticate("ann", "another-pass") is None
    run(tmp_path, "users", "enable", "ann")
    run(tmp_path, "users", "passwd", "ann", "--password-stdin", stdin="changed-pass\n")
    assert store(tmp_path).authenticate("ann", "changed-pass") is not None


def test_users_errors_exit_with_a_message(tmp_path: Path) -> None:
    out = run(tmp_path, "users", "create", "bo", "--password-stdin", stdin="short\n", code=1)
    assert "at least 8 characters" in out
    run(tmp_path, "users", "create", "bo", "--password-stdin", stdin="long enough\n")
    assert "exists" in run(
        tmp_path, "users", "create", "BO", "--password-stdin", stdin="long enough\n", code=1
    )
    assert "No user named 'ghost'" in run(tmp_path, "users", "disable", "ghost", code=1)

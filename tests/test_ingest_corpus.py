"""The source list: the real corpus loads, and broken files say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.ingest.corpus import CorpusError, load_sources

ROOT = Path(__file__).resolve().parent.parent
REAL_CORPUS = ROOT / "corpus" / "sources.toml"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_real_corpus_loads() -> None:
    specs = load_sources(REAL_CORPUS)
    assert len(specs) == 11
    ids = [spec.id for spec in specs]
    assert len(set(ids)) == len(ids)
    article = specs[ids.index("article")]
    assert article.path is not None and Path(article.path).is_absolute()
    assert Path(article.path).is_file()
    assert Path(article.path) == ROOT / "corpus" / "article.txt"
    cpc = specs[ids.index("ifri-cpc")]
    assert cpc.landing_page and cpc.url and cpc.url.startswith("https://")


def test_relative_paths_resolve_against_the_toml_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("hello", encoding="utf-8")
    path = write(tmp_path, '[[source]]\nid = "a"\npath = "texts/a.txt"\n')
    monkeypatch.chdir("/")
    [spec] = load_sources(path)
    assert spec.path == str(tmp_path / "texts" / "a.txt")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"nope\.toml does not exist; pass --corpus"):
        load_sources(tmp_path / "nope.toml")


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[source]]\nid = "a"\nurl = "https://example.org/"\ntitle = oops\n')
    with pytest.raises(CorpusError) as caught:
        load_sources(path)
    message = str(caught.value)
    assert "not valid TOML" in message and "line 4" in message and str(path) in message


def test_duplicate_id(tmp_path: Path) -> None:
    entry = '[[source]]\nid = "same"\nurl = "https://example.org/{n}"\n'
    path = write(tmp_path, entry.format(n=1) + entry.format(n=2))
    with pytest.raises(CorpusError, match=r"duplicate source id 'same' \(entries #1 and #2\)"):
        load_sources(path)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('id = "a"\n', r"source #2 \(id 'a'\) is invalid: .*give exactly one of `url` or `path`"),
        (
            'id = "a"\nurl = "https://x.org/"\npath = "a.txt"\n',
            r"source #2 \(id 'a'\).*exactly one of `url` or `path`",
        ),
        ('id = "Bad Id"\nurl = "https://x.org/"\n', r"source #2 \(id 'Bad Id'\).*`id`: must be"),
        ('url = "https://x.org/"\n', r"source #2 is invalid: `id`: Field required"),
        ('id = "a"\nurl = "https://x.org/"\ntitel = "x"\n', r"`titel`: unknown field"),
        ('id = "a"\nurl = "https://x.org/"\nlanding_page = "perhaps"\n', r"`landing_page`:"),
        (
            'id = "a"\nurl = "https://x.org/"\nlanding_page = true\npdf_link = "(unclosed"\n',
            r"`pdf_link`: not a valid regular expression",
        ),
    ],
)
def test_invalid_entry_names_entry_and_field(tmp_path: Path, entry: str, expected: str) -> None:
    good = '[[source]]\nid = "good"\nurl = "https://example.org/"\n'
    path = write(tmp_path, good + "[[source]]\n" + entry)
    with pytest.raises(CorpusError, match=expected):
        load_sources(path)


def test_no_sources(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="lists no sources"):
        load_sources(write(tmp_path, "# nothing yet\n"))


def test_misspelt_table_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nid = "a"\nurl = "https://example.org/"\n')
    with pytest.raises(CorpusError, match=r"unknown top-level key.*'sources'.*singular"):
        load_sources(path)

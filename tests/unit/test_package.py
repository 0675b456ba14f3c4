from contacts311 import _package


def _digest_of(tmp_path, monkeypatch):
    monkeypatch.setattr(_package, "package_root", lambda: tmp_path)
    monkeypatch.setattr(_package, "_DIGEST", None)
    return _package.code_digest()


def test_the_digest_follows_every_package_file_but_compiled_caches(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("<p>\n")
    first = _digest_of(tmp_path, monkeypatch)
    assert len(first) == 64
    assert _digest_of(tmp_path, monkeypatch) == first

    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert _digest_of(tmp_path, monkeypatch) == first

    (tmp_path / "templates" / "page.html").write_text("<p>edited\n")
    assert _digest_of(tmp_path, monkeypatch) != first


def test_the_digest_is_computed_once_per_process(monkeypatch):
    monkeypatch.setattr(_package, "_DIGEST", "cached")
    assert _package.code_digest() == "cached"

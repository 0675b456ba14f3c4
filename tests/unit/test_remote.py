"""Remote data folders: URLs, secrets kept out of messages, listing rules and fault wording."""

from pathlib import Path

import fsspec
import pytest

from contacts311 import remote
from contacts311.errors import InputError


@pytest.mark.parametrize(
    ("url", "scheme", "protocol", "bucket", "prefix"),
    [
        ("abfs://landing/zendesk", "abfs", "abfs", "landing", "zendesk"),
        ("az://landing/zendesk/", "az", "abfs", "landing", "zendesk"),
        ("S3://exports//connect/ctr/", "s3", "s3", "exports", "connect/ctr"),
        ("s3://exports", "s3", "s3", "exports", ""),
    ],
)
def test_parse_url(url, scheme, protocol, bucket, prefix):
    folder = remote.parse_url(url)
    assert (folder.scheme, folder.protocol, folder.bucket, folder.prefix) == (
        scheme,
        protocol,
        bucket,
        prefix,
    )


def test_folder_urls():
    folder = remote.parse_url("az://landing/zendesk/")
    assert folder.url == "az://landing/zendesk"
    assert folder.root == "landing/zendesk"
    assert folder.object_url("a/b.csv") == "az://landing/zendesk/a/b.csv"
    assert remote.parse_url("s3://b").url == "s3://b"


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3:///prefix", "s3://b/../x", "gs://bucket/x", "s3://b/x?sig=1"],
)
def test_parse_url_refuses(url):
    with pytest.raises(InputError):
        remote.parse_url(url)


def test_credentials_in_url_are_refused_without_echoing_them():
    with pytest.raises(InputError) as info:
        remote.parse_url("abfs://user:CANARYsecret123@landing/zendesk")
    assert "CANARYsecret123" not in str(info.value)
    assert "environment" in str(info.value)


def test_is_remote_and_location():
    assert remote.is_remote("abfs://landing/zendesk")
    assert remote.is_remote("s3://b/p")
    assert not remote.is_remote("data/raw/sample")
    assert not remote.is_remote(Path("s3://b/p"))  # already folded: a local name
    assert not remote.is_remote(None)
    assert not remote.is_remote("https://example.org/x")
    assert remote.location("s3://b/p") == "s3://b/p"
    assert remote.location("data/raw") == Path("data/raw")


def test_redact_scrubs_environment_secrets(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "CANARYawsSecret0001")
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=CANARYazureKey0002==;"
        "BlobEndpoint=http://127.0.0.1:1/acct;",
    )
    text = "failed with key CANARYawsSecret0001 and CANARYazureKey0002== in the message"
    out = remote.redact(text)
    assert "CANARY" not in out
    assert out.count("***") == 2


def test_redact_scrubs_secret_patterns():
    out = remote.redact(
        "AccountKey=abc123def;BlobEndpoint=x https://h/b?sv=1&sig=SIGNATURE123&se=2 "
        "X-Amz-Signature=deadbeef Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x"
    )
    for secret in ("abc123def", "SIGNATURE123", "deadbeef", "AWS4-HMAC"):
        assert secret not in out
    assert "BlobEndpoint=x" in out  # only the secrets go
    assert "sv=1" in out


def test_redact_keeps_short_values(monkeypatch):
    # A one-letter "secret" would scrub every 'a' from every message.
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a")
    assert remote.redact("a plain sentence") == "a plain sentence"


@pytest.fixture
def memory_folder():
    fs = fsspec.filesystem("memory", skip_instance_cache=True)
    fs.store.clear()
    fs.pipe(
        {
            "/lake/landing/zendesk/tickets.csv": b"id\n1\n",
            "/lake/landing/phone/a.txt": b"x" * 10,
            "/lake/landing/_truth/expected.csv": b"hidden",
            "/lake/landing/.hidden": b"hidden",
            "/lake/landing/zendesk/.part": b"hidden",
        }
    )
    yield fs
    fs.store.clear()


def test_list_objects_lists_hidden_and_underscore_objects_for_the_survey(memory_folder):
    # The local copy's survey skips them into the ledger as not_an_export, as for a folder.
    folder = remote.RemoteFolder("s3", "s3", "/lake", "landing")
    names = [o.name for o in remote.list_objects(folder, memory_folder)]
    assert "phone/a.txt" in names and "zendesk/tickets.csv" in names
    assert any(n.startswith(("_", ".")) or "/_" in n or "/." in n for n in names)


def test_list_objects_empty_folder_is_an_error(memory_folder):
    folder = remote.RemoteFolder("s3", "s3", "/lake", "nothing-here")
    with pytest.raises(InputError, match="no exports in this remote folder"):
        remote.list_objects(folder, memory_folder)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (FileNotFoundError("s3://b/k"), "missing"),
        (PermissionError("Forbidden"), "denied"),
        (OSError("An error occurred (SlowDown) when calling GetObject"), "throttled"),
        (OSError("Cannot connect to host 127.0.0.1:9 ssl:default"), "unreachable"),
        (ValueError("something else"), "other"),
    ],
)
def test_fault_kinds(exc, kind):
    assert remote._fault(exc) == kind


def test_throttling_is_retried_a_bounded_number_of_times(monkeypatch):
    monkeypatch.setattr(remote, "BACKOFF_SECONDS", 0.0)
    calls = []

    def throttled():
        calls.append(1)
        raise OSError("SlowDown: Please reduce your request rate.")

    with pytest.raises(InputError) as info:
        remote._retrying("s3://b/k", throttled)
    assert len(calls) == remote.ATTEMPTS
    assert "throttling" in str(info.value) and str(remote.ATTEMPTS) in str(info.value)
    assert "\n" not in str(info.value)


def test_throttling_then_success(monkeypatch):
    monkeypatch.setattr(remote, "BACKOFF_SECONDS", 0.0)
    answers = iter([OSError("503 Service Unavailable"), OSError("SlowDown"), "done"])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert remote._retrying("s3://b/k", flaky) == "done"


def test_other_failures_are_not_retried_and_are_redacted(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "CANARYawsSecret0003")
    calls = []

    def broken():
        calls.append(1)
        raise ValueError("bad answer signed with CANARYawsSecret0003")

    with pytest.raises(InputError) as info:
        remote._retrying("s3://b/k", broken)
    assert len(calls) == 1
    assert "CANARY" not in str(info.value)
    assert str(info.value).startswith("s3://b/k: cannot read from the store (ValueError")


def test_local_folder_is_given_back_unchanged(tmp_path):
    with remote.local_copy(tmp_path) as got:
        assert got == tmp_path
    with remote.local_copy(None) as got:
        assert got is None


@pytest.mark.parametrize(
    ("pattern", "name", "chosen"),
    [
        ("**/*", "a.csv", True),
        ("**/*", "x/y/a.csv", True),
        ("**/*", ".DS_Store", False),  # as a local glob: * never matches a leading dot
        ("**/*", ".git/x.csv", False),
        ("*.csv", "a.csv", True),
        ("*.csv", "x/a.csv", False),  # * stays within one name
        ("x/**/*.gz", "x/b.gz", True),
        ("x/**/*.gz", "x/a/b.gz", True),
        ("[ab].txt", "b.txt", True),
        ("[!ab].txt", "a.txt", False),
        ("a+b(1).csv", "a+b(1).csv", True),  # other characters are literal
    ],
)
def test_source_url_globs_choose_like_local_globs(pattern, name, chosen):
    assert bool(remote._glob_regex(pattern).fullmatch(name)) is chosen

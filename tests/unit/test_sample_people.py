"""The sample's fake people."""

from __future__ import annotations

from contacts311.sample.people import fake_pii_markers


def test_fake_pii_markers_cover_names_domain_and_phone_prefix():
    markers = fake_pii_markers()
    assert "Avery Quinlan" in markers
    assert "example.org" in markers
    assert "555-01" in markers

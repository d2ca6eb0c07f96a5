"""Which address failed sign-ins are counted against: X-Forwarded-For only from a trusted proxy."""

import pytest

from tracker.web import client_address, trusted_proxy


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded_for", "client"),
    [
        ("", "10.0.0.5", None, "10.0.0.5"),
        # Anyone can send the header: from an untrusted peer it is ignored.
        ("", "10.0.0.5", "192.0.2.1", "10.0.0.5"),
        ("127.0.0.1", "10.0.0.5", "192.0.2.1", "10.0.0.5"),
        ("127.0.0.1", "127.0.0.1", "192.0.2.1", "192.0.2.1"),
        # A browser that writes its own header cannot choose its address: the proxy appends the real one.
        ("127.0.0.1", "127.0.0.1", "198.51.100.9, 192.0.2.1", "192.0.2.1"),
        # Two proxies in a row, both trusted (one by network).
        ("127.0.0.1, 10.1.0.0/16", "127.0.0.1", "198.51.100.9, 192.0.2.1, 10.1.2.3", "192.0.2.1"),
        ("::1", "::1", "2001:db8::7", "2001:db8::7"),
        ("127.0.0.1", "127.0.0.1", "", "127.0.0.1"),
        ("", None, None, "unknown"),
    ],
)
def test_the_client_address_comes_from_forwarded_for_only_through_trusted_proxies(
    monkeypatch, trusted, peer, forwarded_for, client
):
    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", trusted)

    assert client_address(peer, forwarded_for) == client


def test_a_malformed_address_is_never_trusted(monkeypatch):
    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", "127.0.0.1")

    assert not trusted_proxy("not an address") and not trusted_proxy(None)


def test_an_entry_that_is_no_address_is_left_out_of_the_trusted_proxies(monkeypatch):
    monkeypatch.setenv("TRACKER_TRUSTED_PROXIES", "proxy.example.org, 127.0.0.1")

    assert client_address("127.0.0.1", "192.0.2.1") == "192.0.2.1"
    assert client_address("10.0.0.9", "192.0.2.1") == "10.0.0.9"

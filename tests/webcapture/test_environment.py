"""The capture-environment record's readings of the hosts file, resolv.conf and proxies."""

from __future__ import annotations

from evidence.webcapture.environment import hosts_non_default, proxy_variables, resolvers

DEBIAN_HOSTS = """127.0.0.1\tlocalhost
127.0.1.1\tbox.example.org\tbox

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
"""


def test_stock_hosts_file_has_no_non_default_entries() -> None:
    assert hosts_non_default(DEBIAN_HOSTS, ("box", "box.example.org")) == []


def test_altered_hosts_entries_are_listed_as_written() -> None:
    text = DEBIAN_HOSTS + "203.0.113.7   shop.example.com  www.shop.example.com # pinned\n" \
        "127.0.0.1 tracker.example.net\n"
    assert hosts_non_default(text, ("box",)) == [
        "127.0.1.1 box.example.org box",  # box.example.org is not one of the own names given
        "203.0.113.7 shop.example.com www.shop.example.com",
        "127.0.0.1 tracker.example.net",  # loopback, but not a loopback name: a block
    ]


def test_resolvers_read_nameservers_search_and_options() -> None:
    text = "# generated\nnameserver 10.0.0.53\nnameserver 2001:db8::53 ; second\n" \
        "search corp.example\noptions ndots:2 timeout:1\n"
    assert resolvers(text) == {"nameservers": ["10.0.0.53", "2001:db8::53"],
                               "search": ["corp.example"], "options": ["ndots:2", "timeout:1"]}


def test_proxy_credentials_are_never_recorded() -> None:
    env = {"HTTPS_PROXY": "http://alice:s3cret@proxy.corp:3128", "no_proxy": "localhost",
           "PATH": "/usr/bin", "http_proxy": "proxy.corp:8080"}
    got = proxy_variables(env)
    assert got == {"HTTPS_PROXY": "http://[credentials removed]@proxy.corp:3128",
                   "http_proxy": "proxy.corp:8080", "no_proxy": "localhost"}
    assert "s3cret" not in repr(got) and "alice" not in repr(got)


def test_a_proxy_password_goes_to_the_browser_never_to_the_record() -> None:
    from evidence.webcapture.page import WebCapturer, _proxy_settings

    url = "http://alice:s%40cret@proxy.corp:3128"
    assert _proxy_settings(url) == {"server": "http://proxy.corp:3128", "username": "alice",
                                    "password": "s@cret"}
    assert _proxy_settings("proxy.corp:8080") == {"server": "http://proxy.corp:8080"}
    capturer = WebCapturer(browser="/bin/sh", proxy=url)  # not started: no browser needed
    assert capturer.proxy == "http://[credentials removed]@proxy.corp:3128"
    assert capturer.args == []  # a proxy given: no --no-proxy-server

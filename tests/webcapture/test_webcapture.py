"""Web capture against a local HTTPS shop in the system's Chromium (issue 18).

One browser and one server serve the whole module (CPU is scarce); the listing is captured
once and its bundle checked by several tests. Skipped, with the reason shown, when no
Chromium is installed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from evidence.errors import InputError
from evidence.keys import SigningKey
from evidence.webcapture import BrowserMissingError, WebCapturer, WebOptions, capture_web
from evidence.webcapture.browser import find_browser

from .site import PAGE_HEIGHT, PHOTO_RGB, PHOTO_SIZE, PHOTO_TOP, PRICE, Site, closed_port, serve

try:
    find_browser()
except BrowserMissingError as exc:  # visible in the -ra summary
    pytest.skip(f"no Chromium for the web-capture tests ({exc})", allow_module_level=True)

VIEWPORT = (1280, 800)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[WebCapturer]:
    with WebCapturer(trusted_spki=[site.spki]) as cap:
        yield cap


@pytest.fixture(scope="module")
def key() -> SigningKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    private = Ed25519PrivateKey.generate()
    return SigningKey(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw), private)


@pytest.fixture(scope="module")
def listing(site: Site, browser: WebCapturer, key: SigningKey,
            tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("listing") / "bundle"
    capture_web([f"{site.base}/listing/123"], out=out, case="2026-CN-0042", key=key,
                capturer=browser, note="seller acme-outlet-88",
                options=WebOptions(scroll=True, click="#accept-cookies",
                                   wait_for="#price .amount", timeout=20))
    return out


def _page(bundle: Path, n: int = 1) -> dict:
    return json.loads((bundle / f"data/files/web/page-{n:03d}/page.json").read_bytes())


def test_listing_verifies_as_a_bundle_with_every_web_item(listing: Path) -> None:
    from evidence.bundle.integrity import check_integrity

    report = check_integrity(listing)
    assert report.intact, [f.message for f in report.findings]
    paths = {i.path for i in report.items}
    folder = "data/files/web/page-001/"
    assert {folder + n for n in ("page.json", "screenshot-full.png", "screenshot-viewport.png",
                                 "dom.html", "text.txt", "network.har", "archive.warc.gz",
                                 "certificate-chain.pem")} | {
        "data/files/web/environment.json"} == paths
    web = report.provenance["web"]
    page = web["pages"][0]
    assert page["url"].endswith("/listing/123")
    assert page["final_url"].endswith("/item/123?ref=listing")
    assert page["files"]["screenshot_full"] == folder + "screenshot-full.png"
    assert page["certificate"]["subject"].startswith("CN=localhost,")
    assert "Evidence Test CA" in page["certificate"]["issuer"]
    assert report.provenance["source_url"] == page["url"]


def test_listing_holds_what_a_person_sees(listing: Path) -> None:
    folder = listing / "data/files/web/page-001"
    text = (folder / "text.txt").read_text("utf-8")
    assert PRICE in text  # rendered by JavaScript after load
    assert "Ships from: Shenzhen" in text
    assert "We use cookies" not in text  # the banner was clicked away
    dom = (folder / "dom.html").read_text("utf-8")
    # the lazy photo was loaded by scrolling (its src set; data-src is there from the start)
    assert re.search(r'<img [^>]*(?<!data-)src="/img/shoe-1\.png"', dom)
    record = _page(listing)
    assert record["options"]["clicked"] is True
    assert record["http_status"] == 200 and not record["partial"]
    assert record["redirects"] == [{"url": record["url"], "status": 302,
                                    "location": "/item/123?ref=listing"}]


def test_screenshots_have_the_page_size_and_show_the_lazy_photo(listing: Path) -> None:
    folder = listing / "data/files/web/page-001"
    record = _page(listing)
    with Image.open(folder / "screenshot-full.png") as full:
        assert full.size == (VIEWPORT[0], PAGE_HEIGHT)
        assert (record["page_size"]["width"], record["page_size"]["height"]) == full.size
        # the middle of the lazily loaded photo, as painted
        assert full.convert("RGB").getpixel((40 + PHOTO_SIZE[0] // 2,
                                             PHOTO_TOP + PHOTO_SIZE[1] // 2)) == PHOTO_RGB
    with Image.open(folder / "screenshot-viewport.png") as view:
        assert view.size == VIEWPORT


def test_warc_reads_back_with_the_main_body_and_every_exchange(listing: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    responses: dict[str, tuple[int, bytes]] = {}
    requests = set()
    with (listing / "data/files/web/page-001/archive.warc.gz").open("rb") as fh:
        for rec in ArchiveIterator(fh):
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            if rec.rec_type == "response":
                assert rec.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
                responses[uri.split("/", 3)[-1]] = (int(rec.http_headers.get_statuscode()),
                                                    rec.content_stream().read())
            elif rec.rec_type == "request":
                requests.add(uri.split("/", 3)[-1])
    assert responses["listing/123"][0] == 302
    status, body = responses["item/123?ref=listing"]
    assert status == 200 and b"<h1>Acme Trail Runner 3</h1>" in body
    assert b'"amount":"459.00"' in responses["api/price/123"][1]
    assert responses["img/shoe-1.png"][1].startswith(b"\x89PNG")
    assert set(responses) <= requests


def test_certificate_chain_and_addresses_are_recorded(listing: Path) -> None:
    from cryptography import x509

    folder = listing / "data/files/web/page-001"
    certs = x509.load_pem_x509_certificates((folder / "certificate-chain.pem").read_bytes())
    assert certs[0].subject.rfc4514_string().startswith("CN=localhost,")
    record = _page(listing)
    assert record["tls"]["chain"][0]["subject"].startswith("CN=localhost,")
    assert record["tls"]["accepted_by_browser"] is True
    # accepted because the test pinned its key: the record says so
    assert record["tls"]["key_pinned_for_capture"] is True
    assert [f["code"] for f in record["findings"]] == ["tls-pinned"]
    assert record["resolved"]["browser_connected_to"] == ["127.0.0.1"]
    assert "127.0.0.1" in record["resolved"]["system_resolver"]


def test_environment_record(listing: Path, site: Site) -> None:
    env = json.loads((listing / "data/files/web/environment.json").read_bytes())
    assert env["browser"]["version"].split(".")[0].isdigit()
    assert env["page"]["viewport"] == {"width": VIEWPORT[0], "height": VIEWPORT[1]}
    assert "HeadlessChrome" in env["page"]["user_agent"]
    assert env["proxy"]["browser"].startswith("none")
    assert env["certificates"]["trusted_for_this_capture_spki_sha256"] == [site.spki]
    assert f"--ignore-certificate-errors-spki-list={site.spki}" in env["browser"]["switches"]
    assert env["clock"]["tsa_comparison"]["status"] == "not configured"
    assert isinstance(env["hosts_file"]["non_default_entries"], list)


def test_http_error_status_is_captured_and_marked(site: Site, browser: WebCapturer,
                                                   key: SigningKey, tmp_path: Path) -> None:
    out = tmp_path / "b"
    result = capture_web([f"{site.base}/missing"], out=out, case="C", key=key,
                         capturer=browser, options=WebOptions(timeout=10))
    assert result.pages[0].http_status == 404
    assert "http-error" in result.pages[0].findings
    assert "Listing removed" in (out / "data/files/web/page-001/text.txt").read_text()


def test_never_finishing_page_is_captured_partial(site: Site, browser: WebCapturer,
                                                  key: SigningKey, tmp_path: Path) -> None:
    out = tmp_path / "b"
    result = capture_web([f"{site.base}/slow"], out=out, case="C", key=key,
                         capturer=browser, options=WebOptions(timeout=2))
    page = result.pages[0]
    assert page.partial and "load-timeout" in page.findings
    assert "Still loading" in (out / "data/files/web/page-001/text.txt").read_text()
    assert _page(out)["partial"] is True


def test_untrusted_tls_is_refused_unless_allowed(browser: WebCapturer, key: SigningKey,
                                                 tmp_path: Path) -> None:
    with serve() as other:  # another CA, whose key the browser was not told to accept
        url = f"{other.base}/item/123"
        with pytest.raises(InputError, match=r"TLS certificate not accepted.*--allow-insecure"):
            capture_web([url], out=tmp_path / "refused", case="C", key=key, capturer=browser)
        assert not (tmp_path / "refused").exists()
        result = capture_web([url], out=tmp_path / "b", case="C", key=key, capturer=browser,
                             options=WebOptions(allow_insecure=True, timeout=10))
    assert "tls-error" in result.pages[0].findings
    record = _page(tmp_path / "b")
    assert record["tls"]["accepted_by_browser"] is False
    assert [f["code"] for f in record["findings"]] == ["tls-error"]
    assert record["tls"]["key_pinned_for_capture"] is False


@pytest.mark.parametrize(("path", "options", "message"), [
    ("unreachable", WebOptions(timeout=10), r"cannot connect to 127\.0\.0\.1 \(ERR_CONNECTION"),
    ("dns", WebOptions(timeout=10), r"could not be resolved \(DNS failure"),
    ("/download", WebOptions(timeout=10), r"a file to download, not a page"),
    ("/hang", WebOptions(timeout=2), r"no response within 2 s"),
    ("/big-image", WebOptions(timeout=10, max_page_bytes=50_000),
     r"responses total \d+ bytes, more than the limit of 50000"),
    ("/big-dom", WebOptions(timeout=10, max_page_bytes=50_000),
     r"rendered page is \d+ bytes, more than the limit of 50000"),
])
def test_bad_pages_leave_no_bundle(site: Site, browser: WebCapturer, key: SigningKey,
                                   tmp_path: Path, path: str, options: WebOptions,
                                   message: str) -> None:
    url = {"unreachable": f"https://127.0.0.1:{closed_port()}/",
           "dns": "https://no-such-host.invalid/"}.get(path, site.base + path)
    out = tmp_path / "b"
    with pytest.raises(InputError, match=message) as err:
        capture_web([url], out=out, case="C", key=key, capturer=browser, options=options)
    assert "\n" not in str(err.value)
    assert os.listdir(tmp_path) == []  # no bundle, no temporary folder


def test_wacz_packages_the_warc_and_validates(site: Site, browser: WebCapturer,
                                             key: SigningKey, tmp_path: Path) -> None:
    pytest.importorskip("wacz", reason="the optional wacz package is not installed")
    import hashlib
    import subprocess
    import sys
    import zipfile

    out = tmp_path / "b"
    result = capture_web([f"{site.base}/item/123"], out=out, case="C", key=key,
                         capturer=browser, options=WebOptions(timeout=10, wacz=True))
    wacz = out / "data/files/web/archive.wacz"
    assert (out / "evidence/provenance.json").read_text().count('"wacz":"data/files/web/') == 1
    check = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    warc = (out / "data/files/web/page-001/archive.warc.gz").read_bytes()
    with zipfile.ZipFile(wacz) as z:
        package = json.loads(z.read("datapackage.json"))
        stored = {r["path"]: r["hash"] for r in package["resources"]}
        assert stored["archive/archive.warc.gz"] == "sha256:" + hashlib.sha256(warc).hexdigest()
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()[1:]]
    assert [p["url"] for p in pages] == [result.pages[0].final_url]


def test_plain_http_page_in_another_locale_and_time_zone(browser: WebCapturer, key: SigningKey,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "b"
    with serve(tls=False) as plain:
        result = capture_web([f"{plain.base}/item/123"], out=out, case="C", key=key,
                             capturer=browser,
                             options=WebOptions(timeout=10, locale="zh-CN",
                                                timezone="Asia/Shanghai"))
    page = result.pages[0]
    assert page.certificate_subject is None and "certificate_chain" not in page.files
    assert not (out / "data/files/web/page-001/certificate-chain.pem").exists()
    record = _page(out)
    assert record["tls"] is None and record["http_status"] == 200
    assert record["browser_reported"]["time_zone"] == "Asia/Shanghai"
    assert record["browser_reported"]["language"] == "zh-CN"
    env = json.loads((out / "data/files/web/environment.json").read_bytes())
    assert env["page"]["time_zone"] == "Asia/Shanghai"


def test_options_that_miss_and_a_too_tall_page_are_findings(
        site: Site, browser: WebCapturer, key: SigningKey, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import evidence.webcapture.page as page_module

    monkeypatch.setattr(page_module, "MAX_SCREENSHOT_HEIGHT", 1000)
    monkeypatch.setattr(page_module, "CLICK_TIMEOUT_S", 1.0)
    out = tmp_path / "b"
    result = capture_web([f"{site.base}/item/123"], out=out, case="C", key=key,
                         capturer=browser,
                         options=WebOptions(timeout=1, wait_for="#no-such-thing",
                                            click="#no-such-button"))
    page = result.pages[0]
    assert page.partial  # the awaited element never came
    assert set(page.findings) == {"wait-for-timeout", "click-missed", "screenshot-clipped",
                                  "tls-pinned"}
    record = _page(out)
    assert record["options"]["clicked"] is False
    assert record["screenshots"]["full_clipped"] is True
    with Image.open(out / "data/files/web/page-001/screenshot-full.png") as full:
        assert full.size == (VIEWPORT[0], 1000)


def test_several_pages_in_one_bundle(site: Site, browser: WebCapturer, key: SigningKey,
                                     tmp_path: Path) -> None:
    from evidence.bundle.integrity import check_integrity

    out = tmp_path / "b"
    urls = [f"{site.base}/item/123", f"{site.base}/missing"]
    result = capture_web(urls, out=out, case="C", key=key, capturer=browser,
                         options=WebOptions(timeout=10))
    assert [p.page for p in result.pages] == [1, 2]
    assert [_page(out, n)["url"] for n in (1, 2)] == urls
    report = check_integrity(out)
    assert report.intact
    assert [p["url"] for p in report.provenance["web"]["pages"]] == urls
    assert "source_url" not in report.provenance  # one URL would be; two are in web.pages
    assert {i.path.split("/")[3] for i in report.items} == {"page-001", "page-002",
                                                           "environment.json"}


def test_existing_output_is_refused_before_the_browser_starts(
        site: Site, key: SigningKey, tmp_path: Path) -> None:
    from evidence.errors import BundleExistsError

    (tmp_path / "b").mkdir()
    with pytest.raises(BundleExistsError, match="never overwritten"):
        capture_web([f"{site.base}/item/123"], out=tmp_path / "b", case="C", key=key,
                    browser=tmp_path / "not-even-looked-at")
    with pytest.raises(InputError, match="not an http:// or https:// URL"):
        capture_web(["file:///etc/passwd"], out=tmp_path / "c", case="C", key=key)


def test_page_and_environment_records_follow_their_schemas(listing: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schemas = Path(__file__).resolve().parents[2] / "evidence" / "schemas"
    for name, path in (("web-page", "page-001/page.json"), ("web-environment",
                                                              "environment.json")):
        schema = json.loads((schemas / f"{name}.schema.json").read_bytes())
        jsonschema.Draft202012Validator.check_schema(schema)
        doc = json.loads((listing / "data/files/web" / path).read_bytes())
        jsonschema.Draft202012Validator(schema).validate(doc)

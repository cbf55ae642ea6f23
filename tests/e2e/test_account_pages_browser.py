"""The account pages in real Chromium against a real `spacehost up` of this module's own (a
fresh data dir, so the first-start page is open): the first admin made on /setup, a wrong then
a right password on /sign-in, a token made on /settings/tokens and used by huggingface_hub's
``whoami`` in a fresh process, sign-out, a page of another origin that makes the signed-in
browser post to the platform (refused: 403, nothing changed), and throttled sign-ins (429, the
wait shown). The throttling test runs last: it locks this machine's address out for a while."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.chromium import BROWSER_TESTS
from tests.e2e.conftest import Running, start_platform, stop_platform
from tests.e2e.huggingface import hf
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = BROWSER_TESTS

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    proc, running = start_platform(tmp_path_factory.mktemp("accounts"), free_port())
    try:
        yield running
    finally:
        stop_platform(proc, running, "accounts")


def operator(up: Running) -> dict[str, str]:
    return {"Authorization": f"Bearer {(up.data_dir / 'token').read_text().strip()}"}


def api(up: Running, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, f"{up.url}{path}", headers=operator(up), timeout=30, **kw)


def ensure_admin(up: Running, name: str) -> None:
    """*name* as an admin (made on /setup by the first test, or here when run alone)."""
    body = {"name": name, "password": PASSWORD, "admin": True}
    made = api(up, "POST", "/api/users", json=body)
    assert made.status_code in (201, 409), made.text


def sign_in(page: Page, up: Running, name: str, password: str, nxt: str = "/") -> None:
    page.goto(f"{up.url}/sign-in?next={nxt}")
    page.fill("#sign-in input[name=name]", name)
    page.fill("#sign-in input[name=password]", password)
    page.click("#sign-in button[type=submit]")


def test_setup_makes_the_first_admin_and_signs_them_in(page: Page, up: Running) -> None:
    page.goto(f"{up.url}/setup")
    page.fill("#setup input[name=name]", "root")
    page.fill("#setup input[name=password]", PASSWORD)
    page.click("#setup button[type=submit]")
    expect(page.locator("#user-name")).to_have_text("root")
    assert page.goto(f"{up.url}/setup").status == 404  # once an admin exists
    page.click("#user-name")
    expect(page.locator("a[href='/admin']")).to_be_visible()


def test_sign_in_make_a_token_use_it_and_sign_out(page: Page, up: Running, tmp_path: Path) -> None:
    api(up, "POST", "/api/users", json={"name": "bob", "password": PASSWORD}).raise_for_status()
    sign_in(page, up, "bob", "not the password", "/settings/tokens")
    expect(page.locator("#sign-in .form-error")).to_contain_text("wrong user name or password")
    sign_in(page, up, "bob", PASSWORD, "/settings/tokens")
    page.wait_for_url(f"{up.url}/settings/tokens")
    expect(page.locator("#user-name")).to_have_text("bob")
    page.fill("#new-token-form input[name=name]", "laptop")
    page.select_option("#new-token-form select[name=role]", "read")
    page.click("#new-token-form button[type=submit]")
    value = page.locator("#new-token-value")
    expect(value).to_contain_text("hf_")
    token = value.inner_text().strip()
    me = hf(
        up,
        tmp_path,
        f"from huggingface_hub import whoami\nprint(json.dumps(whoami(token={token!r})))",
    )
    assert (me["name"], me["auth"]["accessToken"]["role"]) == ("bob", "read")
    page.reload()
    expect(page.locator("#tokens")).to_contain_text("laptop")
    page.click("#user-name")
    page.click("#sign-out")
    page.wait_for_url(f"{up.url}/")
    expect(page.locator("a.user-menu")).to_have_text("Sign in")
    assert page.request.get(f"{up.url}/api/whoami-v2").status == 401


ATTACK = """<!doctype html><html><body>
<form id=f method=post action="{url}/api/tokens">
<input name=name value=stolen><input name=role value=write></form>
<script>
fetch("{url}/api/orgs", {{method: "POST", credentials: "include", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}}, body: '{{"name": "pwned"}}'}})
  .finally(function() {{ document.getElementById("f").submit(); }});
</script></body></html>"""


@pytest.fixture()
def attacker(up: Running) -> Iterator[str]:
    """A page on another origin (another port of this host) that makes its visitor's browser
    post to the platform: a fetch and an auto-submitted form."""
    html = ATTACK.format(url=up.url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_another_origins_page_cannot_write_with_the_visitors_session(
    page: Page, up: Running, attacker: str
) -> None:
    api(up, "POST", "/api/users", json={"name": "vic", "password": PASSWORD}).raise_for_status()
    sign_in(page, up, "vic", PASSWORD)
    expect(page.locator("#user-name")).to_have_text("vic")
    with page.expect_response(f"{up.url}/api/tokens") as answer:
        page.goto(attacker)
    refused = answer.value
    assert refused.status == 403, refused.text()
    assert "CSRF" in refused.json()["error"]["message"]
    orgs = [o["name"] for o in api(up, "GET", "/api/orgs").json()]
    assert "pwned" not in orgs
    page.goto(f"{up.url}/settings/tokens")  # still signed in, and no token was made
    expect(page.locator("#user-name")).to_have_text("vic")
    expect(page.locator("#tokens")).to_have_text("No tokens yet.")


def test_admin_and_org_pages_manage_members_sign_up_and_invites(
    page: Page, up: Running, browser: Browser
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # the pages confirm removals
    ensure_admin(up, "root")
    sign_in(page, up, "root", PASSWORD, "/organizations/new")
    page.wait_for_url(f"{up.url}/organizations/new")
    page.fill("#new-org input[name=name]", "acme")
    page.click("#new-org button[type=submit]")
    page.wait_for_url(f"{up.url}/organizations")
    page.goto(f"{up.url}/admin")
    page.fill("#add-user input[name=name]", "dan")
    page.click("#add-user button[type=submit]")
    expect(page.locator("tr[data-user=dan]")).to_contain_text("no")  # no password yet
    page.goto(f"{up.url}/acme")
    page.fill("#add-member input[name=user]", "dan")
    page.click("#add-member button[type=submit]")
    row = page.locator("tr[data-member=dan]")
    row.locator("select[name=role]").select_option("write")
    row.get_by_role("button", name="Change").click()
    expect(row.locator("select[name=role]")).to_have_value("write")
    assert {m["user"]: m["role"] for m in api(up, "GET", "/api/orgs/acme/members").json()} == {
        "dan": "write",
        "root": "admin",
    }
    row.get_by_role("button", name="Remove").click()
    expect(page.locator("tr[data-member=dan]")).to_have_count(0)
    page.goto(f"{up.url}/admin")
    page.select_option("#signup select[name=signup]", "invite")
    page.click("#signup button[type=submit]")
    expect(page.locator("#signup select[name=signup]")).to_have_value("invite")
    page.click("#invite button[type=submit]")
    link = page.locator("#invite-link-value")
    expect(link).to_contain_text("/sign-up?invite=")
    invited = browser.new_context().new_page()  # the invited person's own browser
    invited.goto(link.inner_text().strip())
    invited.fill("#sign-up input[name=name]", "erin")
    invited.fill("#sign-up input[name=password]", PASSWORD)
    invited.click("#sign-up button[type=submit]")
    expect(invited.locator("#user-name")).to_have_text("erin")
    invited.context.close()


CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + location.href);
});
"""


def test_account_pages_run_their_script_under_the_page_csp(page: Page, up: Running) -> None:
    ensure_admin(up, "root")
    page.add_init_script(CSP_WATCH)
    sign_in(page, up, "root", PASSWORD)
    expect(page.locator("#user-name")).to_have_text("root")
    for path in (
        "/",
        "/sign-in",
        "/settings/tokens",
        "/settings/spaces",
        "/organizations",
        "/organizations/new",
        "/admin",
        "/admin/nodes",
        "/root",
    ):
        resp = page.goto(f"{up.url}{path}")
        assert resp is not None and resp.status == 200, path
        assert (
            "'unsafe-inline'"
            not in resp.all_headers()["content-security-policy"].split("style-src")[0]
        )
        assert page.evaluate("window.__csp") == [], path


def test_repeated_wrong_passwords_are_throttled_with_the_wait_shown(
    page: Page, up: Running
) -> None:
    api(up, "POST", "/api/users", json={"name": "tom", "password": PASSWORD}).raise_for_status()
    page.goto(f"{up.url}/sign-in")
    error = page.locator("#sign-in .form-error")
    shown: list[str] = []

    def attempt() -> bool:
        page.fill("#sign-in input[name=name]", "tom")
        page.fill("#sign-in input[name=password]", "wrong guess")
        with page.expect_response(f"{up.url}/api/auth/sign-in") as answer:
            page.click("#sign-in button[type=submit]")
        expect(error).to_be_visible()
        shown.append(f"{answer.value.status} {error.inner_text()}")
        return answer.value.status == 429

    wait_for(attempt, timeout=120, interval=0, what="a throttled sign-in")
    assert len(shown) >= 6 and all(s.startswith("401 wrong") for s in shown[:5]), shown
    assert "too many failed sign-ins: try again in" in shown[-1], shown

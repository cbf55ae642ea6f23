"""Private spaces in real Chromium against `spacehost up` (issue 14): huggingface_hub's
``create_repo`` makes a private gradio space and a private model in a fresh process; a signed-in
member sees the private space's app on its page host (the iframe renders the Gradio app) and on
the path style; a non-member and an anonymous visitor get 404 on both; the owner's Settings tab
makes a space private and public again, adds and deletes a secret, sets its sleep time, adds a
variable, restarts it, duplicates it (private) and deletes it with confirmation; the New space
page creates a space and shows how to push; a reader (an organization member with the read
role) has no Settings tab."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.chromium import BROWSER_TESTS
from tests.e2e.conftest import Running
from tests.e2e.huggingface import hf
from tests.support.polling import wait_for

pytestmark = BROWSER_TESTS
PASSWORD = "a long passphrase"
OWNER, READER, STRANGER, ORG = "wbowner", "wbreader", "wbstranger", "wbteam"
SECRET = f"{ORG}/secret"


@dataclass
class Team:
    platform: Running
    tokens: dict[str, str]  # user -> write token
    created: dict[str, Any]  # what huggingface_hub's create_repo calls answered


def _signed_in(url: str, user: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    resp = s.post(f"{url}/api/auth/sign-in", json={"name": user, "password": PASSWORD}, timeout=30)
    resp.raise_for_status()
    return s, str(resp.json()["csrf"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _stage(platform: Running, space: str, token: str) -> str:
    resp = requests.get(f"{platform.url}/api/spaces/{space}", headers=_bearer(token), timeout=10)
    return str(resp.json().get("stage")) if resp.ok else f"HTTP {resp.status_code}"


@pytest.fixture(scope="module")
def team(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Team:
    """Three users, an organization (owner: admin, reader: read) and, made by huggingface_hub's
    create_repo, the organization's private gradio space, running."""
    operator = _bearer((platform.data_dir / "token").read_text().strip())
    for user in (OWNER, READER, STRANGER):
        made = requests.post(
            f"{platform.url}/api/users",
            json={"name": user, "password": PASSWORD},
            headers=operator,
            timeout=30,
        )
        assert made.status_code == 201, made.text
    tokens = {}
    for user in (OWNER, READER):
        s, csrf = _signed_in(platform.url, user)
        h = {"X-CSRF-Token": csrf}
        made = s.post(
            f"{platform.url}/api/tokens", json={"name": "e2e", "role": "write"}, headers=h
        )
        assert made.status_code in (200, 201), made.text
        tokens[user] = made.json()["token"]
        if user == OWNER:
            org = s.post(f"{platform.url}/api/orgs", json={"name": ORG}, headers=h, timeout=30)
            assert org.status_code == 201, org.text
            member = s.put(
                f"{platform.url}/api/orgs/{ORG}/members/{READER}",
                json={"role": "read"},
                headers=h,
                timeout=30,
            )
            assert member.ok, member.text
    created = hf(
        platform,
        tmp_path_factory.mktemp("hf-home"),
        f"""
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError
api = HfApi(endpoint="{platform.url}", token="{tokens[OWNER]}")
urls = [api.create_repo("{SECRET}", private=True, repo_type="space", space_sdk="gradio",
                        exist_ok=True) for _ in range(2)]  # the second answers 409: exist_ok
model = api.create_repo("{ORG}/weights", private=True, exist_ok=True)
card = api.model_info("{ORG}/weights").card_data is not None
try:
    HfApi(endpoint="{platform.url}", token=False).model_info("{ORG}/weights")
    anonymous = "found"
except RepositoryNotFoundError:
    anonymous = "not found"
print(json.dumps({{"space": [[u.repo_type, u.repo_id] for u in urls],
                  "model": [model.repo_type, model.repo_id], "card": card,
                  "anonymous": anonymous}}))
""",
    )
    wait_for(
        lambda: _stage(platform, SECRET, tokens[OWNER]) == "RUNNING",
        timeout=600,
        interval=0.5,
        what=f"{SECRET} to run",
    )
    return Team(platform, tokens, created)


@pytest.fixture()
def as_user(browser: Browser, team: Team) -> Iterator[dict[str, Page]]:
    """A signed-in page per user (and one for an anonymous visitor), each its own context."""
    contexts: list[BrowserContext] = []
    pages = {}
    for user in (OWNER, READER, STRANGER, "anonymous"):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.set_default_timeout(60_000)
        contexts.append(context)
        if user != "anonymous":
            resp = context.request.post(
                f"{team.platform.url}/api/auth/sign-in", data={"name": user, "password": PASSWORD}
            )
            assert resp.ok, resp.text()
        pages[user] = context.new_page()
    yield pages
    for context in contexts:
        context.close()


def test_huggingface_hubs_create_repo_makes_private_repos(team: Team) -> None:
    assert team.created["space"] == [["space", SECRET]] * 2  # exist_ok: 409 read as success
    assert team.created["model"] == ["model", f"{ORG}/weights"] and team.created["card"]
    assert team.created["anonymous"] == "not found"
    assert requests.get(f"{team.platform.url}/api/spaces/{SECRET}", timeout=10).status_code == 404


def test_a_member_sees_the_private_app_on_the_page_host_and_the_path_style(
    team: Team, as_user: dict[str, Page]
) -> None:
    page, url = as_user[READER], team.platform.url
    page.goto(f"{url}/spaces/{SECRET}")
    assert page.url.startswith(f"http://page.{ORG}-secret.localhost:{team.platform.port}/")
    frame = page.frame_locator("#app-frame")
    frame.get_by_label("name").fill("member")
    frame.get_by_role("button", name="Submit").click()
    expect(frame.get_by_label("output")).to_have_value("Hello, member!", timeout=30_000)
    page.goto(f"{url}/spaces/{SECRET}/")
    page.get_by_label("name").fill("path")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_label("output")).to_have_value("Hello, path!", timeout=30_000)


def test_a_stranger_and_an_anonymous_visitor_get_404_on_both_styles(
    team: Team, as_user: dict[str, Page]
) -> None:
    url, port = team.platform.url, team.platform.port
    for who in (STRANGER, "anonymous"):
        page = as_user[who]
        for target in (
            f"{url}/spaces/{SECRET}",  # the page (its page host only after a pass)
            f"http://{ORG}-secret.localhost:{port}/",  # the app's own host
            f"{url}/spaces/{SECRET}/",  # the path style
        ):
            resp = page.goto(target)
            assert resp is not None and resp.status == 404, (who, target, resp and resp.status)
            assert "Hello" not in page.content()


def test_a_reader_has_no_settings_tab_and_the_owner_has(
    team: Team, as_user: dict[str, Page]
) -> None:
    for who, shown in ((READER, 0), (OWNER, 1)):
        page = as_user[who]
        page.goto(f"{team.platform.url}/spaces/{SECRET}?tab=logs")
        expect(page.get_by_role("link", name="Settings", exact=True)).to_have_count(shown)


def test_the_settings_tab_changes_visibility_adds_a_variable_and_deletes(
    team: Team, as_user: dict[str, Page]
) -> None:
    url, owner = team.platform.url, _bearer(team.tokens[OWNER])
    made = requests.post(
        f"{url}/api/repos/create",
        json={"name": "scratch", "organization": ORG, "type": "space", "sdk": "static"},
        headers=owner,
        timeout=60,
    )
    assert made.status_code == 200, made.text
    space = f"{ORG}/scratch"
    page = as_user[OWNER]
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}/spaces/{space}?tab=settings")
    page.get_by_role("button", name="Make private").click()
    expect(page.locator("#visibility-now")).to_contain_text("private")
    assert requests.get(f"{url}/api/spaces/{space}", timeout=10).status_code == 404
    page.get_by_role("button", name="Make public").click()
    expect(page.locator("#visibility-now")).to_contain_text("public")
    assert requests.get(f"{url}/api/spaces/{space}", timeout=10).status_code == 200
    page.get_by_label("variable name").fill("GREETING")
    page.get_by_label("variable value").fill("hello there")
    page.get_by_role("button", name="Add variable").click()
    expect(page.locator("table.variables")).to_contain_text("hello there")
    listed = requests.get(f"{url}/api/spaces/{space}/variables", headers=owner, timeout=10)
    assert listed.json()["GREETING"]["value"] == "hello there"
    page.get_by_label("secret name").fill("API_KEY")
    page.get_by_label("secret value").fill("never-shown-value")
    page.get_by_role("button", name="Add secret").click()
    expect(page.locator("table.secrets")).to_contain_text("API_KEY")
    assert "never-shown-value" not in page.content()
    page.get_by_role("button", name="Delete API_KEY").click()
    expect(page.locator("table.secrets")).to_have_count(0)
    page.get_by_label("Seconds idle before the space sleeps").fill("900")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#settings-status")).to_have_text("Sleep time saved (900 s).")
    page.get_by_role("button", name="Restart", exact=True).click()
    expect(page.locator("#settings-status")).to_contain_text("Restarting")
    page.locator("select[name=owner]").select_option(OWNER)
    page.locator("select[name=visibility]").select_option("private")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.locator("#duplicate-link")).to_have_text(f"{OWNER}/scratch-copy")
    copy = f"{url}/api/spaces/{OWNER}/scratch-copy"
    assert requests.get(copy, timeout=10).status_code == 404  # private, as chosen
    assert requests.get(copy, headers=owner, timeout=10).status_code == 200
    delete = page.locator("#delete-space")
    expect(delete).to_be_disabled()  # until the name is typed
    page.get_by_label("space name to confirm").fill(space)
    delete.click()
    page.wait_for_url(f"{url}/")
    gone = requests.get(f"{url}/api/spaces/{space}", headers=owner, timeout=10)
    assert gone.status_code == 404
    assert not [c for c in console if "Content Security Policy" in c], console


def test_the_new_space_page_creates_a_space_and_shows_how_to_push(
    team: Team, as_user: dict[str, Page]
) -> None:
    page, url = as_user[OWNER], team.platform.url
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}/new-space")
    page.locator("select[name=owner]").select_option(ORG)
    page.get_by_label("Name").fill("fresh")
    page.locator("select[name=sdk]").select_option("static")
    page.get_by_label("Private").check()
    page.get_by_role("button", name="Create space").click()
    page.wait_for_url(f"{url}/new-space?created={ORG}%2Ffresh")
    expect(page.locator("pre")).to_contain_text(f"spacehost push ./my-space --name {ORG}/fresh")
    page.locator("#space-link").click()
    page.wait_for_url(f"**/spaces/{ORG}/fresh*")
    assert requests.get(f"{url}/api/spaces/{ORG}/fresh", timeout=10).status_code == 404
    assert not [c for c in console if "Content Security Policy" in c], console


def test_a_member_opening_the_apps_own_host_is_let_in_through_the_platform(
    team: Team, as_user: dict[str, Page]
) -> None:
    """No pass yet: the router sends the navigation through the platform's host (where the
    session is), which hands the app's host a pass and sends the browser back."""
    page, port = as_user[READER], team.platform.port
    app = f"http://{ORG}-secret.localhost:{port}/"
    page.goto(app)
    assert page.url.startswith(app), page.url
    page.get_by_label("name").fill("direct")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_label("output")).to_have_value("Hello, direct!", timeout=30_000)


def test_another_site_cannot_embed_a_private_space_even_for_a_member(
    team: Team, as_user: dict[str, Page], tmp_path: Any
) -> None:
    """As on Hugging Face ("to embed a Space its visibility needs to be public"): a member who
    holds the space's pass still gets a 404 in a frame on another site's page."""
    import http.server
    import threading

    page, port = as_user[READER], team.platform.port
    app = f"http://{ORG}-secret.localhost:{port}/"
    page.goto(app)  # the member now holds the pass for the app's host
    expect(page.get_by_role("button", name="Submit")).to_be_visible(timeout=30_000)
    (tmp_path / "index.html").write_text(f"<!doctype html><iframe id=f src='{app}'></iframe>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.2", 0), lambda *a: Quiet(*a, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.2:{server.server_address[1]}/")
        frame = page.frame_locator("#f")
        expect(frame.locator("body")).to_contain_text("404", timeout=30_000)
        assert page.frame_locator("#f").get_by_role("button", name="Submit").count() == 0
    finally:
        server.shutdown()
        server.server_close()

"""The Jobs pages (web/jobs_pages.py) and the hub's dataset viewer and curves in headless
Chromium, over the control plane's whole application on a loopback port: a job's log arriving
live on its page, its stage turning COMPLETED, what it pushed with its token (huggingface_hub,
unchanged, in a fresh process) and the curves of the metrics file it pushed drawn from known
values, on the job's page and on the model's. Jobs run in an engine in memory
(tests/support/fake_jobs.py: the test says each log line and ends the container), so the page
is watched while lines arrive; the real engine's jobs are tests/e2e/test_jobs.py's. The dataset
viewer shows the movie-reviews dataset that ships with the platform (server/content.py), its
sizes and labels counted here from its CSV files."""

from __future__ import annotations

import collections
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, expect

from spacehost.appkeys import ACCOUNTS, HUB, JOBS
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.lifecycle.jobs import Jobs
from spacehost.server.content import MOVIE_REVIEWS, builtins, dataset_folder, import_builtin
from spacehost.server.control import make_app
from tests.e2e.chromium import BROWSER_TESTS, chromium
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs
from tests.support.gitcli import git
from tests.support.hf_process import run_hf
from tests.support.platforms import platform_in
from tests.support.polling import wait_for
from tests.support.served_app import served

pytestmark = BROWSER_TESTS
OPERATOR = "sh_operator-token"
LOSSES = [1.0, 0.6, 0.35, 0.2]


@dataclass
class Site:
    url: str
    engine: FakeJobContainers
    jobs: Jobs
    accounts: Accounts
    tokens: dict[str, str]
    home: Path

    def submit(self, user: str, **spec: object) -> dict[str, object]:
        body = {"dockerImage": IMAGE, "command": ["python", "train.py"], **spec}
        resp = requests.post(
            f"{self.url}/api/jobs/{user}", json=body, headers=bearer(self.tokens[user]), timeout=10
        )
        resp.raise_for_status()
        return dict(resp.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("jobpages")
    engine = FakeJobContainers()
    with platform_in(tmp) as platform:
        app = make_app(platform, OPERATOR, jobs=fake_jobs(tmp, engine, max_jobs=4))
        acc: Accounts = app[ACCOUNTS]
        reviews = [b for b in builtins() if b.repo_id == MOVIE_REVIEWS]
        assert [r.outcome for r in import_builtin(app[HUB], reviews)] == ["imported"]
        tokens = {}
        for user in ("bob", "carol"):
            acc.add_user(user)
            tokens[user] = acc.create_token(user, "ci", Role.WRITE).value
        try:
            with served(app) as url:
                yield Site(url, engine, app[JOBS], acc, tokens, tmp / "hf")
        finally:
            engine.end_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def context_of(browser: Browser, site: Site, user: str) -> BrowserContext:
    return browser.new_context(extra_http_headers=bearer(site.tokens[user]))


def test_a_jobs_page_follows_the_log_live_until_the_job_completes(
    site: Site, browser: Browser
) -> None:
    job = site.submit("bob", environment={"EPOCHS": "3"}, secrets={"WANDB_KEY": "s3cret-value"})
    jid, cid = str(job["id"]), site.engine.of_job(str(job["id"]))
    site.engine.say(cid, "epoch 1 loss=1.0")
    wait_for(lambda: _stored(site, jid) >= 1, what="the first line stored")
    ctx = context_of(browser, site, "bob")
    page = ctx.new_page()
    page.goto(f"{site.url}/jobs/bob")
    row = page.locator(f"#jobs tr[data-job='{jid}']")
    expect(row).to_contain_text("RUNNING")
    expect(row).to_contain_text("python train.py")
    expect(row).to_contain_text("cpu-basic · 2 CPU")
    row.locator("a").click()
    expect(page).to_have_url(f"{site.url}/jobs/bob/{jid}")  # the link `hf jobs run` prints
    log = page.locator("#job-log")
    expect(log).to_contain_text("epoch 1 loss=1.0")
    expect(page.locator("#job-stage")).to_have_text("RUNNING")
    site.engine.say(cid, "epoch 2 loss=0.5 (arrived while the page was open)")
    expect(log).to_contain_text("arrived while the page was open")
    assert log.inner_text().count("epoch 1 loss=1.0") == 1  # the rendered lines are not repeated
    site.engine.finish(cid, 0)
    expect(page.locator("#job-stage")).to_have_text("COMPLETED", timeout=10_000)
    text = page.content()
    assert "WANDB_KEY" in text and "EPOCHS" in text and "s3cret-value" not in text
    ctx.close()


def test_the_job_and_list_pages_follow_stage_and_duration_without_reload(
    site: Site, browser: Browser
) -> None:
    blockers: list[str] = []  # jobs that fill every slot, so the next one waits
    while True:
        job = site.submit("bob")
        jid = str(job["id"])
        if job["status"]["stage"] == "SCHEDULING":  # type: ignore[index]
            break
        blockers.append(jid)
    ctx = context_of(browser, site, "bob")
    page, listing = ctx.new_page(), ctx.new_page()
    page.goto(f"{site.url}/jobs/bob/{jid}")
    listing.goto(f"{site.url}/jobs/bob")
    row = listing.locator(f"#jobs tr[data-job='{jid}']")
    for p in (page, listing):
        p.evaluate("window.sameDocument = true")  # gone if the page were reloaded
    expect(page.locator("#job-stage")).to_have_text("SCHEDULING")
    expect(page.locator("#job-duration")).to_have_text("waiting")
    expect(row.locator(".badge")).to_have_text("SCHEDULING")
    site.engine.finish(site.engine.of_job(blockers.pop(0)), 0)  # a slot frees: the job starts
    expect(page.locator("#job-stage")).to_have_text("RUNNING", timeout=10_000)
    expect(row.locator(".badge")).to_have_text("RUNNING", timeout=10_000)
    expect(page.locator("#job-started")).not_to_have_text("—")
    # the duration ticks while it runs (seconds, from the job's own times)
    expect(page.locator("#job-duration")).to_have_text(re.compile(r"^[1-9][0-9]* s$"))
    expect(row.locator(".duration")).to_have_text(re.compile(r"^[1-9][0-9]* s$"))
    site.engine.finish(site.engine.of_job(jid), 0)
    expect(page.locator("#job-stage")).to_have_text("COMPLETED", timeout=10_000)
    expect(row.locator(".badge")).to_have_text("COMPLETED", timeout=10_000)
    expect(page.locator("#job-finished")).not_to_have_text("—")
    assert all(p.evaluate("window.sameDocument === true") for p in (page, listing))
    for other in blockers:
        site.engine.finish(site.engine.of_job(other), 0)
    ctx.close()


def _stored(site: Site, jid: str) -> int:
    return len(site.jobs.store.logs(jid))


def test_others_get_a_404_and_visitors_who_are_not_signed_in_go_to_sign_in(
    site: Site, browser: Browser
) -> None:
    job = site.submit("bob")
    carol = requests.get(
        f"{site.url}/jobs/bob/{job['id']}", headers=bearer(site.tokens["carol"]), timeout=10
    )
    assert carol.status_code == 404 and str(job["id"]) not in carol.text
    assert (
        requests.get(
            f"{site.url}/jobs/bob", headers=bearer(site.tokens["carol"]), timeout=10
        ).status_code
        == 404
    )
    anon = requests.get(f"{site.url}/jobs/bob/{job['id']}", allow_redirects=False, timeout=10)
    assert anon.status_code == 303 and anon.headers["Location"].startswith("/sign-in?next=")
    site.engine.finish(site.engine.of_job(str(job["id"])), 0)


def test_what_a_job_pushed_is_listed_and_its_curves_drawn_on_the_job_and_model_pages(
    site: Site, browser: Browser
) -> None:
    job = site.submit("bob")
    jid = str(job["id"])
    # the token the platform gives a job (server/jobs.py names it job-ID)
    token = site.accounts.create_token("bob", f"job-{jid}", Role.WRITE).value
    metrics = "".join(
        json.dumps({"step": i * 10, "train/loss": loss}) + "\n" for i, loss in enumerate(LOSSES)
    )
    run_hf(
        site.url,
        site.home,
        f"""
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("bob/tiny-clf")
api.upload_file(path_or_fileobj={metrics!r}.encode(), path_in_repo="metrics.jsonl",
                repo_id="bob/tiny-clf")
print(json.dumps("ok"))
""",
        HF_TOKEN=token,
    )
    site.engine.finish(site.engine.of_job(jid), 0)
    ctx = context_of(browser, site, "bob")
    page = ctx.new_page()
    for path in (f"/jobs/bob/{jid}", "/bob/tiny-clf"):
        page.goto(site.url + path)
        chart = page.locator("svg[data-metric='train/loss']")
        expect(chart).to_have_count(1)
        dots = chart.locator("circle")
        values = [dots.nth(i).get_attribute("data-value") for i in range(dots.count())]
        steps = [dots.nth(i).get_attribute("data-step") for i in range(dots.count())]
        assert values == [f"{v:.4g}" for v in LOSSES] and steps == ["0", "10", "20", "30"]
        ys = [float(dots.nth(i).get_attribute("cy") or 0) for i in range(dots.count())]
        assert ys == sorted(ys)  # a falling loss goes down the chart
        assert chart.locator("path").get_attribute("d", timeout=2000).count("L") == 3
    page.goto(f"{site.url}/jobs/bob/{jid}")
    expect(page.locator("#pushes")).to_contain_text("model bob/tiny-clf")
    page.goto(f"{site.url}/bob/tiny-clf")
    expect(page.locator("#made-by a")).to_have_attribute("href", f"/jobs/bob/{jid}")
    ctx.close()


def test_commits_a_job_pushes_with_git_are_listed_on_its_page(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    job = site.submit("bob")
    jid = str(job["id"])
    token = site.accounts.create_token("bob", f"job-{jid}", Role.WRITE).value  # server/jobs.py's
    made = requests.post(
        f"{site.url}/api/repos/create",
        json={"name": "git-made", "organization": "bob", "type": "model"},
        headers=bearer(token),
        timeout=10,
    )
    assert made.status_code == 200, made.text
    host = site.url.removeprefix("http://")
    work, home = tmp_path / "work", tmp_path / "home"
    home.mkdir()
    git(tmp_path, "clone", f"http://bob:{token}@{host}/bob/git-made", str(work), home=home)
    (work / "weights.txt").write_text("trained by a job\n")
    git(work, "add", "weights.txt", home=home)
    git(work, "commit", "-m", "weights", home=home)
    git(work, "push", "origin", "HEAD:main", home=home)
    git(work, "checkout", "-b", "eval", home=home)
    (work / "eval.txt").write_text("accuracy 0.9\n")
    git(work, "add", "eval.txt", home=home)
    git(work, "commit", "-m", "eval", home=home)
    git(work, "push", "origin", "eval", home=home)
    main_sha, eval_sha = (
        git(work, "rev-parse", ref, home=home).stdout.strip() for ref in ("main", "eval")
    )
    site.engine.finish(site.engine.of_job(jid), 0)
    ctx = context_of(browser, site, "bob")
    page = ctx.new_page()
    page.goto(f"{site.url}/jobs/bob/{jid}")
    pushes = page.locator("#pushes li")
    expect(pushes).to_have_count(2)
    expect(pushes.nth(0)).to_contain_text(f"model bob/git-made · commit {main_sha[:12]}")
    expect(pushes.nth(1)).to_contain_text(f"model bob/git-made · commit {eval_sha[:12]}")
    page.goto(f"{site.url}/bob/git-made")  # and the model's page names the job that made it
    expect(page.locator("#made-by a")).to_have_attribute("href", f"/jobs/bob/{jid}")
    ctx.close()


def test_the_movie_reviews_page_previews_its_splits_columns_labels_and_rows(
    site: Site, browser: Browser
) -> None:
    folder = dataset_folder()
    assert folder is not None
    splits = {}
    for name in ("train", "test"):
        with (folder / "data" / f"{name}.csv").open(newline="") as fh:
            splits[name] = list(csv.DictReader(fh))
    ctx = browser.new_context()  # a public dataset: no token needed
    page = ctx.new_page()
    page.goto(f"{site.url}/datasets/{MOVIE_REVIEWS}")
    for name, rows in splits.items():
        expect(page.locator(f"#splits tr[data-split='{name}'] td").nth(1)).to_have_text(
            str(len(rows))
        )
    expect(page.locator("#columns tr[data-column='text'] td").nth(1)).to_have_text("string")
    expect(page.locator("#columns tr[data-column='label'] td").nth(1)).to_have_text("class_label")
    counts = collections.Counter(r["label"] for r in splits["train"])
    for value, label in (("0", "negative"), ("1", "positive")):
        cells = page.locator(f"#labels tr[data-label='{label} ({value})'] td")
        expect(cells.nth(1)).to_have_text(str(counts[value]))
    first = page.locator("#rows tr").nth(1).locator("td")
    expect(first.nth(0)).to_have_text(splits["train"][0]["text"])
    expect(first.nth(1)).to_have_text(splits["train"][0]["label"])
    expect(page.locator("#rows tr")).to_have_count(11)  # the header and the first 10 rows
    ctx.close()

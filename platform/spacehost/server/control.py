"""The control plane's aiohttp application: the API, pages, and status pages for spaces."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from spacehost import headernames
from spacehost.api import add_routes, error_middleware
from spacehost.api.errors import Handler
from spacehost.api.spacepush import add_space_push_target
from spacehost.appkeys import ACCOUNTS, HUB, JOBS, NODES, PLATFORM, SCHEDULES, TOKEN
from spacehost.dockerengine import connect
from spacehost.identity import Accounts
from spacehost.lifecycle import Platform
from spacehost.lifecycle.jobs import Jobs
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.runtime.host_node import HostNode
from spacehost.runtime.nodes import NodeSource
from spacehost.server.bad_tokens import refuse_bad_tokens
from spacehost.server.jobs import build_jobs
from spacehost.server.visibility import hide_private
from spacehost.store import HubStore
from spacehost.store.gitrepos import GitRepos
from spacehost.web import gallery, oembed, space_page, space_status
from spacehost.web.account_pages import add_account_pages, add_namespace_page
from spacehost.web.api_examples import add_example_routes
from spacehost.web.csp import nosniff, page_headers
from spacehost.web.docs_pages import add_docs_routes
from spacehost.web.favicon import add_favicon_routes
from spacehost.web.frontend import GradioFrontends, add_frontend_routes
from spacehost.web.hub.pages import add_hub_routes
from spacehost.web.jobs_pages import add_job_pages
from spacehost.web.new_space import add_new_space_routes
from spacehost.web.nodes_page import add_node_page
from spacehost.web.page_host import page_host_links
from spacehost.web.usermenu import user_menu


def closing(made: list[Callable[[], None]]) -> Callable[[web.Application], Awaitable[None]]:
    """An ``on_cleanup`` callback that closes *made*, in order (their databases' files: a
    process that makes many apps, as the tests do, would otherwise keep them all open)."""

    async def close(_app: web.Application) -> None:
        for close_one in made:
            close_one()

    return close


@web.middleware
async def space_status_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Requests the router addressed to a space without a live upstream get its status page,
    except the API calls that page itself makes."""
    space = request.headers.get(headernames.SPACE)
    if space and not request.path.startswith("/api/"):
        return await space_status(request, request.app[PLATFORM], space)
    return await handler(request)


def make_app(
    platform: Platform,
    token: str,
    hub: HubStore | None = None,
    accounts: Accounts | None = None,
    jobs: tuple[Jobs, Schedules] | None = None,
    nodes: NodeSource | None = None,
) -> web.Application:
    """The control plane's application. Without *accounts* (tests), an identity store in the
    platform's data dir is opened with *token* as the operator's token; without *jobs*, a job
    runner that cannot start containers (submits answer so); without *nodes*, the platform's
    runtime seen as one machine."""
    app = web.Application(
        # page_headers outermost: error pages and status pages get the page CSP too; private
        # repos are hidden before any handler (or status page) sees the request
        middlewares=[
            page_headers,
            error_middleware,
            page_host_links,
            refuse_bad_tokens,
            user_menu,
            hide_private,
            space_status_middleware,
        ],
        client_max_size=platform.settings.max_upload_bytes + (1 << 20),
    )
    app.on_response_prepare.append(nosniff)  # every response, streamed ones too
    app[PLATFORM] = platform
    app[TOKEN] = token
    made: list[Callable[[], None]] = []  # what this app opened itself: closed with it
    if accounts is None:
        accounts = Accounts(platform.settings.identity_db, token)
        made.append(accounts.close)
    app[ACCOUNTS] = accounts
    # the model and dataset hub (docs/hub.md); the API's /api/models... and the repo pages
    if hub is None:
        hub = HubStore(platform.settings.hub_dir, GitRepos(platform.settings.git_dir))
        made.append(hub.close)
    app[HUB] = hub
    if jobs is None:
        jobs = build_jobs(platform, accounts)
        made[:0] = [jobs[1].close, jobs[0].close, jobs[0].store.close]  # before what they use
    app[JOBS], app[SCHEDULES] = jobs
    app.on_cleanup.append(closing(made))
    app[NODES] = nodes or HostNode(platform.runtime)
    add_space_push_target(app, platform)  # git push to a space: validate, then deploy
    add_routes(app)
    app.router.add_get("/", gallery)
    add_favicon_routes(app)  # /favicon.ico
    app.router.add_get("/spaces/{owner}/{name}", space_page)
    add_new_space_routes(app)  # /new-space: create a space, then how to push to it
    app.router.add_get("/api/oembed", oembed)
    add_docs_routes(app)  # /docs: the user guides (docs/*.md) rendered
    add_example_routes(app)  # /static/api-examples/: the Use-via-API snippets' example files
    # /models, /datasets, /{owner}/{name}, /datasets/{owner}/{name}: hub repo pages (never an
    # owner the platform's own paths use: /api, /spaces, /static, /docs answer as before)
    add_job_pages(app)  # /jobs, /jobs/{namespace}[/{id}] (before the hub's /{owner}/{name})
    add_node_page(app)  # /admin/nodes (before the hub's /{owner}/{name})
    add_hub_routes(app)
    add_account_pages(app)  # sign-in, setup, tokens, organizations, admin (docs/accounts.md)
    # The web component's gradio.js, per Gradio version (docs/embedding.md).
    add_frontend_routes(
        app,
        GradioFrontends(
            platform.settings, platform.queries.list_spaces, lambda: connect(platform.settings)
        ),
    )
    add_namespace_page(app)  # /{name}: a user's or organization's page, after every other route
    return app

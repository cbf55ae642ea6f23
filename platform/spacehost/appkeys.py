"""The control plane's application state: typed keys for what ``server/control.py`` puts on its
aiohttp application and the api and web handlers read back.

aiohttp's typed :class:`aiohttp.web.AppKey` gives ``request.app[PLATFORM]`` its type (string
keys are untyped and warn, ``NotAppKeyWarning``). The keys live here, below api and web and
above what they hold, because both packages read the same ones and neither may import the other.
State one package keeps to itself keeps its own key there (``web/frontend.py``, ``api/xet.py``).
"""

from __future__ import annotations

from aiohttp import web

from spacehost.identity import Accounts
from spacehost.lifecycle.facade import Facade
from spacehost.lifecycle.jobs import Jobs
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.runtime.nodes import NodeSource
from spacehost.store import HubStore

PLATFORM: web.AppKey[Facade] = web.AppKey("platform")
"""The platform every handler works through: its commands, its read side (``queries``) and its
settings (lifecycle/facade.py); a ``Platform`` is put here, seen as a ``Facade``."""

TOKEN = web.AppKey("token", str)
"""The platform's API token (``api/auth.py`` checks requests against it)."""

HUB = web.AppKey("hub", HubStore)
"""The model and dataset hub (docs/hub.md): the API's ``/api/models…`` and the repo pages."""

ACCOUNTS = web.AppKey("accounts", Accounts)
"""Users, organizations, tokens, sessions and private repos (identity/accounts.py); who a request
is comes from ``access.actor`` (docs/accounts.md)."""

JOBS = web.AppKey("jobs", Jobs)
"""The job runner (lifecycle/jobs.py): the API's ``/api/jobs…`` (docs/jobs.md)."""

SCHEDULES = web.AppKey("schedules", Schedules)
"""Scheduled jobs (lifecycle/jobschedule.py): the API's ``/api/scheduled-jobs…``."""

NODES: web.AppKey[NodeSource] = web.AppKey("nodes")
"""The machines spaces run on (runtime/nodes.py): ``GET /api/nodes`` and ``/admin/nodes``."""

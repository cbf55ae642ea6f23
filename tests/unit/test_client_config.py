"""spacehost's own client on a change of a space's variables or secrets: whether the change
restarts the space comes from the ``X-Spacehost-Restarting`` header (the variables' answer is
Hugging Face's whole list), against the control plane served on a loopback port."""

from __future__ import annotations

from pathlib import Path

from spacehost.client import Client
from tests.support.control_api import DEMO, DEMO_FILES
from tests.support.live_control import OPERATOR, live_control


def test_set_and_delete_say_whether_the_space_restarts(tmp_path: Path) -> None:
    with live_control(tmp_path) as live:
        live.platform.push(DEMO, DEMO_FILES)
        assert live.platform.wait_idle()
        client = Client(live.url, OPERATOR)
        assert client.set_config(DEMO, "variables", "MODE", "fast", "how") == {"restarting": True}
        assert client.config(DEMO, "variables")["MODE"]["description"] == "how"
        assert live.platform.wait_idle()
        live.platform.pause(DEMO)
        assert client.set_config(DEMO, "secrets", "KEY", "v") == {"restarting": False}
        assert client.delete_config(DEMO, "variables", "MODE") == {"restarting": False}
        assert client.config(DEMO, "variables") == {}

"""Use-via-API snippets generated from /gradio_api/info answers captured from the example
spaces (hello, image-filter, chatbot) running Gradio 6.31."""

from __future__ import annotations

import ast
import json
import shlex
from pathlib import Path
from typing import Any

from spacehost.web.api_snippets import endpoint_docs
from spacehost.web.api_tab import render_api, unavailable
from tests.support.web_records import HOSTILE, record

DATA = Path(__file__).parent / "data"
URL = "http://alice-demo.localhost:8000/"
EXAMPLES = "http://127.0.0.1:8000/static/api-examples/"


def info(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / f"gradio_info_{name}.json").read_text())
    return loaded


def test_hello_python_snippet_is_a_gradio_client_call_by_parameter_name() -> None:
    [doc] = endpoint_docs(info("hello"), URL)
    assert doc.api_name == "/greet"
    assert [(p.name, p.python_type, p.component) for p in doc.params] == [
        ("name", "str", "Textbox")
    ]
    assert [(r.label, r.python_type, r.component) for r in doc.returns] == [
        ("greeting", "str", "Textbox")
    ]
    assert doc.python == (
        "from gradio_client import Client\n\n"
        f'client = Client("{URL}")\n'
        "result = client.predict(\n"
        '    name="Hello!!",\n'
        '    api_name="/greet",\n'
        ")\n"
        "print(result)"
    )
    ast.parse(doc.python)


def test_hello_curl_snippet_is_gradios_two_step_call() -> None:
    [doc] = endpoint_docs(info("hello"), URL)
    post, get = doc.curl.split("\n")
    call = "http://alice-demo.localhost:8000/gradio_api/call/greet"
    assert post.startswith("EVENT_ID=$(curl -s -X POST " + call + " ")
    words = shlex.split(post.removeprefix("EVENT_ID=$(").split(" | ")[0])
    assert json.loads(words[words.index("-d") + 1]) == {"data": ["Hello!!"]}
    assert get == f'curl -N {call}/"$EVENT_ID"'


def test_file_inputs_use_handle_file_and_defaults_are_kept() -> None:
    [doc] = endpoint_docs(info("image-filter"), URL, EXAMPLES)
    assert doc.api_name == "/filter"
    image, kind = doc.params
    assert image.is_file and image.python_type == "filepath" and image.component == "Image"
    assert (kind.name, kind.python_type, kind.has_default, kind.default) == (
        "kind",
        "Literal['sepia', 'invert', 'blur']",
        True,
        "sepia",
    )
    assert doc.python.startswith(
        "import urllib.request\n\nfrom gradio_client import Client, handle_file\n"
    )
    # the platform's example image, not Gradio's on GitHub: the snippet works offline (C16)
    assert f'urllib.request.urlretrieve("{EXAMPLES}image.png", "example-0.png")' in doc.python
    assert '    image=handle_file("example-0.png"),' in doc.python
    assert "github" not in doc.python + doc.curl
    assert f"curl -s -o example-0.png {EXAMPLES}image.png" in doc.curl
    assert "/gradio_api/upload -F files=@example-0.png" in doc.curl
    assert '    kind="sepia",\n' in doc.python
    ast.parse(doc.python)


def test_chatbot_endpoint_and_json_return() -> None:
    [doc] = endpoint_docs(info("chatbot"), URL)
    assert doc.api_name == "/chat" and doc.params[0].name == "message"
    assert doc.returns[0].python_type == "str | float | bool | list | dict"


def test_private_endpoints_are_left_out() -> None:
    data = info("hello")
    data["named_endpoints"]["/greet"]["api_visibility"] = "private"
    assert endpoint_docs(data, URL) == []
    assert "no named API endpoints" in render_api(data, URL)


def test_quotes_in_examples_survive_shell_and_python() -> None:
    data = info("hello")
    data["named_endpoints"]["/greet"]["parameters"][0]["example_input"] = 'it\'s "x"'
    [doc] = endpoint_docs(data, URL)
    assert ast.literal_eval(doc.python.split("name=")[1].split(",\n")[0]) == 'it\'s "x"'
    words = shlex.split(doc.curl.split("\n")[0].removeprefix("EVENT_ID=$(").split(" | ")[0])
    assert json.loads(words[words.index("-d") + 1]) == {"data": ['it\'s "x"']}


def test_rendered_tab_shows_types_and_escapes_hostile_info() -> None:
    data = info("hello")
    ep = data["named_endpoints"].pop("/greet")
    ep["parameters"][0]["parameter_name"] = HOSTILE
    data["named_endpoints"][HOSTILE] = ep
    out = render_api(data, URL)
    assert "<script>alert" not in out
    assert "&lt;script&gt;" in out
    out = render_api(info("image-filter"), URL)
    assert (
        "<td>kind</td><td>Literal[&#x27;sepia&#x27;, &#x27;invert&#x27;, &#x27;blur&#x27;]</td>"
    ) in out
    assert "<td>filtered</td><td>filepath</td><td>Image</td>" in out


def test_tab_says_why_when_it_cannot_ask_the_app() -> None:
    from spacehost.domain import Stage

    assert unavailable(record()) is None
    assert "not running" in str(unavailable(record(stage=Stage.BUILDING, upstream=None)))
    assert "not a Gradio app" in str(unavailable(record(sdk="static")))


# An endpoint and parameter names as a hostile space's /gradio_api/info can write them (A4).
EVIL_NAMES = [
    "/x$(touch pwned-1)",
    "/x`touch pwned-2`",
    "/x'; touch pwned-3; '",
    '/x"; touch pwned-4; "',
    "/x\ntouch pwned-5\n",
    "/../../x?y=1#z",
]
EVIL_PARAMS = [
    "x=__import__('os').system('touch pwned-6'),y",
    "class",
    "a b",
    "名前",
    "x\")\nimport os; os.system('touch pwned-7')#",
]


def hostile_info() -> dict[str, Any]:
    data = info("hello")
    ep = data["named_endpoints"].pop("/greet")
    for api_name in EVIL_NAMES:
        params = []
        for i, name in enumerate(EVIL_PARAMS):
            p = json.loads(json.dumps(ep["parameters"][0]))
            p["parameter_name"] = name
            p["example_input"] = f"$(touch pwned-ex{i}) ' \" `x`"
            params.append(p)
        data["named_endpoints"][api_name] = {**ep, "parameters": params}
    return data


def test_hostile_names_are_data_in_every_snippet() -> None:
    docs = endpoint_docs(hostile_info(), URL, EXAMPLES)
    assert [d.api_name for d in docs] == EVIL_NAMES
    for doc in docs:
        tree = ast.parse(doc.python)  # valid Python whatever the names
        call = next(
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "predict"
        )
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        spread = {}
        for k in call.keywords:
            if k.arg is None:
                spread.update(ast.literal_eval(k.value))
        assert kwargs["api_name"] == doc.api_name
        assert sorted(spread) == sorted(
            n for n in EVIL_PARAMS if not n.isidentifier() or n == "class"
        )
        assert kwargs["名前"] == "$(touch pwned-ex3) ' \" `x`"
        # the shell sees the URL and the body as single words: nothing of them is run
        post = doc.curl.split("\n")[0].removeprefix("EVENT_ID=$(").rsplit(" | ", 1)[0]
        words = shlex.split(post)
        assert words[4].startswith("http://alice-demo.localhost:8000/gradio_api/call/")
        assert "/" not in words[4].removeprefix("http://alice-demo.localhost:8000/gradio_api/call/")
        assert json.loads(words[words.index("-d") + 1])["data"][0].startswith("$(touch")


def test_snippets_call_the_page_the_visitor_is_on_when_it_is_the_platform() -> None:
    from spacehost.settings import Settings
    from spacehost.web.api_tab import snippet_base

    s = Settings(port=8000)
    assert s.base_url == "http://127.0.0.1:8000"
    for host, expected in [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("localhost:8000", "http://localhost:8000"),
        ("192.168.1.20:8000", "http://192.168.1.20:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
        # names Python cannot resolve, other ports, other hosts, odd characters: the base URL
        ("alice-demo.localhost:8000", s.base_url),
        ("page.alice-demo.localhost:8000", s.base_url),
        ("evil.example:8000", s.base_url),
        ("127.0.0.1:9999", s.base_url),
        ("127.0.0.1:8000/'$(x)", s.base_url),
        ("", s.base_url),
    ]:
        assert snippet_base(host, s) == expected, host


def _serve(answers: dict[str, Any]) -> Any:
    """A real HTTP server on loopback answering each path as *answers* says."""
    import asyncio

    from aiohttp import web

    async def handler(request: web.Request) -> web.StreamResponse:
        kind, value = answers[request.path]
        if kind == "redirect":
            raise web.HTTPFound(value)
        if kind == "stream-json":  # in pieces, without a length
            resp = web.StreamResponse()
            await resp.prepare(request)
            for i in range(0, len(value), 4096):
                await resp.write(value[i : i + 4096])
                await asyncio.sleep(0)
            return resp
        if kind == "stream":  # *value* MiB without a length
            resp = web.StreamResponse()
            await resp.prepare(request)
            for _ in range(value):
                await resp.write(b"x" * (1 << 20))
            return resp
        return web.Response(body=value, content_type="application/json")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    return app


def _note(asked: list[str]) -> Any:
    from aiohttp import web

    @web.middleware
    async def note(request: web.Request, handler: Any) -> web.StreamResponse:
        asked.append(request.path)
        return await handler(request)  # type: ignore[no-any-return]

    return note


def test_fetch_info_asks_once_reads_little_and_says_nothing_about_why() -> None:
    import asyncio

    import pytest
    from aiohttp.test_utils import TestServer

    from spacehost.web.api_tab import INFO_MAX_BYTES, InfoUnavailable, fetch_info

    async def main() -> None:
        asked: list[str] = []
        secret = TestServer(_serve({"/gradio_api/info": ("json", b'{"named_endpoints": {}}')}))
        secret.app.middlewares.append(_note(asked))
        await secret.start_server()
        answers = {"/gradio_api/info": ("json", b'{"named_endpoints": {"/a": {}}}')}
        space = TestServer(_serve(answers))
        await space.start_server()
        upstream = f"127.0.0.1:{space.port}"
        assert await fetch_info(upstream) == {"named_endpoints": {"/a": {}}}
        big = {"named_endpoints": {"/a": {}}, "pad": "x" * 900_000}  # under the cap: read whole
        answers["/gradio_api/info"] = ("stream-json", json.dumps(big).encode())
        assert await fetch_info(upstream) == big
        failures = []
        for kind, value in [
            ("redirect", f"http://127.0.0.1:{secret.port}/gradio_api/info"),
            ("redirect", "http://127.0.0.1:1/"),
            ("stream", 64),
            ("json", b"[1, 2]"),
            ("json", b"not json"),
            ("json", b"[" * 100_000),
        ]:
            answers["/gradio_api/info"] = (kind, value)
            with pytest.raises(InfoUnavailable) as err:
                await fetch_info(upstream)
            failures.append(str(err.value))
        assert set(failures) == {""}  # no reason kept: the page shows one text for all
        assert asked == []  # the redirect to another service was not followed
        assert INFO_MAX_BYTES == 1 << 20
        await space.close()
        await secret.close()

    asyncio.run(main())

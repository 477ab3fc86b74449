"""The page over the HTTP API that serverless.yml declares (httpApi, payload 2.0)."""

from __future__ import annotations

import aiohttp


async def test_page_is_served_with_the_websocket_url(chat_service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(chat_service.http_url + "/") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            html = await response.text()
        assert f'<meta name="chat-websocket-url" content="{chat_service.websocket_url}">' in html
        for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
            async with session.get(f"{chat_service.http_url}/{name}") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith(kind)
        async with session.get(chat_service.http_url + "/serverless.yml") as response:
            assert response.status == 404
        async with session.get(chat_service.http_url + "/a/b") as response:
            assert response.status == 404
            assert await response.text() == '{"message":"Not Found"}'

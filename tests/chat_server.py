"""A real OpenAI-compatible chat server for the chat judge's tests.

llama.cpp's ``llama-server`` in router mode (it checks the requested model name) serving
SmolLM2-135M-Instruct (Q4_1 GGUF) on 127.0.0.1, on a free port, with an API key. Both are
installed by ``make chat-server`` (``scripts/install_chat_server.sh``); ``TRUENEG_CHAT_SERVER``
and ``TRUENEG_CHAT_MODEL`` point elsewhere. Without them the tests skip, except under CI
(``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from servers import free_port, not_installed, stop, tail

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / ".servers" / "chat" / "bin" / "llama-server"
MODEL = REPO / ".models" / "SmolLM2-135M-Instruct-GGUF" / "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m-instruct"
KEY_ENV = "TRUENEG_TEST_CHAT_KEY"
START_TIMEOUT = 180


@dataclass(frozen=True)
class ChatServer:
    """A running server: ``url`` is the OpenAI base URL (``.../v1``); ``key`` its API key."""

    url: str
    model: str
    key: str
    log: Path


def installed() -> tuple[Path, Path]:
    """The server binary and the model file; skips (fails under CI) when either is missing."""
    server = Path(os.environ.get("TRUENEG_CHAT_SERVER", SERVER))
    model = Path(os.environ.get("TRUENEG_CHAT_MODEL", MODEL))
    missing = [str(p) for p in (server, model) if not p.is_file()]
    if missing:
        not_installed(f"the chat server is not installed ({', '.join(missing)})", "chat-server")
    return server, model


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    """Start the server, wait until the model answers, yield it, stop it (and its child)."""
    binary, model = installed()
    folder = tmp_path_factory.mktemp("chat-server")
    preset = folder / "models.ini"
    preset.write_text(f"version = 1\n\n[{MODEL_NAME}]\nmodel = {model}\nload-on-startup = true\n")
    port, key = free_port(), secrets.token_hex(16)
    command = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--api-key", key]
    command += ["--models-preset", str(preset), "--models-max", "1", "--no-webui"]
    command += ["--threads", "1", "--ctx-size", "4096", "--parallel", "2"]  # 2 shared cores
    env = {**os.environ, "LLAMA_CACHE": str(folder / "cache")}  # no cached models listed
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    server = ChatServer(f"http://127.0.0.1:{port}/v1", MODEL_NAME, key, log)
    try:
        _wait_ready(proc, server)
        yield server
    finally:
        stop(proc)


def _wait_ready(proc: subprocess.Popen, server: ChatServer) -> None:
    """Poll with one tiny chat request (it also loads the model) until it answers."""
    deadline = time.monotonic() + START_TIMEOUT
    body = {"model": server.model, "messages": [{"role": "user", "content": "Hi"}]}
    body["max_tokens"] = 1
    headers = {"Authorization": f"Bearer {server.key}"}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama-server exited with {proc.returncode}:\n{tail(server.log)}")
        try:
            answer = requests.post(
                f"{server.url}/chat/completions", json=body, headers=headers, timeout=30
            )
            if answer.status_code == 200:
                return
            if "failed to load" in answer.text:  # the model's process exited: no use waiting
                stop(proc)
                pytest.fail(f"llama-server could not load the model:\n{tail(server.log)}")
        except requests.RequestException:
            pass
        time.sleep(0.5)
    stop(proc)
    pytest.fail(f"llama-server not ready after {START_TIMEOUT}s:\n{tail(server.log)}")

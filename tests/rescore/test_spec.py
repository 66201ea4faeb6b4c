"""Judge specs: remote judges and cascades named by one string, checked before anything runs."""

from __future__ import annotations

import pytest

from trueneg.errors import ConfigError
from trueneg.rescore.spec import (
    check_judge_spec,
    is_cascade,
    is_remote,
    parse_remote,
    split_cascade,
)
from trueneg.settings import MineConfig


def test_parse_rerank_spec_types_every_setting():
    spec = parse_remote(
        "rerank-api:http://127.0.0.1:7997/?model=ms-marco&concurrency=8&timeout=2.5&retries=0"
    )
    assert spec.kind == "rerank-api"
    assert spec.url == "http://127.0.0.1:7997"
    assert spec.settings == {"model": "ms-marco", "concurrency": 8, "timeout": 2.5, "retries": 0}


def test_chat_prompt_setting_becomes_prompt_file():
    spec = parse_remote("chat:https://api.example.com/v1?model=m&prompt=p.txt&key_env=KEY")
    assert spec.kwargs() == {
        "url": "https://api.example.com/v1",
        "model": "m",
        "prompt_file": "p.txt",
        "key_env": "KEY",
    }


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("chat:http://h:1/v1?model=m&temprature=0", "Unknown setting 'temprature'"),
        ("chat:http://h:1/v1", "needs the model name"),
        ("rerank-api:ftp://h?model=m", "http:// or https://"),
        ("rerank-api:http://user:secret@h:1?model=m", "must not carry credentials"),
        ("rerank-api:http://h:1?model=m&concurrency=0", "above 0"),
        ("rerank-api:http://h:1?model=m&timeout=nan", "above 0"),
        ("rerank-api:http://h:1?model=m&retries=-1", "0 or more"),
        ("rerank-api:http://h:1?model=m&concurrency=two", "must be a number"),
        ("rerank-api:http://h:1?model=m&model=n", "given twice"),
        ("rerank-api:http://h:1?model=", "is empty"),
    ],
)
def test_bad_remote_specs_are_refused_with_the_reason(spec, words):
    with pytest.raises(ConfigError, match=words) as info:
        parse_remote(spec)
    assert "secret" not in str(info.value)


def test_cascade_is_split_in_order_and_urls_with_gt_are_not_cascades():
    assert is_cascade("a > b>c")
    assert split_cascade("a > b>c") == ["a", "b", "c"]
    assert not is_cascade(".models/judge")
    assert is_remote(" chat:http://h:1/v1?model=m")
    with pytest.raises(ConfigError, match="two or more judges"):
        split_cascade("a > ")


def test_mine_settings_refuse_a_bad_judge_before_running():
    with pytest.raises(ConfigError, match="Unknown setting"):
        MineConfig(data="d", out="o", judge="chat:http://h:1/v1?model=m&x=1").validate()
    with pytest.raises(ConfigError, match="Unknown cascade rule"):
        MineConfig(data="d", out="o", judge="a > b", judge_cascade="top:1.5").validate()
    check_judge_spec("a > rerank-api:http://h:1?model=m", "band:0.05-0.95")  # no error
